"""Progress per (learner, lesson), kept by the merge rules of sync/merge.py.

Every write is a change of this device (sync/store.py), so what a learner does here
reaches other hubs and the centre, and any order of merges gives one result.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from content.quiz import QuizResult
from hub.db import transaction
from hub.library import now
from sync import store
from sync.merge import Attempt, LessonState, attempt_change, forget_change, handover_change, lesson_change

MAX_SECONDS_PER_REPORT = 4 * 3600  # one report of time spent; more is a broken client, not a learner
REVISIT_SECONDS = 3600  # a view of the lesson opened last, sooner than this, is not written again


@dataclass(frozen=True)
class LessonProgress:
    progress: float
    completed_at: str | None
    last_opened_at: str
    seconds: int = 0

    @property
    def done(self) -> bool:
        return self.completed_at is not None


# Time spent in a lesson of `progress p`, summed over every device's counter.
_TOTAL_SECONDS = """(SELECT coalesce(sum(seconds), 0) FROM progress_time t WHERE t.learner_id = p.learner_id
    AND t.course_id = p.course_id AND t.lesson_id = p.lesson_id)"""


def _time_after(
    db: Database, own: str, key: tuple[str, str, str], seconds: int
) -> tuple[tuple[str, int], ...]:
    """This device's time counter for a lesson after adding `seconds` (nothing if none are added)."""
    if seconds <= 0:
        return ()
    row = db.execute(
        "SELECT seconds FROM progress_time WHERE learner_id = ? AND course_id = ? AND lesson_id = ?"
        " AND device_id = ?",
        [*key, own],
    ).fetchone()
    return ((own, (row[0] if row else 0) + seconds),)


def _changes_nothing(db: Database, key: tuple[str, str, str], progress: float, stamp: str) -> bool:
    """Whether writing `progress` for this lesson now would change only its last-opened time, and
    that by less than REVISIT_SECONDS while it is already the lesson the learner opened last.

    Every lesson view notes the visit; a learner reading (or reloading) one lesson logged a sync
    change per view (11-18 k for one learner in one load run). Such a write changes nothing a page
    orders or shows, so it is left out; opening another lesson, or the same one an hour on, is kept.
    """
    latest = db.execute(
        "SELECT course_id, lesson_id, progress, completed_at, last_opened_at FROM progress"
        " WHERE learner_id = ? ORDER BY last_opened_at DESC LIMIT 1",
        [key[0]],
    ).fetchone()
    if latest is None or (latest[0], latest[1]) != key[1:]:
        return False
    if progress > latest[2] or (progress >= 1 and latest[3] is None):
        return False
    opened = datetime.fromisoformat(latest[4])
    return (datetime.fromisoformat(stamp) - opened).total_seconds() < REVISIT_SECONDS


def _record(
    db: Database, learner_id: str, course_id: str, lesson_id: str, progress: float, seconds: int
) -> None:
    key = (learner_id, course_id, lesson_id)
    progress = min(max(progress, 0.0), 1.0)
    stamp = now()
    if seconds <= 0 and _changes_nothing(db, key, progress, stamp):
        return
    own = store.device_id(db)
    spent = _time_after(db, own, key, min(seconds, MAX_SECONDS_PER_REPORT))
    state = LessonState(progress, stamp if progress >= 1 else None, stamp, spent)
    store.record(db, lesson_change(key, state, own))


def is_reload(db: Database, learner_id: str, course_id: str, lesson_id: str) -> bool:
    """Whether opening this lesson now would change nothing kept (the lesson opened last, again
    soon). Read before any write, so a reload waits for no group commit; `record_in` checks again
    inside its transaction."""
    return _changes_nothing(db, (learner_id, course_id, lesson_id), 0.0, now())


def record_in(
    db: Database, learner_id: str, course_id: str, lesson_id: str, progress: float, seconds: int = 0
) -> None:
    """`record` inside a transaction the caller holds (a group commit: hub/group_commit.py)."""
    _record(db, learner_id, course_id, lesson_id, progress, seconds)


def record(
    db: Database, learner_id: str, course_id: str, lesson_id: str, progress: float, seconds: int = 0
) -> None:
    """Note that a learner reached `progress` (0..1) in a lesson (1 means completed) and
    spent `seconds` more in it on this hub."""
    with transaction(db):
        _record(db, learner_id, course_id, lesson_id, progress, seconds)


def for_course(db: Database, learner_id: str, course_id: str) -> dict[str, LessonProgress]:
    rows = db.execute(
        f"SELECT lesson_id, progress, completed_at, last_opened_at, {_TOTAL_SECONDS}"
        " FROM progress p WHERE learner_id = ? AND course_id = ?",
        [learner_id, course_id],
    ).fetchall()
    return {r[0]: LessonProgress(*r[1:]) for r in rows}


@dataclass(frozen=True)
class CourseActivity:
    course_id: str
    lessons_done: int
    last_lesson_id: str
    last_opened_at: str


def recent_courses(db: Database, learner_id: str) -> list[CourseActivity]:
    """Courses a learner has opened, most recent first."""
    rows = db.execute(
        """
        SELECT course_id, sum(completed_at IS NOT NULL), max(last_opened_at),
               (SELECT lesson_id FROM progress p2 WHERE p2.learner_id = p.learner_id
                AND p2.course_id = p.course_id ORDER BY last_opened_at DESC, lesson_id LIMIT 1)
        FROM progress p WHERE learner_id = ?
        GROUP BY course_id ORDER BY max(last_opened_at) DESC
        """,
        [learner_id],
    ).fetchall()
    return [CourseActivity(r[0], r[1], r[3], r[2]) for r in rows]


def attempt_id_for(learner_id: str, given: str) -> str:
    """The stored id of an attempt whose form carried `given` (a phone-made UUID): the same answers
    sent again (a phone replaying what it kept offline, a lost reply) make the same row, and one
    learner cannot name another's row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"commons-hub:attempt-given:{learner_id}:{given}"))


def record_quiz(
    db: Database, learner_id: str, course_id: str, lesson_id: str, result: QuizResult, given_id: str = ""
) -> None:
    """Keep the attempt (an immutable row) and count the lesson done when it is passed.

    With `given_id` (the attempt id the quiz form carried) the attempt is kept once however often
    it is sent."""
    answers = json.dumps([r.given for r in result.results])
    record_score(
        db, learner_id, course_id, lesson_id, (result.score, result.total), result.passed, answers, given_id
    )


def record_score(
    db: Database,
    learner_id: str,
    course_id: str,
    lesson_id: str,
    score: tuple[int, int],
    passed: bool,
    answers: str = "[]",
    given_id: str = "",
) -> None:
    """Keep an attempt scored `score` = (points, out of) with its `answers` (JSON): a quiz's, or an
    H5P activity's (whose answers the hub does not see); the lesson's progress becomes the scaled
    score, done when passed. With `given_id` the attempt is kept once however often it is sent."""
    attempt_id = attempt_id_for(learner_id, given_id) if given_id else str(uuid.uuid4())
    points, total = score
    attempt = Attempt(attempt_id, learner_id, course_id, lesson_id, points, total, passed, answers, now())
    with transaction(db):
        if given_id and db.execute("SELECT 1 FROM quiz_attempts WHERE id = ?", [attempt_id]).fetchone():
            return
        store.record(db, attempt_change(attempt))
        fraction = points / total if total else 0.0
        _record(db, learner_id, course_id, lesson_id, 1.0 if passed else fraction * 0.99, 0)


def best_attempt(db: Database, learner_id: str, course_id: str, lesson_id: str) -> tuple[int, int] | None:
    row = db.execute(
        "SELECT score, total FROM quiz_attempts WHERE learner_id = ? AND course_id = ?"
        " AND lesson_id = ? ORDER BY score * 1.0 / total DESC LIMIT 1",
        [learner_id, course_id, lesson_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def move_progress(db: Database, from_learner: str, to_learner: str) -> None:
    """Fold a guest's progress into a profile (a guest signing in), then forget the guest.

    The profile gets the guest's lesson states, its time (added to this device's counter,
    the only counter this hub may raise) and copies of its quiz attempts under ids made from
    the originals, so doing it twice, or on two hubs, makes the same rows.
    """
    with transaction(db):
        if store.is_forgotten(db, from_learner):
            return
        own = store.device_id(db)
        for row in db.execute(
            f"SELECT course_id, lesson_id, progress, completed_at, last_opened_at, {_TOTAL_SECONDS}"
            " FROM progress p WHERE learner_id = ?",
            [from_learner],
        ).fetchall():
            key = (to_learner, row[0], row[1])
            state = LessonState(row[2], row[3], row[4], _time_after(db, own, key, row[5]))
            store.record(db, lesson_change(key, state, own))
        for row in db.execute(
            "SELECT id, course_id, lesson_id, score, total, passed, answers, created_at FROM quiz_attempts"
            " WHERE learner_id = ?",
            [from_learner],
        ).fetchall():
            copy_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"commons-hub:attempt:{row[0]}:{to_learner}"))
            attempt = Attempt(
                copy_id, to_learner, row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7]
            )
            store.record(db, attempt_change(attempt))
        forget(db, from_learner)


def take_over(db: Database, learner_id: str, giver: str, proof: str) -> None:
    """Write about a learner of another hub from now on, with its signed hand-over
    (sync/ownership.handover_proof): without one, peers refuse this hub's changes about her."""
    with transaction(db):
        store.record(db, handover_change(learner_id, giver, store.device_id(db), proof))


def forget(db: Database, learner_id: str) -> None:
    """Delete a learner's progress here and, through the change log, on every peer. Call in a transaction."""
    if not store.is_forgotten(db, learner_id):
        store.record(db, forget_change(learner_id))
