"""What a hub shares: by default nothing personal leaves it (pseudonyms, no names, no guest ids),
by HTTP and by stick alike; with named profiles shared, names travel and the latest wins.
The setting decides when a change first leaves, and never rewrites what already left."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.quiz import QuestionResult, QuizResult
from hub import learners, privacy, progress
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import central, client
from sync import bundle, http, share, store
from sync.device import Device
from sync.merge import Attempt, State
from tests.sync.conftest import ENGINES, central_hub
from tests.sync.states import stored_state
from tests.sync.test_http_api import CENTRAL_URL, _admin, _quiet, _via

NAME = "Amina Diallo"


@pytest.fixture(params=ENGINES)
def centre(tmp_path: Path, request: pytest.FixtureRequest) -> Hub:
    """A centre that shares nothing personal, as by default (tests/sync/conftest.py gives `api`)."""
    return central_hub(tmp_path / "central", request)


@pytest.fixture
def hub(tmp_path: Path, centre: Hub, api: TestClient) -> Hub:
    hub = Hub(tmp_path / "hub")
    client.enroll(hub, CENTRAL_URL, central.create_token(centre.sync_db, "Riverside"), "Riverside", _via(api))
    return hub


def _sync(hub: Hub, api: TestClient) -> client.SyncResult:
    return client.sync_now(hub, _quiet, _via(api))


def _guest(hub: Hub) -> str:
    return learners.create_guest(hub.db)[0].id


def _allow_names_over_plain_http(*hubs: Hub) -> None:
    for hub in hubs:
        hub.set_setting(share.CLEAR_SETTING, True)


def _quiz(hub: Hub, learner: str, passed: bool) -> None:
    result = QuizResult([QuestionResult(None, 1, passed)], 0.5)  # type: ignore[arg-type]
    progress.record_quiz(hub.db, learner, "c", "quiz", result)


def _everything(hub: Hub) -> str:
    """Every row of every table, as SQL text: what a person reading the database would see."""
    return "\n".join(hub.db.conn.iterdump())


def _stick_bytes(stick: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(stick.rglob("*")) if path.is_file())


def _as_shared(state: State, device: Device) -> State:
    """A hub's own progress as it looks once it left under pseudonyms."""
    alias = device.pseudonym
    return State(
        {(alias(k[0]), *k[1:]): v for k, v in state.lessons.items()},  # type: ignore[misc]
        {
            alias(a.id): Attempt(alias(a.id), alias(a.learner_id), *list(a.__dict__.values())[2:])
            for a in state.attempts.values()
        },
        frozenset(alias(learner) for learner in state.forgotten),
    )


def test_by_default_no_name_and_no_learner_or_guest_id_leaves_by_http_or_by_stick(
    tmp_path: Path, centre: Hub, api: TestClient, hub: Hub
) -> None:
    assert share.policy(hub.db) == share.NOTHING_PERSONAL
    profile = _guest(hub)
    learners.create_profile(hub.db, profile, NAME, "1234")
    guest, moved, deleted = _guest(hub), _guest(hub), _guest(hub)
    for learner in (profile, guest, moved, deleted):
        progress.record(hub.db, learner, "c", "a", 0.5, seconds=30)
    _quiz(hub, profile, True)
    _quiz(hub, moved, False)
    progress.move_progress(hub.db, moved, profile)  # a guest signing in: copies under derived ids
    privacy.delete_learner(hub.db, deleted)

    stick, by_stick = tmp_path / "stick", Hub(tmp_path / "by-stick")
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    bundle.export(hub.db, hub.device, stick)
    assert _sync(hub, api).pushed == hub.db.execute("SELECT count(*) FROM changes").fetchone()[0]
    incoming = bundle.read_stick(by_stick.db, by_stick.device.id, stick, {hub.device.id})
    with transaction(by_stick.db):
        bundle.apply(by_stick.db, incoming)

    personal = [NAME, profile, guest, moved, deleted]
    personal += [r[0] for r in hub.db.execute("SELECT id FROM quiz_attempts")]  # the copy's id comes from ids
    for seen in (_everything(centre), _everything(by_stick), _stick_bytes(stick).decode()):
        assert [p for p in personal if p in seen] == []
    shared = _as_shared(stored_state(hub), hub.device)
    assert stored_state(centre) == stored_state(by_stick) == shared
    assert len({key[0] for key in shared.lessons}) == 2  # the profile and the guest; the others are gone
    assert hub.device.pseudonym(profile) != Hub(tmp_path / "elsewhere").device.pseudonym(profile)


def test_named_profiles_carry_names_the_latest_wins_and_a_deleted_learner_takes_hers_away(
    centre: Hub, api: TestClient, hub: Hub
) -> None:
    _allow_names_over_plain_http(hub, centre)
    hub.set_setting(share.SETTING, share.NAMED_PROFILES)
    profile, quiet = _guest(hub), _guest(hub)
    learners.create_profile(hub.db, profile, NAME, "")
    learners.create_profile(hub.db, quiet, "Bo Quiet", "")  # no progress: nothing about Bo leaves
    progress.record(hub.db, profile, "c", "a", 1.0)
    _sync(hub, api)
    assert centre.sync_db.execute("SELECT learner_id, name FROM learner_names").fetchall() == [
        (profile, NAME)
    ]
    assert "Bo Quiet" not in _everything(centre)

    renamed = ["Amina D.", "amina d.", profile]
    hub.db.execute("UPDATE learners SET name = ?, name_key = ? WHERE id = ?", renamed)
    _sync(hub, api)
    assert centre.sync_db.execute("SELECT name FROM learner_names").fetchall() == [("Amina D.",)]
    assert stored_state(centre) == stored_state(hub)

    privacy.delete_learner(hub.db, profile)
    _sync(hub, api)
    assert centre.sync_db.execute("SELECT count(*) FROM learner_names").fetchone()[0] == 0
    assert NAME not in _everything(centre) and "Amina D." not in _everything(centre)


def test_the_setting_decides_when_a_change_first_leaves_and_never_rewrites_what_left(
    centre: Hub, api: TestClient, hub: Hub
) -> None:
    _allow_names_over_plain_http(hub, centre)
    guest = _guest(hub)
    progress.record(hub.db, guest, "c", "a", 0.5)
    _sync(hub, api)
    sent = hub.db.execute("SELECT body, signature FROM changes").fetchall()
    hub.set_setting(share.SETTING, share.NAMED_PROFILES)
    progress.record(hub.db, guest, "c", "b", 0.5)
    _sync(hub, api)
    assert hub.db.execute("SELECT body, signature FROM changes WHERE counter = 1").fetchall() == sent
    on_centre = {r[0] for r in centre.sync_db.execute("SELECT learner_id FROM progress")}
    assert on_centre == {hub.device.pseudonym(guest), guest}
    assert stored_state(centre).lessons.keys() == {
        (hub.device.pseudonym(guest), "c", "a"),
        (guest, "c", "b"),
    }


def test_the_admin_chooses_what_the_hub_shares_and_a_bad_choice_changes_nothing(hub: Hub) -> None:
    web = _admin(hub)
    page = web.get("/admin/sync")
    assert 'value="nothing_personal" checked' in page.text
    bad = web.post("/admin/sync/share", data={"sharing": "everything"})
    assert bad.status_code == 400 and "nothing personal, or named profiles" in bad.text
    assert share.policy(hub.db) == share.NOTHING_PERSONAL
    chosen = web.post("/admin/sync/share", data={"sharing": "named_profiles"}, follow_redirects=False)
    assert chosen.status_code == 303 and share.policy(hub.db) == share.NAMED_PROFILES
    assert 'value="named_profiles" checked' in web.get("/admin/sync").text
    assert not share.names_in_clear_allowed(hub.db)
    web.post("/admin/sync/share", data={"sharing": "named_profiles", "names_over_plain_http": "on"})
    assert share.names_in_clear_allowed(hub.db)
    assert 'name="names_over_plain_http" checked' in web.get("/admin/sync").text


def test_names_never_cross_plain_http_unless_both_admins_allow_it(
    centre: Hub, api: TestClient, hub: Hub
) -> None:
    hub.set_setting(share.SETTING, share.NAMED_PROFILES)
    profile = _guest(hub)
    learners.create_profile(hub.db, profile, NAME, "")
    progress.record(hub.db, profile, "c", "a", 1.0)
    with pytest.raises(client.SyncFailed) as refused:
        _sync(hub, api)
    assert "names would cross the network unprotected" in refused.value.translated()
    assert NAME not in _everything(centre) and profile not in _everything(centre)

    _allow_names_over_plain_http(hub)  # the hub allows it, the centre does not
    with pytest.raises(http.SyncError, match="takes learners' names only over HTTPS"):
        _sync(hub, api)
    assert NAME not in _everything(centre)

    over_https = TestClient(api.app, base_url="https://central.test")
    hub.set_setting(share.CLEAR_SETTING, False)
    hub.set_setting(client.CENTRAL_SETTING, client.central(hub) | {"url": "https://central.test"})
    _sync(hub, over_https)
    assert centre.sync_db.execute("SELECT name FROM learner_names").fetchall() == [(NAME,)]
