"""Progress writes as changes of this device: counters, the log, forgetting, upgrades."""

from __future__ import annotations

import stat
from pathlib import Path

from content.quiz import QuestionResult, QuizResult
from hub import privacy, progress
from hub.db import MIGRATIONS, connect
from hub.home import Hub
from sync import store
from sync.device import device_id_for, load_or_create
from sync.merge import change_learner


def test_every_write_bumps_the_device_counter_and_is_logged(hub: Hub):
    progress.record(hub.db, "L", "c", "a", 0.5, seconds=20)
    progress.record(hub.db, "L", "c", "a", 1.0, seconds=10)
    assert store.knowledge(hub.db) == {hub.device.id: 2}
    logged = list(store.changes_above(hub.db, {}))
    assert [c.counter for c in logged] == [1, 2]
    assert logged[1].change["seconds"] == 30
    assert list(store.changes_above(hub.db, {hub.device.id: 1})) == logged[1:]
    assert progress.for_course(hub.db, "L", "c")["a"].seconds == 30


def test_time_reports_are_capped(hub: Hub):
    progress.record(hub.db, "L", "c", "a", 0.1, seconds=10**9)
    assert progress.for_course(hub.db, "L", "c")["a"].seconds == progress.MAX_SECONDS_PER_REPORT


def test_the_device_key_is_private_and_names_the_device(hub: Hub):
    key_file = hub.home / "keys" / "device.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert hub.device.id == device_id_for(hub.device.key.public_key().public_bytes_raw())
    assert Hub(hub.home).device.id == hub.device.id  # opening again keeps the identity
    assert store.device_id(hub.db) == hub.device.id


def test_deleting_a_learner_leaves_a_tombstone_and_purges_the_log(hub: Hub):
    progress.record(hub.db, "L", "c", "a", 1.0)
    hub.db.execute("INSERT INTO learners (id, created_at) VALUES ('L', '2026-01-01')")
    privacy.delete_learner(hub.db, "L")
    assert progress.for_course(hub.db, "L", "c") == {}
    kinds = [c.change["kind"] for c in store.changes_above(hub.db, {})]
    assert kinds == ["forget"]  # the lesson change is gone, the deletion travels
    progress.record(hub.db, "L", "c", "a", 1.0)  # a late write about a forgotten learner is dropped
    assert progress.for_course(hub.db, "L", "c") == {}


def _result(passed: bool) -> QuizResult:
    return QuizResult([QuestionResult(None, 1, passed)], 0.5)  # type: ignore[arg-type]


def test_a_guest_signing_in_moves_time_and_attempts_and_is_forgotten(hub: Hub):
    progress.record(hub.db, "guest", "c", "a", 0.3, seconds=40)
    progress.record(hub.db, "profile", "c", "a", 0.6, seconds=5)
    progress.record_quiz(hub.db, "guest", "c", "q", _result(True))
    progress.move_progress(hub.db, "guest", "profile")
    progress.move_progress(hub.db, "guest", "profile")  # twice changes nothing more
    mine = progress.for_course(hub.db, "profile", "c")
    assert (mine["a"].progress, mine["a"].seconds, mine["q"].done) == (0.6, 45, True)
    assert progress.best_attempt(hub.db, "profile", "c", "q") == (1, 1)
    assert progress.for_course(hub.db, "guest", "c") == {}
    about_guest = [
        c.change["kind"] for c in store.changes_above(hub.db, {}) if change_learner(c.change) == "guest"
    ]
    assert about_guest == ["forget"]


def test_an_upgraded_hub_keeps_its_progress_and_logs_it_once(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    old = connect(home / "hub.db")
    for number, script in enumerate(MIGRATIONS[:3], start=1):  # the schema before the change log
        old.conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    old.execute("INSERT INTO progress VALUES ('L', 'c', 'a', 1.0, '2026-01-02', '2026-01-03')")
    old.execute("INSERT INTO progress VALUES ('L', 'c', 'b', 0.4, NULL, '2026-01-04')")
    old.execute(
        "INSERT INTO quiz_attempts VALUES ('q1', 'L', 'c', 'q', 3, 4, 1, '[]', '2026-01-05')",
    )
    old.conn.close()

    hub = Hub(home)
    state = progress.for_course(hub.db, "L", "c")
    assert state["a"] == progress.LessonProgress(1.0, "2026-01-02", "2026-01-03", 0)
    assert state["b"] == progress.LessonProgress(0.4, None, "2026-01-04", 0)
    assert progress.best_attempt(hub.db, "L", "c", "q") == (3, 4)
    assert store.knowledge(hub.db) == {hub.device.id: 3}
    Hub(home)  # a second start logs nothing again
    assert store.knowledge(hub.db) == {hub.device.id: 3}


def test_a_lost_key_makes_a_new_device_that_logs_what_the_hub_holds(hub: Hub):
    progress.record(hub.db, "L", "c", "a", 1.0)
    first = hub.device.id
    (hub.home / "keys" / "device.key").unlink()
    again = Hub(hub.home)
    assert again.device.id != first
    assert store.knowledge(again.db) == {first: 1, again.device.id: 1}
    assert load_or_create(hub.home / "keys").id == again.device.id
