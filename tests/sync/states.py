"""A hub's progress read back as the merge model's State, to compare hubs with the model."""

from __future__ import annotations

from functools import reduce

from hub.db import transaction
from hub.home import Hub
from sync import feed, share, store
from sync.merge import Attempt, LessonState, State, apply, merge


def sharing_ids(hub: Hub) -> Hub:
    """Let the hub share its own learner ids (named profiles), so tests can follow one learner's
    progress across hubs by id; tests/sync/test_share.py covers the default, pseudonyms. Names
    may cross plain HTTP here: the tests' centre is in process (test_share.py covers the refusal)."""
    hub.set_setting(share.SETTING, share.NAMED_PROFILES)
    hub.set_setting(share.CLEAR_SETTING, True)
    return hub


def stored_state(hub: Hub) -> State:
    """What the hub's tables hold."""
    db = hub.sync_db
    seconds: dict[tuple, list] = {}
    for *key, device, value in db.execute(
        "SELECT learner_id, course_id, lesson_id, device_id, seconds FROM progress_time ORDER BY device_id"
    ):
        seconds.setdefault(tuple(key), []).append((device, value))
    lessons = {
        tuple(r[:3]): LessonState(r[3], r[4], r[5], tuple(seconds.get(tuple(r[:3]), ())))
        for r in db.execute("SELECT * FROM progress")
    }
    rows = db.execute(
        "SELECT id, learner_id, course_id, lesson_id, score, total, passed, answers, created_at"
        " FROM quiz_attempts"
    ).fetchall()
    attempts = {r[0]: Attempt(*r[:6], bool(r[6]), *r[7:]) for r in rows}
    gone = frozenset(r[0] for r in db.execute("SELECT learner_id FROM forgotten_learners"))
    names = {r[0]: (r[2], r[1]) for r in db.execute("SELECT learner_id, name, named_at FROM learner_names")}
    pins = {r[0]: (r[2], r[1]) for r in db.execute("SELECT learner_id, pin_hash, set_at FROM learner_pins")}
    return State(lessons, attempts, gone, names, pins)


def logged_state(*hubs: Hub) -> State:
    """The state the hubs' change logs stand for, merged directly by the model."""
    states = [
        reduce(lambda s, c: apply(s, c.change, c.device), store.changes_above(hub.sync_db, {}), State())
        for hub in hubs
    ]
    return reduce(merge, states, State())


def bring(centre: Hub, learner: str, hub: Hub) -> None:
    """At the centre, bring a learner to another hub, as her signing in there with her card does."""
    with transaction(centre.sync_db):
        feed.bring(centre.sync_db, learner, hub.device.id, "2026-12-04T00:00:00+00:00")
