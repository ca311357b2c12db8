"""Assignments: a course, a pathway or a class quiz given to a class, or to chosen learners of it.

Dates are ISO days (YYYY-MM-DD), both optional; a due day before the start day is refused.
An assignment with no chosen learners is for the whole class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from hub.coaching.classes import CoachingError
from hub.db import transaction
from hub.i18n import N_
from hub.library import now

KINDS = ("course", "pathway", "quiz")


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    kind: str
    title: str
    starts_on: str | None
    due_on: str | None
    chosen: list[str]  # the names of the chosen learners; empty for the whole class


NOT_A_START = N_("The start date “%(text)s” is not a date. Write it as year-month-day, such as 2026-03-31.")
NOT_A_DUE = N_("The due date “%(text)s” is not a date. Write it as year-month-day, such as 2026-03-31.")


def _day(text: str, refusal: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise CoachingError(refusal, text=text[:20]) from None


def _checked_target(
    db: Database, class_id: int, kind: str, target: str
) -> tuple[str | None, int | None, int | None]:
    """(course_id, pathway_id, quiz_id) for what the form chose, checked to exist."""
    if kind == "course" and db.execute("SELECT 1 FROM courses WHERE id = ?", [target]).fetchone():
        return target, None, None
    if (
        kind == "pathway"
        and target.isdigit()
        and db.execute("SELECT 1 FROM pathways WHERE id = ?", [int(target)]).fetchone()
    ):
        return None, int(target), None
    if (
        kind == "quiz"
        and target.isdigit()
        and db.execute(
            "SELECT 1 FROM class_quizzes WHERE id = ? AND class_id = ?", [int(target), class_id]
        ).fetchone()
    ):
        return None, None, int(target)
    raise CoachingError(N_("Choose a course, a pathway or a quiz of this class to assign."))


def assign(
    db: Database, class_id: int, kind: str, target: str, starts_on: str, due_on: str, learner_ids: list[str]
) -> int:
    """Give the class (or the chosen learners of it) something to do; it goes last in the class's order."""
    if kind not in KINDS:
        raise CoachingError(N_("Choose a course, a pathway or a quiz of this class to assign."))
    course_id, pathway_id, quiz_id = _checked_target(db, class_id, kind, target)
    starts, due = _day(starts_on, NOT_A_START), _day(due_on, NOT_A_DUE)
    if starts and due and due < starts:
        raise CoachingError(
            N_("The due date is before the start date. Please choose a due date on or after the start.")
        )
    with transaction(db):
        members = {
            r[0]
            for r in db.execute(
                "SELECT learner_id FROM class_learners WHERE class_id = ?", [class_id]
            ).fetchall()
        }
        if not set(learner_ids) <= members:
            raise CoachingError(N_("Choose learners of this class."))
        cursor = db.execute(
            "INSERT INTO assignments (class_id, kind, course_id, pathway_id, quiz_id, position, starts_on,"
            " due_on, created_at) VALUES (?, ?, ?, ?, ?,"
            " (SELECT coalesce(max(position), -1) + 1 FROM assignments WHERE class_id = ?), ?, ?, ?)",
            [class_id, kind, course_id, pathway_id, quiz_id, class_id, starts, due, now()],
        )
        assignment_id = int(cursor.lastrowid or 0)
        db.conn.executemany(
            "INSERT INTO assignment_learners (assignment_id, learner_id) VALUES (?, ?)",
            [(assignment_id, learner_id) for learner_id in dict.fromkeys(learner_ids)],
        )
    return assignment_id


def assignments_of(db: Database, class_id: int) -> list[AssignmentRow]:
    """A class's assignments in its order, each with what it gives and to whom."""
    rows = db.execute(
        """
        SELECT a.id, a.kind, coalesce(c.title, p.title, q.title, a.course_id), a.starts_on, a.due_on,
               (SELECT group_concat(l.name, '\x1f') FROM assignment_learners x
                JOIN learners l ON l.id = x.learner_id WHERE x.assignment_id = a.id)
        FROM assignments a LEFT JOIN courses c ON c.id = a.course_id
        LEFT JOIN pathways p ON p.id = a.pathway_id
        LEFT JOIN class_quizzes q ON q.id = a.quiz_id
        WHERE a.class_id = ? ORDER BY a.position
        """,
        [class_id],
    ).fetchall()
    return [
        AssignmentRow(r[0], r[1], r[2], r[3], r[4], sorted(r[5].split("\x1f")) if r[5] else []) for r in rows
    ]


def move(db: Database, class_id: int, assignment_id: int, step: int) -> None:
    """Move an assignment one place earlier (step -1) or later (+1); at an end it stays put."""
    with transaction(db):
        order = [
            r[0]
            for r in db.execute(
                "SELECT id FROM assignments WHERE class_id = ? ORDER BY position", [class_id]
            ).fetchall()
        ]
        if assignment_id not in order:
            return
        index = order.index(assignment_id)
        order.insert(min(max(index + step, 0), len(order) - 1), order.pop(index))
        db.conn.executemany(
            "UPDATE assignments SET position = ? WHERE id = ?",
            [(position, a) for position, a in enumerate(order)],
        )


def remove(db: Database, class_id: int, assignment_id: int) -> None:
    db.execute("DELETE FROM assignments WHERE id = ? AND class_id = ?", [assignment_id, class_id])
