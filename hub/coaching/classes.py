"""Classes: a named group of this hub's learners, taught by one or more tutors.

A tutor sees only the classes she teaches; an admin sees every class and gives tutors classes.
Archived classes keep everything and are hidden from the list unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from hub.db import transaction
from hub.i18n import N_
from hub.learners import STAFF_ROLES, Learner, LearnerError, Role
from hub.library import now

MAX_NAME = 80
MAX_SCHEDULE = 200


class CoachingError(LearnerError):
    """A coaching request a tutor must correct; the message (translatable) says how."""


@dataclass(frozen=True)
class ClassRecord:
    id: int
    name: str
    language: str
    schedule: str
    created_at: str
    archived_at: str | None
    learner_count: int = 0

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class Person:
    id: str
    name: str


_COLUMNS = (
    "c.id, c.name, c.language, c.schedule, c.created_at, c.archived_at,"
    " (SELECT count(*) FROM class_learners cl WHERE cl.class_id = c.id)"
)


def _checked(name: str, language: str, schedule: str, languages: tuple[str, ...]) -> tuple[str, str, str]:
    name = " ".join(name.split())
    schedule = " ".join(schedule.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise CoachingError(N_("Give the class a name of 1 to %(max)d characters."), max=MAX_NAME)
    if language not in languages:
        raise CoachingError(N_("Please choose one of the languages offered."))
    if len(schedule) > MAX_SCHEDULE:
        raise CoachingError(N_("Keep the schedule under %(max)d characters."), max=MAX_SCHEDULE)
    return name, language, schedule


def create_class(
    db: Database, tutor: Learner, name: str, language: str, schedule: str, languages: tuple[str, ...]
) -> int:
    """A new class taught by the tutor (or admin) who makes it."""
    name, language, schedule = _checked(name, language, schedule, languages)
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO classes (name, language, schedule, created_at) VALUES (?, ?, ?, ?)",
            [name, language, schedule, now()],
        )
        class_id = int(cursor.lastrowid or 0)
        db.execute("INSERT INTO class_tutors (class_id, tutor_id) VALUES (?, ?)", [class_id, tutor.id])
    return class_id


def update_class(
    db: Database, class_id: int, name: str, language: str, schedule: str, languages: tuple[str, ...]
) -> None:
    """Rename a class, or change its language or schedule."""
    name, language, schedule = _checked(name, language, schedule, languages)
    db.execute(
        "UPDATE classes SET name = ?, language = ?, schedule = ? WHERE id = ?",
        [name, language, schedule, class_id],
    )


def set_archived(db: Database, class_id: int, archived: bool) -> None:
    db.execute("UPDATE classes SET archived_at = ? WHERE id = ?", [now() if archived else None, class_id])


def get_class(db: Database, class_id: int) -> ClassRecord | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM classes c WHERE c.id = ?", [class_id]).fetchone()
    return ClassRecord(*row) if row else None


def classes_for(db: Database, viewer: Learner, archived: bool = False) -> list[ClassRecord]:
    """The classes a tutor teaches (every class, for an admin), archived ones or current ones."""
    where = "c.archived_at IS NOT NULL" if archived else "c.archived_at IS NULL"
    if viewer.role == Role.ADMIN:
        rows = db.execute(f"SELECT {_COLUMNS} FROM classes c WHERE {where} ORDER BY c.name").fetchall()
    else:
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM classes c JOIN class_tutors t ON t.class_id = c.id"
            f" WHERE t.tutor_id = ? AND {where} ORDER BY c.name",
            [viewer.id],
        ).fetchall()
    return [ClassRecord(*row) for row in rows]


NO_SUCH_CLASS = N_("There is no such class on this hub.")
NOT_YOURS = N_("This class is not one of yours. Ask an admin to add you as its tutor.")


def may_teach(db: Database, class_id: int, viewer: Learner) -> bool:
    """Whether this person may see and change the class: one of its tutors, or an admin."""
    if viewer.role == Role.ADMIN:
        return True
    if viewer.role not in STAFF_ROLES:
        return False
    return (
        db.execute(
            "SELECT 1 FROM class_tutors WHERE class_id = ? AND tutor_id = ?", [class_id, viewer.id]
        ).fetchone()
        is not None
    )


def tutors_of(db: Database, class_id: int) -> list[Person]:
    rows = db.execute(
        "SELECT l.id, l.name FROM class_tutors t JOIN learners l ON l.id = t.tutor_id"
        " WHERE t.class_id = ? ORDER BY l.name_key",
        [class_id],
    ).fetchall()
    return [Person(*row) for row in rows]


def staff_members(db: Database) -> list[Person]:
    """Every tutor and admin who could be given a class (a hub has a handful)."""
    rows = db.execute(
        "SELECT id, name FROM learners WHERE role IN ('tutor', 'admin') AND NOT disabled ORDER BY name_key"
    ).fetchall()
    return [Person(*row) for row in rows]


def add_tutor(db: Database, class_id: int, tutor_id: str) -> None:
    if tutor_id not in {p.id for p in staff_members(db)}:
        raise CoachingError(N_("Choose one of the hub's tutors."))
    db.execute("INSERT OR IGNORE INTO class_tutors (class_id, tutor_id) VALUES (?, ?)", [class_id, tutor_id])


def remove_tutor(db: Database, class_id: int, tutor_id: str) -> None:
    db.execute("DELETE FROM class_tutors WHERE class_id = ? AND tutor_id = ?", [class_id, tutor_id])
