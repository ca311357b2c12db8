"""Report aggregates kept at ingest: what /tutor/hubs shows, counted as each change is merged.

A report that scans every change and every progress row grows with the whole history (10 s at a
million changes). Here each change updates a few counters by delta, in the same transaction that
merges it (sync/store.py calls `count_change` just before merging), so the report reads only
counters. Per learner a small state row (her hub, her lessons started and completed per course,
her best score per quiz) says what she already counts for, which keeps the counters exact under
repeats and any order: a repeated change finds nothing new, a learner is counted once however many
changes speak of her, and a forget takes everything she counted for back out.

A learner belongs to the hub whose device writes about her, and to the device a hand-over gives
her to. The counters hold every hub, this one's own learners too; reports leave out their own
device. The migration that makes these tables (hub/db.py) fills them from what a hub already holds.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from sync import ownership


def count_change(db: Database, device: str, change: dict[str, Any]) -> None:
    """Update the counters for a change about to be merged (a change already held never comes here)."""
    kind = change["kind"]
    if kind == "lesson":
        _count_lesson(db, device, change)
    elif kind == "attempt":
        _count_attempt(db, device, change)
    elif kind == "forget":
        learner = change["learner"]
        _apply_learner(db, learner, -1)
        for table in ("tally_learner_courses", "tally_best_scores", "tally_learners"):
            db.execute(f"DELETE FROM {table} WHERE learner_id = ?", [learner])
    elif kind == "handover" and change["from"] != ownership.authority(db):  # the centre's: she visits
        _hand_over(db, change["learner"], change["from"], change["to"])
    elif kind == "name":
        _count_name(db, change["learner"])


def _hub_of(db: Database, learner: str, device: str) -> str:
    """The learner's hub, counting her as one of its learners if she is not yet (a first change)."""
    row = db.execute(
        "SELECT device_id, active FROM tally_learners WHERE learner_id = ?", [learner]
    ).fetchone()
    if row is not None and row[1]:
        return str(row[0])
    hub = str(row[0]) if row is not None else device
    db.execute(
        "INSERT INTO tally_learners (learner_id, device_id, active) VALUES (?, ?, 1)"
        " ON CONFLICT (learner_id) DO UPDATE SET active = 1",
        [learner, hub],
    )
    _add_to_hub(db, hub, learners=1, named=int(_is_named(db, learner)))
    return hub


def _is_named(db: Database, learner: str) -> bool:
    return db.execute("SELECT 1 FROM learner_names WHERE learner_id = ?", [learner]).fetchone() is not None


def _add_to_hub(
    db: Database, hub: str, learners: int = 0, named: int = 0, lessons_completed: int = 0
) -> None:
    db.execute(
        "INSERT INTO tally_hubs (device_id, learners, named, lessons_completed) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (device_id) DO UPDATE SET learners = tally_hubs.learners + excluded.learners,"
        " named = tally_hubs.named + excluded.named,"
        " lessons_completed = tally_hubs.lessons_completed + excluded.lessons_completed",
        [hub, learners, named, lessons_completed],
    )


def _count_name(db: Database, learner: str) -> None:
    """A learner counts among her hub's named learners from her first name on (a rename adds nothing)."""
    if _is_named(db, learner):
        return
    row = db.execute(
        "SELECT device_id FROM tally_learners WHERE learner_id = ? AND active = 1", [learner]
    ).fetchone()
    if row is not None:
        _add_to_hub(db, row[0], named=1)


def _add_to_histogram(db: Database, hub: str, course: str, lessons_completed: int, learners: int) -> None:
    """Per hub and course, how many learners completed how many of its lessons (any, 0 included);
    the report compares that with the course's lesson count when it is read, as courses change.
    A bucket emptied stays, at 0 (at most hubs x courses x lessons rows; reads add it as nothing)."""
    db.execute(
        "INSERT INTO tally_hub_courses (device_id, course_id, lessons_completed, learners)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (device_id, course_id, lessons_completed)"
        " DO UPDATE SET learners = tally_hub_courses.learners + excluded.learners",
        [hub, course, lessons_completed, learners],
    )


def _add_score(db: Database, hub: str, course: str, quizzes: int, score: float) -> None:
    db.execute(
        "INSERT INTO tally_hub_scores (device_id, course_id, quizzes, score_sum) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (device_id, course_id)"
        " DO UPDATE SET quizzes = tally_hub_scores.quizzes + excluded.quizzes,"
        " score_sum = tally_hub_scores.score_sum + excluded.score_sum",
        [hub, course, quizzes, score],
    )


def _count_lesson(db: Database, device: str, change: dict[str, Any]) -> None:
    """A lesson row that appears counts as started; a completion that appears counts as completed
    (the merge keeps the earliest completion, so a lesson once completed stays completed)."""
    learner, course = change["learner"], change["course"]
    before = db.execute(
        "SELECT completed_at IS NOT NULL FROM progress"
        " WHERE learner_id = ? AND course_id = ? AND lesson_id = ?",
        [learner, course, change["lesson"]],
    ).fetchone()
    hub = _hub_of(db, learner, device)
    started = int(before is None)
    completed = int((before is None or not before[0]) and change["completed_at"] is not None)
    if not (started or completed):
        return
    row = db.execute(
        "SELECT lessons_completed FROM tally_learner_courses WHERE learner_id = ? AND course_id = ?",
        [learner, course],
    ).fetchone()
    if row is None or completed:  # she moves to another bucket (a lesson started moves no one)
        if row is not None:
            _add_to_histogram(db, hub, course, row[0], -1)
        _add_to_histogram(db, hub, course, (row[0] if row else 0) + completed, 1)
    db.execute(
        "INSERT INTO tally_learner_courses (learner_id, course_id, lessons_started, lessons_completed)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (learner_id, course_id) DO UPDATE SET"
        " lessons_started = tally_learner_courses.lessons_started + excluded.lessons_started,"
        " lessons_completed = tally_learner_courses.lessons_completed + excluded.lessons_completed",
        [learner, course, started, completed],
    )
    db.execute(
        "UPDATE tally_learners SET lessons_started = lessons_started + ?,"
        " lessons_completed = lessons_completed + ? WHERE learner_id = ?",
        [started, completed, learner],
    )
    if completed:
        _add_to_hub(db, hub, lessons_completed=completed)


def _count_attempt(db: Database, device: str, change: dict[str, Any]) -> None:
    """A new attempt may raise the learner's best score on its quiz (attempts never change)."""
    if db.execute("SELECT 1 FROM quiz_attempts WHERE id = ?", [change["id"]]).fetchone():
        return
    learner, course, lesson = change["learner_id"], change["course_id"], change["lesson_id"]
    hub = _hub_of(db, learner, device)
    if change["total"] <= 0:
        return
    score = change["score"] * 1.0 / change["total"]
    row = db.execute(
        "SELECT score FROM tally_best_scores WHERE learner_id = ? AND course_id = ? AND lesson_id = ?",
        [learner, course, lesson],
    ).fetchone()
    if row is not None and row[0] >= score:
        return
    db.execute(
        "INSERT INTO tally_best_scores (learner_id, course_id, lesson_id, score) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (learner_id, course_id, lesson_id) DO UPDATE SET score = excluded.score",
        [learner, course, lesson, score],
    )
    _add_score(db, hub, course, 0 if row else 1, score - (row[0] if row else 0.0))


def _apply_learner(db: Database, learner: str, sign: int) -> None:
    """Add (+1) or take back (-1) everything a learner counts for at her hub."""
    row = db.execute(
        "SELECT device_id, active, lessons_completed FROM tally_learners WHERE learner_id = ?", [learner]
    ).fetchone()
    if row is None:
        return
    hub, active, lessons_completed = row
    named = active and _is_named(db, learner)
    _add_to_hub(db, hub, sign * active, sign * named, sign * lessons_completed)
    for course, completed in db.execute(
        "SELECT course_id, lessons_completed FROM tally_learner_courses WHERE learner_id = ?", [learner]
    ).fetchall():
        _add_to_histogram(db, hub, course, completed, sign)
    for course, quizzes, score_sum in db.execute(
        "SELECT course_id, count(*), sum(score) FROM tally_best_scores"
        " WHERE learner_id = ? GROUP BY course_id",
        [learner],
    ).fetchall():
        _add_score(db, hub, course, sign * quizzes, sign * score_sum)


def _hand_over(db: Database, learner: str, giver: str, taker: str) -> None:
    """Move a learner to the hub she is handed to. A hand-over may arrive before or after the
    giver's changes about her; one met before them places her at once, so those count there too."""
    if db.execute("SELECT 1 FROM forgotten_learners WHERE learner_id = ?", [learner]).fetchone():
        return
    row = db.execute("SELECT device_id FROM tally_learners WHERE learner_id = ?", [learner]).fetchone()
    if row is None:
        db.execute("INSERT INTO tally_learners (learner_id, device_id) VALUES (?, ?)", [learner, taker])
        return
    if row[0] != giver:
        return
    _apply_learner(db, learner, -1)
    db.execute("UPDATE tally_learners SET device_id = ? WHERE learner_id = ?", [taker, learner])
    _apply_learner(db, learner, +1)
