"""The settings an admin changes in the admin area, stored in the hub's settings table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from hub.home import Hub
from hub.i18n import available_languages

ROLE_SETTING = "role"  # `hub serve --role central` makes this hub the central server others sync with
CENTRAL_ROLE = "central"


@dataclass(frozen=True)
class HubSettings:
    hub_name: str = "Commons Hub"
    default_language: str = "en"
    languages: tuple[str, ...] = ()  # empty: every language with a catalog
    guests_may_learn: bool = True
    learners_may_create_profile: bool = True
    # Off: a learner needs a PIN to sign in, or anyone who knows her name could open her profile.
    profiles_without_pin: bool = False
    guest_retention_days: int = 0  # 0: keep guest progress until the guest deletes it
    import_folders: tuple[str, ...] = ()  # folders tutors may import from, besides USB sticks

    def offered_languages(self) -> tuple[str, ...]:
        """The interface languages offered, the default first."""
        offered = [
            code for code in (self.languages or available_languages()) if code in available_languages()
        ]
        if self.default_language in offered:
            offered.remove(self.default_language)
            offered.insert(0, self.default_language)
        return tuple(offered) or available_languages()


def load_settings(hub: Hub) -> HubSettings:
    values = {f.name: hub.setting(f.name) for f in fields(HubSettings)}
    present = {name: value for name, value in values.items() if value is not None}
    for name in ("languages", "import_folders"):
        if name in present:
            present[name] = tuple(present[name])
    return HubSettings(**present)


def save_settings(hub: Hub, settings: HubSettings) -> None:
    for name, value in asdict(settings).items():
        hub.set_setting(name, list(value) if isinstance(value, tuple) else value)
