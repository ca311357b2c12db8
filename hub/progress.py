"""Progress per (learner, lesson), with merge rules that make every order of writes agree.

progress is the maximum ever seen, completed_at the earliest, last_opened_at the latest:
each merge is commutative, associative and idempotent, so repeats and sync order never
change the result.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlite_utils import Database

from content.quiz import QuizResult
from hub.db import transaction
from hub.library import now


@dataclass(frozen=True)
class LessonProgress:
    progress: float
    completed_at: str | None
    last_opened_at: str

    @property
    def done(self) -> bool:
        return self.completed_at is not None


def _earliest(a: str | None, b: str | None) -> str | None:
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def merge(a: LessonProgress, b: LessonProgress) -> LessonProgress:
    """Combine two views of the same lesson's progress."""
    return LessonProgress(
        max(a.progress, b.progress),
        _earliest(a.completed_at, b.completed_at),
        max(a.last_opened_at, b.last_opened_at),
    )


_UPSERT = """
INSERT INTO progress (learner_id, course_id, lesson_id, progress, completed_at, last_opened_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (learner_id, course_id, lesson_id) DO UPDATE SET
    progress = max(progress, excluded.progress),
    completed_at = CASE
        WHEN completed_at IS NULL THEN excluded.completed_at
        WHEN excluded.completed_at IS NULL THEN completed_at
        ELSE min(completed_at, excluded.completed_at) END,
    last_opened_at = max(last_opened_at, excluded.last_opened_at)
"""


def record(db: Database, learner_id: str, course_id: str, lesson_id: str, progress: float) -> None:
    """Note that a learner reached `progress` (0..1) in a lesson; 1 means completed."""
    progress = min(max(progress, 0.0), 1.0)
    stamp = now()
    db.execute(
        _UPSERT,
        [learner_id, course_id, lesson_id, progress, stamp if progress >= 1 else None, stamp],
    )


def for_course(db: Database, learner_id: str, course_id: str) -> dict[str, LessonProgress]:
    rows = db.execute(
        "SELECT lesson_id, progress, completed_at, last_opened_at FROM progress"
        " WHERE learner_id = ? AND course_id = ?",
        [learner_id, course_id],
    ).fetchall()
    return {r[0]: LessonProgress(r[1], r[2], r[3]) for r in rows}


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


def record_quiz(db: Database, learner_id: str, course_id: str, lesson_id: str, result: QuizResult) -> None:
    """Keep the attempt (an immutable row) and count the lesson done when it is passed."""
    answers = [r.given for r in result.results]
    with transaction(db):
        db.execute(
            "INSERT INTO quiz_attempts (id, learner_id, course_id, lesson_id, score, total,"
            " passed, answers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                str(uuid.uuid4()), learner_id, course_id, lesson_id, result.score, result.total,
                int(result.passed), json.dumps(answers), now(),
            ],
        )  # fmt: skip
        record(db, learner_id, course_id, lesson_id, 1.0 if result.passed else result.fraction * 0.99)


def best_attempt(db: Database, learner_id: str, course_id: str, lesson_id: str) -> tuple[int, int] | None:
    row = db.execute(
        "SELECT score, total FROM quiz_attempts WHERE learner_id = ? AND course_id = ?"
        " AND lesson_id = ? ORDER BY score * 1.0 / total DESC LIMIT 1",
        [learner_id, course_id, lesson_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def move_progress(db: Database, from_learner: str, to_learner: str) -> None:
    """Fold one learner's progress into another's (a guest signing into a profile)."""
    rows = db.execute(
        "SELECT course_id, lesson_id, progress, completed_at, last_opened_at FROM progress"
        " WHERE learner_id = ?",
        [from_learner],
    ).fetchall()
    with transaction(db):
        db.conn.executemany(_UPSERT, [(to_learner, *row) for row in rows])
        db.execute("DELETE FROM progress WHERE learner_id = ?", [from_learner])
        db.execute("UPDATE quiz_attempts SET learner_id = ? WHERE learner_id = ?", [to_learner, from_learner])
