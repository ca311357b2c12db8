"""Scoped pulls (sync/feed.py): a hub receives only what concerns its learners, whatever the network's
size, and the merge laws still hold with HTTP and sticks in any order."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import progress
from hub.app import create_app, manager_for
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import central, client
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import bundle, feed, store
from sync.merge import State
from tests.sync.conftest import Enrol
from tests.sync.states import bring, sharing_ids, stored_state
from tests.sync.test_http_api import CENTRAL_URL, _quiet, _via


def _of(state: State, learners: set[str]) -> State:
    return State(
        {k: v for k, v in state.lessons.items() if k[0] in learners},
        {k: v for k, v in state.attempts.items() if v.learner_id in learners},
        state.forgotten & learners,
        {k: v for k, v in state.names.items() if k in learners},
    )


def test_a_joining_hub_pulls_nothing_of_the_other_hubs(api: TestClient, enrol: Enrol, tmp_path: Path) -> None:
    for number in range(3):
        busy = enrol(tmp_path / f"hub-{number}", f"Hub {number}")
        for learner in range(20):
            progress.record(busy.db, f"h{number}-l{learner}", "c", "a", 1.0, seconds=5)
        client.sync_now(busy, _quiet, _via(api))
    newcomer = enrol(tmp_path / "newcomer", "Newcomer")
    result = client.sync_now(newcomer, _quiet, _via(api))
    assert result.pulled == 0
    assert newcomer.db.execute("SELECT count(*) FROM changes").fetchone()[0] == 0


def test_a_hub_she_was_brought_to_hears_of_her_later_progress_and_her_forget(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    home, visited = enrol(tmp_path / "home", "Home"), enrol(tmp_path / "visited", "Visited")
    progress.record(home.db, "ana", "c", "a", 0.5)
    client.sync_now(home, _quiet, _via(api))
    bring(centre, "ana", visited)
    assert client.sync_now(visited, _quiet, _via(api)).pulled == 1
    progress.record(home.db, "ana", "c", "b", 1.0)  # later progress at home follows her
    client.sync_now(home, _quiet, _via(api))
    assert client.sync_now(visited, _quiet, _via(api)).pulled == 1
    assert _of(stored_state(visited), {"ana"}) == _of(stored_state(home), {"ana"})
    with transaction(home.db):
        progress.forget(home.db, "ana")
    client.sync_now(home, _quiet, _via(api))
    client.sync_now(visited, _quiet, _via(api))
    assert _of(stored_state(visited), {"ana"}).lessons == {}
    assert "ana" in stored_state(visited).forgotten


def test_a_repeated_feed_page_adds_nothing(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    home, visited = enrol(tmp_path / "home", "Home"), enrol(tmp_path / "visited", "Visited")
    for lesson in range(5):
        progress.record(home.db, "ana", "c", f"l{lesson}", 1.0)
    client.sync_now(home, _quiet, _via(api))
    bring(centre, "ana", visited)
    client.sync_now(visited, _quiet, _via(api))
    before = stored_state(visited), visited.db.execute("SELECT count(*) FROM changes").fetchone()[0]
    with transaction(visited.db):  # as if the answer was lost after it was applied
        visited.db.execute("DELETE FROM settings WHERE key = 'sync_feed_position'")
    assert client.sync_now(visited, _quiet, _via(api)).pulled == 0
    assert (stored_state(visited), visited.db.execute("SELECT count(*) FROM changes").fetchone()[0]) == before


# One step of a network's life: a hub records for one of its learners, syncs, or carries a stick
# to the centre; or the centre brings a learner to a hub.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.integers(0, 2), st.integers(0, 1), st.integers(0, 3)),
        st.tuples(st.just("forget"), st.integers(0, 2), st.integers(0, 1)),
        st.tuples(st.just("sync"), st.integers(0, 2)),
        st.tuples(st.just("stick"), st.integers(0, 2)),
        st.tuples(st.just("bring"), st.integers(0, 2), st.integers(0, 1), st.integers(0, 2)),
    ),
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_scoped_pulls_by_http_and_stick_in_any_order_agree_with_the_centre(tmp_path_factory, steps) -> None:
    root = Path(tmp_path_factory.mktemp("network"))
    centre = sharing_ids(Hub(root / "central"))
    centre.set_setting(ROLE_SETTING, CENTRAL_ROLE)
    api = TestClient(create_app(centre, manager_for(centre, load_entry_points=False)), base_url=CENTRAL_URL)
    hubs = []
    for number in range(3):
        hub = sharing_ids(Hub(root / f"hub-{number}"))
        token = central.create_token(centre.sync_db, f"Hub {number}")
        client.enroll(hub, CENTRAL_URL, token, f"Hub {number}", _via(api))
        hubs.append(hub)
    concerns = [{f"h{n}-l0", f"h{n}-l1"} for n in range(3)]
    for step in steps:
        kind, hub = step[0], hubs[step[1]]
        learner = f"h{step[1]}-l{step[2]}" if len(step) > 2 else ""
        if kind == "record" and not store.is_forgotten(hub.db, learner):
            progress.record(hub.db, learner, "c", f"lesson-{step[3]}", (step[3] + 1) / 4, seconds=step[3])
        elif kind == "forget":
            with transaction(hub.db):
                progress.forget(hub.db, learner)
        elif kind == "sync":
            client.sync_now(hub, _quiet, _via(api))
        elif kind == "stick":
            _carry_to_centre(hub, centre, root / "stick")
        elif kind == "bring":
            bring(centre, learner, hubs[step[3]])
            concerns[step[3]].add(learner)
    for _ in range(2):  # everyone reaches the centre at last
        for hub in hubs:
            client.sync_now(hub, _quiet, _via(api))
    everything = stored_state(centre)
    for hub, learners in zip(hubs, concerns, strict=True):
        assert _of(stored_state(hub), learners) == _of(everything, learners)
        foreign = {key[0] for key in stored_state(hub).lessons} - learners
        assert foreign == set()  # nothing of learners that do not concern it


def _carry_to_centre(hub: Hub, centre: Hub, stick: Path) -> None:
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    bundle.export(hub.db, hub.device, stick)
    incoming = bundle.read_stick(centre.sync_db, centre.device.id, stick, {hub.device.id})
    with transaction(centre.sync_db):
        bundle.apply(centre.sync_db, incoming)


def test_a_centres_stick_carries_only_what_concerns_the_hubs_it_goes_to(tmp_path: Path) -> None:
    centre, one, two, far = (sharing_ids(Hub(tmp_path / name)) for name in ("centre", "one", "two", "far"))
    progress.record(one.db, "ana", "c", "a", 1.0)
    progress.record(two.db, "bo", "c", "a", 0.5)
    progress.record(far.db, "dee", "c", "a", 0.2)
    stick = tmp_path / "stick"
    for hub in (one, two, far):
        with transaction(hub.db):
            store.sign_pending(hub.db, hub.device)
        bundle.export(hub.db, hub.device, stick)
    incoming = bundle.read_stick(
        centre.sync_db, centre.device.id, stick, {one.device.id, two.device.id, far.device.id}
    )
    with transaction(centre.sync_db):
        bundle.apply(centre.sync_db, incoming)
        feed.bring(centre.sync_db, "bo", far.device.id, "2026-12-04T00:00:00+00:00")  # bo visited the far hub
    for folder in ("one", "two"):  # the stick goes back to the far hub only
        shutil.rmtree(stick / bundle.ROOT / {"one": one, "two": two}[folder].device.id)
    scope = bundle.destinations(centre.sync_db, centre.device.id, stick)
    assert scope == {far.device.id}
    bundle.export(centre.sync_db, centre.device, stick, centre=centre.device.id, scope=scope)
    incoming = bundle.read_stick(far.db, far.device.id, stick, {centre.device.id})
    with transaction(far.db):
        bundle.apply(far.db, incoming)
    assert {key[0] for key in stored_state(far).lessons} == {"dee", "bo"}  # not ana: none of its business
