"""What the hub stores about a learner: export it, delete it, and forget old guests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from hub import progress
from hub.coaching.given import given_to
from hub.db import transaction


def nothing_stored() -> dict[str, object]:
    """What `export` gives for someone the hub knows nothing about."""
    return {
        "account": None, "signed_in_devices": 0, "progress": [], "time_spent": [], "quiz_attempts": [],
        "classes": [], "assignments": [], "class_quiz_answers": [],
    }  # fmt: skip


def export(db: Database, learner_id: str) -> dict[str, object]:
    """Everything stored about one learner, as plain data."""
    account = db.execute(
        "SELECT id, name, role, created_at, last_active_at, pin_hash IS NOT NULL FROM learners WHERE id = ?",
        [learner_id],
    ).fetchone()
    lessons = db.query(
        "SELECT course_id, lesson_id, progress, completed_at, last_opened_at FROM progress"
        " WHERE learner_id = ? ORDER BY course_id, lesson_id",
        [learner_id],
    )
    time_spent = db.query(
        "SELECT course_id, lesson_id, device_id, seconds FROM progress_time"
        " WHERE learner_id = ? ORDER BY course_id, lesson_id, device_id",
        [learner_id],
    )
    attempts = db.query(
        "SELECT course_id, lesson_id, score, total, passed, answers, created_at FROM quiz_attempts"
        " WHERE learner_id = ? ORDER BY created_at",
        [learner_id],
    )
    classes = db.query(
        "SELECT c.name, c.schedule, cl.added_at FROM class_learners cl JOIN classes c ON c.id = cl.class_id"
        " WHERE cl.learner_id = ? ORDER BY c.name",
        [learner_id],
    )
    assignments = db.query(
        "SELECT c.name AS class, a.kind, coalesce(co.title, p.title, q.title) AS title, a.starts_on, a.due_on"
        " FROM class_learners cl JOIN classes c ON c.id = cl.class_id JOIN assignments a ON a.class_id = c.id"
        " LEFT JOIN courses co ON co.id = a.course_id LEFT JOIN pathways p ON p.id = a.pathway_id"
        " LEFT JOIN class_quizzes q ON q.id = a.quiz_id"
        f" WHERE cl.learner_id = ? AND {given_to('cl.learner_id')}"
        " ORDER BY c.name, a.position",
        [learner_id],
    )
    class_answers = db.query(
        "SELECT q.title AS quiz, ans.answers, ans.score, ans.total, ans.submitted_at"
        " FROM class_quiz_answers ans JOIN class_quizzes q ON q.id = ans.quiz_id"
        " WHERE ans.learner_id = ? ORDER BY ans.submitted_at",
        [learner_id],
    )
    sessions = db.execute("SELECT count(*) FROM sessions WHERE learner_id = ?", [learner_id]).fetchone()[0]
    return {
        "account": {
            "id": account[0],
            "name": account[1],
            "role": account[2],
            "created_at": account[3],
            "last_active_at": account[4],
            "has_pin_or_password": bool(account[5]),
        },
        "signed_in_devices": sessions,
        "progress": list(lessons),
        "time_spent": list(time_spent),
        "quiz_attempts": list(attempts),
        "classes": list(classes),
        "assignments": list(assignments),
        "class_quiz_answers": list(class_answers),
    }


def delete_learner(db: Database, learner_id: str) -> None:
    """Remove a learner and everything stored about them, here and (through sync) on peers."""
    with transaction(db):
        progress.forget(db, learner_id)
        db.execute("DELETE FROM sessions WHERE learner_id = ?", [learner_id])
        db.execute("DELETE FROM learners WHERE id = ?", [learner_id])


def forget_old_guests(db: Database, days: int) -> int:
    """Delete guests (no name) inactive for more than `days`; 0 keeps them. Return how many."""
    if days <= 0:
        return 0
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    old = [
        row[0]
        for row in db.execute(
            "SELECT id FROM learners WHERE name IS NULL AND coalesce(last_active_at, created_at) < ?",
            [cutoff],
        ).fetchall()
    ]
    for learner_id in old:
        delete_learner(db, learner_id)
    return len(old)
