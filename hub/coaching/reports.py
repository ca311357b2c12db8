"""What every coaching report starts from: a class the viewer may see, its learners and its assignments.

Reports read this hub's own learners only: a class's members are rows of `learners` (profiles
that live here, never another hub's synced learners), and guests (no name) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from hub.coaching import classes
from hub.i18n import N_
from hub.learners import Learner, LearnerError, Role


class ClassNotFound(LearnerError):
    """No such class (or learner, or quiz in it) on this hub."""


class NotYourClass(LearnerError):
    """A tutor asked for a class she does not teach."""


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    language: str


@dataclass(frozen=True)
class Member:
    id: str
    name: str


@dataclass(frozen=True)
class Assignment:
    """One assignment of a class, with what it asks for: its courses (a pathway's, in order)."""

    id: int
    kind: str  # course | pathway | quiz
    title: str
    course_ids: tuple[str, ...]
    quiz_id: int | None
    starts_on: str | None
    due_on: str | None
    created_at: str
    quiz_open_since: str | None  # a class quiz opened and not closed: when it was opened
    only_for: frozenset[str] | None  # chosen learners, or None for the whole class

    def applies_to(self, learner_id: str) -> bool:
        return self.only_for is None or learner_id in self.only_for


def class_for(db: Database, class_id: int, viewer: Learner) -> ClassInfo:
    """The class, if the viewer teaches it (an admin sees every class)."""
    row = db.execute("SELECT id, name, language FROM classes WHERE id = ?", [class_id]).fetchone()
    if row is None:
        raise ClassNotFound(classes.NO_SUCH_CLASS)
    if not classes.may_teach(db, class_id, viewer):
        raise NotYourClass(classes.NOT_YOURS)
    return ClassInfo(*row)


def visible_classes(db: Database, viewer: Learner, taught_only: bool = False) -> list[ClassInfo]:
    """The classes the viewer teaches (an admin: every class, unless `taught_only`), not archived ones."""
    if viewer.effective_role == Role.ADMIN and not taught_only:
        rows = db.execute(
            "SELECT id, name, language FROM classes WHERE archived_at IS NULL ORDER BY name COLLATE NOCASE"
        )
    else:
        rows = db.execute(
            "SELECT c.id, c.name, c.language FROM class_tutors t JOIN classes c ON c.id = t.class_id"
            " WHERE t.tutor_id = ? AND c.archived_at IS NULL ORDER BY c.name COLLATE NOCASE",
            [viewer.id],
        )
    return [ClassInfo(*row) for row in rows.fetchall()]


def members(db: Database, class_id: int) -> list[Member]:
    """The class's learners with a profile on this hub, by name."""
    rows = db.execute(
        "SELECT l.id, l.name FROM class_learners cl JOIN learners l ON l.id = cl.learner_id"
        " WHERE cl.class_id = ? AND l.name IS NOT NULL ORDER BY l.name COLLATE NOCASE, l.id",
        [class_id],
    ).fetchall()
    return [Member(*row) for row in rows]


def member(db: Database, class_id: int, learner_id: str) -> Member:
    row = db.execute(
        "SELECT l.id, l.name FROM class_learners cl JOIN learners l ON l.id = cl.learner_id"
        " WHERE cl.class_id = ? AND cl.learner_id = ? AND l.name IS NOT NULL",
        [class_id, learner_id],
    ).fetchone()
    if row is None:
        raise ClassNotFound(N_("This learner is not in this class."))
    return Member(*row)


def member_since(db: Database, class_id: int) -> dict[str, str]:
    """When each learner joined the class (a stall is counted from then at the earliest)."""
    rows = db.execute("SELECT learner_id, added_at FROM class_learners WHERE class_id = ?", [class_id])
    return dict(rows.fetchall())


def assignments(db: Database, class_id: int) -> list[Assignment]:
    """The class's assignments in order; a pathway's courses that left the hub are skipped."""
    rows = db.execute(
        """
        SELECT a.id, a.kind, coalesce(c.title, r.title, p.title, q.title, a.course_id), a.course_id,
               a.pathway_id,
               a.quiz_id, a.starts_on, a.due_on, a.created_at,
               CASE WHEN q.opened_at IS NOT NULL AND q.closed_at IS NULL THEN q.opened_at END
        FROM assignments a
        LEFT JOIN courses c ON c.id = a.course_id
        LEFT JOIN removed_courses r ON r.id = a.course_id AND c.id IS NULL
        LEFT JOIN pathways p ON p.id = a.pathway_id
        LEFT JOIN class_quizzes q ON q.id = a.quiz_id
        WHERE a.class_id = ? ORDER BY a.position, a.id
        """,
        [class_id],
    ).fetchall()
    pathway_courses: dict[int, list[str]] = {}
    for pathway_id, course_id in db.execute(
        "SELECT pc.pathway_id, pc.course_id FROM pathway_courses pc JOIN courses c ON c.id = pc.course_id"
        " WHERE pc.pathway_id IN (SELECT pathway_id FROM assignments WHERE class_id = ?)"
        " ORDER BY pc.pathway_id, pc.position",
        [class_id],
    ).fetchall():
        pathway_courses.setdefault(pathway_id, []).append(course_id)
    chosen: dict[int, set[str]] = {}
    for assignment_id, learner_id in db.execute(
        "SELECT assignment_id, learner_id FROM assignment_learners"
        " WHERE assignment_id IN (SELECT id FROM assignments WHERE class_id = ?)",
        [class_id],
    ).fetchall():
        chosen.setdefault(assignment_id, set()).add(learner_id)
    found = []
    for aid, kind, title, course_id, pathway_id, quiz_id, starts_on, due_on, created_at, open_since in rows:
        courses = (course_id,) if kind == "course" else tuple(pathway_courses.get(pathway_id, ()))
        only_for = frozenset(chosen[aid]) if aid in chosen else None
        found.append(
            Assignment(
                aid, kind, title, courses, quiz_id, starts_on, due_on, created_at, open_since, only_for
            )
        )
    return found


def assigned_courses(items: list[Assignment]) -> list[str]:
    """Every course the assignments ask for (a pathway's too), each once, in order."""
    return list(dict.fromkeys(course for item in items for course in item.course_ids))


def marks(values: Sequence[object]) -> str:
    """Placeholders for an IN list of these values."""
    return ", ".join("?" * len(values))
