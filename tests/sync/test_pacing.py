"""The centre paces syncs: a bounded number of hubs' sessions at once, the others answered 503 with
Retry-After and a sentence; a hub waits as asked (with jitter) and finishes, or gives up in words
after waiting long enough. Clocks and sleeps are fakes: nothing here really waits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub import progress
from hub.home import Hub
from hub.plugins import sync
from hub.plugins.sync import client
from hub.plugins.sync.api import CentreState
from hub.plugins.sync.pacing import IDLE_SECONDS, STUCK_SECONDS, Busy, Sessions
from sync import http, protocol, store
from tests.sync.conftest import Enrol
from tests.sync.test_http_api import _via


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _quiet(done: int, total: int, message: str) -> None:
    """Progress goes nowhere in these tests."""


def test_a_hub_without_a_session_waits_while_every_session_is_taken() -> None:
    clock = FakeClock()
    sessions = Sessions(2, clock=clock, jitter=lambda: 0.5)
    assert sessions.enter("riverside") and sessions.enter("hilltop")
    with pytest.raises(Busy) as busy:
        sessions.enter("lakeside")
    assert busy.value.status == 503 and busy.value.retry_after == 6
    assert "busy with other hubs" in busy.value.translated()
    assert not sessions.enter("riverside")  # a hub mid-sync is always let in: its sync finishes
    sessions.leave("riverside")
    sessions.leave("riverside")
    clock.sleep(IDLE_SECONDS - 1)
    with pytest.raises(Busy):
        sessions.enter("lakeside")  # riverside may still send its next request
    clock.sleep(1)
    assert sessions.enter("lakeside")  # riverside's session ended after IDLE_SECONDS idle
    assert sessions.open_count() == 2


def test_a_session_with_a_request_in_flight_never_ends_and_a_refused_one_is_let_go() -> None:
    clock = FakeClock()
    sessions = Sessions(1, clock=clock)
    assert sessions.enter("riverside")
    clock.sleep(10 * IDLE_SECONDS)  # a long push still being applied
    with pytest.raises(Busy):
        sessions.enter("hilltop")
    sessions.leave("riverside", close=True)  # e.g. its signature did not match
    assert sessions.enter("hilltop")


def test_a_session_whose_hub_went_quiet_mid_request_is_let_go_in_the_end() -> None:
    """A download cut where the centre never saw its end must not hold a place for ever."""
    clock = FakeClock()
    sessions = Sessions(1, clock=clock)
    assert sessions.enter("riverside")
    clock.sleep(STUCK_SECONDS)
    assert sessions.enter("hilltop")


def test_retry_after_is_jittered() -> None:
    asked = set()
    for jitter in (0.0, 0.25, 0.99):
        sessions = Sessions(1, jitter=lambda value=jitter: value)
        sessions.enter("riverside")
        with pytest.raises(Busy) as busy:
            sessions.enter("hilltop")
        asked.add(busy.value.retry_after)
    assert asked == {3, 4, 9}


@pytest.fixture
def clock(api: TestClient) -> FakeClock:
    """The centre takes one hub's sync at a time, on a fake clock."""
    fake = FakeClock()
    api.app.state.sync_centre = CentreState(Sessions(1, clock=fake, jitter=lambda: 0.0))  # type: ignore[attr-defined]
    return fake


def _knowledge(api: TestClient, hub: Hub) -> object:
    target = f"{protocol.API}/progress/knowledge"
    return api.get(target, headers=protocol.sign_request(hub.device, "GET", target, b""))


def test_a_busy_centre_answers_503_with_retry_after_and_a_sentence(
    api: TestClient, enrol: Enrol, tmp_path: Path, clock: FakeClock
) -> None:
    riverside, hilltop = enrol(tmp_path / "riverside", "Riverside"), enrol(tmp_path / "hilltop", "Hilltop")
    assert _knowledge(api, riverside).status_code == 200
    busy = _knowledge(api, hilltop)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "3"
    assert "busy with other hubs' syncs" in busy.json()["detail"] and "3 seconds" in busy.json()["detail"]
    assert _knowledge(api, riverside).status_code == 200  # riverside's sync goes on
    clock.sleep(IDLE_SECONDS)
    assert _knowledge(api, hilltop).status_code == 200


def test_a_forged_request_does_not_hold_a_session(
    api: TestClient, enrol: Enrol, tmp_path: Path, clock: FakeClock
) -> None:
    riverside, hilltop = enrol(tmp_path / "riverside", "Riverside"), enrol(tmp_path / "hilltop", "Hilltop")
    target = f"{protocol.API}/progress/knowledge"
    forged = protocol.sign_request(hilltop.device, "GET", target, b"") | {
        protocol.HEADER_DEVICE: riverside.device.id
    }
    assert api.get(target, headers=forged).status_code == 401
    assert _knowledge(api, hilltop).status_code == 200


def test_a_hub_sent_away_waits_as_asked_and_its_sync_completes(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path, clock: FakeClock
) -> None:
    riverside, hilltop = enrol(tmp_path / "riverside", "Riverside"), enrol(tmp_path / "hilltop", "Hilltop")
    progress.record(hilltop.db, "ana", "sample-course", "read-me", 1.0)
    assert _knowledge(api, riverside).status_code == 200  # riverside's sync holds the only session
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)  # the centre's clock moves on too: riverside's session ends

    patience = http.Patience(sleep=sleep, clock=clock, jitter=lambda: 0.5)
    result = client.sync_now(hilltop, _quiet, _via(api), patience)
    assert slept == [3.75] * 4  # Retry-After 3, stretched by the jitter, until riverside idled out
    assert result.pushed == 1 and store.knowledge(centre.sync_db)[hilltop.device.id] == 1


def test_a_hub_that_waited_long_enough_gives_up_in_words_and_nothing_moves(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path, clock: FakeClock
) -> None:
    riverside, hilltop = enrol(tmp_path / "riverside", "Riverside"), enrol(tmp_path / "hilltop", "Hilltop")
    progress.record(hilltop.db, "ana", "sample-course", "read-me", 1.0)
    assert _knowledge(api, riverside).status_code == 200
    hub_clock = FakeClock()  # only the hub's time passes: riverside's session never ends
    patience = http.Patience(sleep=hub_clock.sleep, clock=hub_clock, jitter=lambda: 0.0)
    with pytest.raises(http.Busy, match="stayed busy with other hubs' syncs"):
        client.sync_now(hilltop, _quiet, _via(api), patience)
    assert 0 < patience.waits <= http.Patience.MAX_WAITS
    assert hub_clock.now - 1000.0 <= http.Patience.DEADLINE
    assert hilltop.device.id not in store.knowledge(centre.sync_db)


def test_the_background_schedule_is_spread_per_hub_and_attempt(enrol: Enrol, tmp_path: Path) -> None:
    hubs = [enrol(tmp_path / f"hub-{n}", f"Hub {n}") for n in range(6)]
    last = "2026-01-01T10:00:00+00:00"
    for hub in hubs:
        hub.set_setting(client.STATUS_SETTING, {"last_attempt_at": last})
    waits = {(sync.next_sync_at(hub) - datetime.fromisoformat(last)).total_seconds() for hub in hubs}
    assert len(waits) == len(hubs)  # six hubs that synced together do not come back together
    nominal = 60 * sync.DEFAULT_INTERVAL_MINUTES
    assert all(abs(wait - nominal) <= nominal * sync.JITTER for wait in waits)
    assert sync.next_sync_at(hubs[0]) == sync.next_sync_at(hubs[0])  # stable between two looks


def test_a_hub_whose_sync_is_done_gives_its_place_to_the_next_at_once(
    api: TestClient, enrol: Enrol, tmp_path: Path, clock: FakeClock
) -> None:
    riverside, hilltop = enrol(tmp_path / "riverside", "Riverside"), enrol(tmp_path / "hilltop", "Hilltop")

    def never(seconds: float) -> None:
        raise AssertionError(f"a hub was sent away ({seconds} s) though the only session was free")

    for hub in (riverside, hilltop, riverside):  # back to back, the centre's clock standing still
        client.sync_now(hub, _quiet, _via(api), http.Patience(sleep=never, clock=clock))
