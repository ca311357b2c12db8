"""Who may write about a learner (sync/ownership.py): one enrolled hub gone bad cannot erase, invent
or change another hub's learners, by HTTP or by stick; a signed hand-over lets another hub write."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import progress
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import client
from sync import bundle, pages, protocol, store
from sync.device import Device, load_or_create
from sync.merge import LessonState as Lesson
from sync.merge import forget_change, lesson_change
from sync.ownership import handover_proof
from tests.conftest import BrowserClient
from tests.sync.conftest import Enrol
from tests.sync.states import sharing_ids, stored_state
from tests.sync.test_http_api import _quiet, _via

PUSH = f"{protocol.API}/progress/push"


@pytest.fixture
def riverside(api: TestClient, enrol: Enrol, tmp_path: Path) -> Hub:
    """A hub whose learner ana has progress, synced with the centre."""
    hub = enrol(tmp_path / "riverside", "Riverside")
    progress.record(hub.db, "ana", "c", "a", 0.5, seconds=60)
    client.sync_now(hub, _quiet, _via(api))
    return hub


def _signed_line(device: Device, counter: int, change: dict) -> dict:
    return protocol.change_line(
        device.id, counter, change, device.sign(store.signed_bytes(device.id, counter, change))
    )


def _page(writer: Device, lines: list[dict], voucher: Device | None = None) -> dict:
    """A page of `writer`'s lines, introducing its key (vouched for by `voucher`, if given)."""
    vouches = {writer.id: voucher.sign(pages.vouch_bytes(writer.id, writer.public_key))} if voucher else {}
    return {
        "ranges": {writer.id: [1, len(lines)]},
        "changes": lines,
        "devices": {writer.id: writer.public_key},
        "vouches": vouches,
        "more": False,
    }


def _push(api: TestClient, sender: Device, page: dict) -> object:
    body = protocol.pack_json(page)
    headers = protocol.sign_request(sender, "POST", PUSH, body) | {"content-encoding": "gzip"}
    return api.post(PUSH, content=body, headers=headers)


def test_an_enrolled_hub_cannot_erase_another_hubs_learner(
    centre: Hub, api: TestClient, enrol: Enrol, riverside: Hub, tmp_path: Path
) -> None:
    """The audit's attack: enrol, pull to learn the ids, sign a forget with a fresh key, push it."""
    attacker = enrol(tmp_path / "attacker", "Attacker")
    client.sync_now(attacker, _quiet, _via(api))
    assert (
        stored_state(attacker).lessons == {}
    )  # scoped pulls no longer tell it ana's id; say it saw her card
    before = stored_state(centre)
    fresh = load_or_create(tmp_path / "fresh-keys")
    forged = _page(fresh, [_signed_line(fresh, 1, forget_change("ana"))])

    unvouched = _push(api, attacker.device, forged)
    assert unvouched.status_code == 409 and "without a valid vouch" in unvouched.json()["detail"]
    assert stored_state(centre) == before

    vouched = _push(api, attacker.device, _page(fresh, forged["changes"], voucher=attacker.device))
    assert vouched.status_code == 200 and vouched.json()["refused"] == 1
    own = _page(attacker.device, [_signed_line(attacker.device, 1, forget_change("ana"))])
    own["ranges"] = {attacker.device.id: [1, 1]}
    assert _push(api, attacker.device, own).json()["refused"] == 1
    assert stored_state(centre) == before  # ana's progress is still there, no tombstone

    client.sync_now(riverside, _quiet, _via(api))
    assert progress.for_course(riverside.db, "ana", "c")["a"].progress == 0.5
    progress.record(riverside.db, "ana", "c", "b", 1.0)  # her next save is kept
    assert progress.for_course(riverside.db, "ana", "c")["b"].done


def test_a_forged_change_is_refused_alone_and_the_rest_of_the_page_is_taken(
    centre: Hub, api: TestClient, enrol: Enrol, riverside: Hub, tmp_path: Path
) -> None:
    attacker = enrol(tmp_path / "attacker", "Attacker")
    mine = lesson_change(("bo", "c", "a"), Lesson(0.3, None, "2026-01-01T00:00:00"), attacker.device.id)
    theirs = lesson_change(("ana", "c", "a"), Lesson(1.0, "2026-01-01", "2026-01-01T00:00:00"), "x")
    page = _page(attacker.device, [_signed_line(attacker.device, n, c) for n, c in ((1, mine), (2, theirs))])
    answer = _push(api, attacker.device, page)
    assert answer.status_code == 200 and answer.json()["refused"] == 1
    state = stored_state(centre)
    assert state.lessons[("bo", "c", "a")].progress == 0.3
    assert state.lessons[("ana", "c", "a")].progress == 0.5  # not the forged 1.0


def test_a_page_longer_than_any_page_is_refused(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    attacker = enrol(tmp_path / "attacker", "Attacker")
    count = protocol.PAGE_CHANGES + 1
    lines = [
        _signed_line(
            attacker.device,
            n,
            lesson_change((f"made-up-{n}", "c", "a"), Lesson(1.0, None, "2026-01-01"), attacker.device.id),
        )
        for n in range(1, count + 1)
    ]
    answer = _push(api, attacker.device, _page(attacker.device, lines))
    assert answer.status_code == 409 and "more than" in answer.json()["detail"]
    assert centre.sync_db.execute("SELECT count(*) FROM changes").fetchone()[0] == 0


def test_a_hand_over_lets_another_hub_write_and_a_forged_one_does_not(
    centre: Hub, api: TestClient, enrol: Enrol, riverside: Hub, tmp_path: Path
) -> None:
    hill = enrol(tmp_path / "hill", "Hill")
    thief = enrol(tmp_path / "thief", "Thief")
    proof = handover_proof(riverside.device, "ana", hill.device.id)
    progress.take_over(hill.db, "ana", riverside.device.id, proof)
    progress.record(hill.db, "ana", "c", "b", 1.0, seconds=30)
    progress.take_over(thief.db, "ana", riverside.device.id, proof)  # a proof made for another hub
    progress.take_over(thief.db, "ana", thief.device.id, handover_proof(thief.device, "ana", thief.device.id))
    progress.record(thief.db, "ana", "c", "a", 0.0, seconds=10**6)
    for hub in (hill, thief, riverside):
        client.sync_now(hub, _quiet, _via(api))
    lessons = stored_state(centre).lessons
    assert lessons[("ana", "c", "b")].completed_at is not None  # hill's, handed over
    assert lessons[("ana", "c", "a")].total_seconds == 60  # nothing of the thief's
    assert stored_state(riverside).lessons == lessons


def test_a_hand_over_counts_whichever_stream_arrives_first(tmp_path: Path) -> None:
    """A hub that hears of the learner first from the hub she was handed to still takes both."""
    one, two, three = (sharing_ids(Hub(tmp_path / n)) for n in ("one", "two", "three"))
    progress.record(one.db, "ana", "c", "a", 0.4)
    progress.take_over(two.db, "ana", one.device.id, handover_proof(one.device, "ana", two.device.id))
    progress.record(two.db, "ana", "c", "b", 1.0)
    stick = tmp_path / "stick"
    for hub in (one, two):
        with transaction(hub.db):
            store.sign_pending(hub.db, hub.device)
        bundle.export(hub.db, hub.device, stick)
    with transaction(three.db):  # two's stream first, then one's
        introduced = [one.device.id, one.device.public_key]
        three.db.execute("INSERT INTO devices VALUES (?, ?, NULL, '')", introduced)
        incoming = bundle.read_stick(three.db, three.device.id, stick, {two.device.id})
        incoming.segments.sort(key=lambda s: s[0]["writer"] != two.device.id)
        assert bundle.apply(three.db, incoming).refused == 0
    assert set(stored_state(three).lessons) == {("ana", "c", "a"), ("ana", "c", "b")}


def test_a_stick_from_a_trusted_hub_cannot_erase_this_hubs_learner(tmp_path: Path) -> None:
    home, rogue = sharing_ids(Hub(tmp_path / "home")), sharing_ids(Hub(tmp_path / "rogue"))
    progress.record(home.db, "ana", "c", "a", 0.7)
    with transaction(rogue.db):
        store.record(rogue.db, forget_change("ana"))
        store.sign_pending(rogue.db, rogue.device)
    stick = tmp_path / "stick"
    bundle.export(rogue.db, rogue.device, stick)
    incoming = bundle.read_stick(home.db, home.device.id, stick, {rogue.device.id})
    with transaction(home.db):
        assert bundle.apply(home.db, incoming).refused == 1
    assert progress.for_course(home.db, "ana", "c")["a"].progress == 0.7
    assert not store.is_forgotten(home.db, "ana")


def test_a_forget_never_traps_her_later_progress_on_that_hub(hub: Hub, app: FastAPI, tmp_path: Path) -> None:
    """She moved to another hub, which deleted her data there; her phone comes back to this hub."""
    phone = BrowserClient(app, base_url="http://hub.test")
    lesson = {"course_id": "sample-course", "lesson_id": "read-me", "progress": 0.5}
    assert phone.post("/api/v1/progress", json=lesson).status_code == 204
    [(her,)] = hub.db.execute("SELECT learner_id FROM progress").fetchall()
    other = sharing_ids(Hub(tmp_path / "other"))
    progress.take_over(other.db, her, hub.device.id, handover_proof(hub.device, her, other.device.id))
    with transaction(other.db):
        store.record(other.db, forget_change(her))
        store.sign_pending(other.db, other.device)
    stick = tmp_path / "stick"
    bundle.export(other.db, other.device, stick)
    with transaction(hub.db):
        bundle.apply(hub.db, bundle.read_stick(hub.db, hub.device.id, stick, {other.device.id}))
    assert store.is_forgotten(hub.db, her) and progress.for_course(hub.db, her, "sample-course") == {}

    assert phone.post("/api/v1/progress", json=lesson | {"progress": 0.75}).status_code == 204
    kept = hub.db.execute("SELECT learner_id, progress FROM progress").fetchall()
    assert len(kept) == 1 and kept[0][0] != her and kept[0][1] == 0.75


def test_a_hub_cannot_claim_another_hubs_changes_up_to_any_number(
    centre: Hub, api: TestClient, enrol: Enrol, riverside: Hub, tmp_path: Path
) -> None:
    """Otherwise the centre would think it held Riverside's changes far ahead and never take hers."""
    attacker = enrol(tmp_path / "attacker", "Attacker")
    held = store.knowledge(centre.sync_db)[riverside.device.id]
    claim = {"ranges": {riverside.device.id: [held + 1, 2**53 - 1]}, "changes": [], "devices": {}}
    answer = _push(api, attacker.device, claim)
    assert answer.status_code == 409 and "does not carry" in answer.json()["detail"]
    assert store.knowledge(centre.sync_db)[riverside.device.id] == held
    progress.record(riverside.db, "ana", "c", "b", 1.0)
    assert client.sync_now(riverside, _quiet, _via(api)).pushed == 1
