"""Where a course comes from, as residents are told, and the keys the hub trusts.

The mark is worked out when a course is shown, from the signer recorded at import and the
keys trusted now (hub.library joins the two), so untrusting a key takes its mark away at
once. Changing the trusted keys: hub/trust.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from content.signing import PublicKey, parse_public_key
from hub.i18n import N_, gettext

VERIFIED, UNTRUSTED, STARTER, LOCAL, KOLIBRI = "verified", "untrusted", "starter", "local", "kolibri"
SOURCE_LABELS = {
    VERIFIED: N_("Published by %(name)s · verified source"),
    UNTRUSTED: N_("Signed by a publisher this hub does not trust — not verified"),
    STARTER: N_("From the Commons Hub starter courses"),  # plain words, not a warning (issue 20)
    LOCAL: N_("Made locally, not verified"),
    KOLIBRI: N_("Imported from a Kolibri channel, not verified"),
}
# How a course came in (courses.origin) when it tells residents more than "made locally".
_UNSIGNED_ORIGINS = {"starter": STARTER, "kolibri": KOLIBRI}


@dataclass(frozen=True)
class TrustedKey:
    key: PublicKey
    name: str
    added_at: str


@dataclass(frozen=True)
class Source:
    """Where a course comes from, as residents are told: one of the statuses above."""

    status: str
    name: str  # the trusted key's name when verified, else the publisher the course names
    key_id: str | None

    def label(self) -> str:
        return gettext(SOURCE_LABELS[self.status]) % {"name": self.name}


def source_of(origin: str, publisher: str, signer_key_id: str | None, trusted_name: str | None) -> Source:
    """The status of a course from how it came in and who, if anyone, vouches for it now."""
    if trusted_name is not None:
        return Source(VERIFIED, trusted_name, signer_key_id)
    if signer_key_id is not None:
        return Source(UNTRUSTED, publisher, signer_key_id)
    return Source(_UNSIGNED_ORIGINS.get(origin, LOCAL), publisher, None)


def trusted_keys(db: Database) -> list[TrustedKey]:
    rows = db.execute("SELECT public_key, name, added_at FROM trusted_keys ORDER BY name COLLATE NOCASE")
    return [TrustedKey(parse_public_key(key), name, added) for key, name, added in rows.fetchall()]


def trusted_public_keys(db: Database) -> list[PublicKey]:
    return [trusted.key for trusted in trusted_keys(db)]
