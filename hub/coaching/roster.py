"""Who is in a class: its learners, finding learners of the hub to add, adding and removing them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from hub import names
from hub.coaching.classes import CoachingError
from hub.i18n import N_
from hub.learners import learner_code
from hub.library import now

PAGE_SIZE = 20


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    in_class: bool = True

    @property
    def code(self) -> str:
        return learner_code(self.id)


def members(db: Database, class_id: int) -> list[Member]:
    rows = db.execute(
        "SELECT l.id, l.name FROM class_learners cl JOIN learners l ON l.id = cl.learner_id"
        " WHERE cl.class_id = ? ORDER BY l.name_key",
        [class_id],
    ).fetchall()
    return [Member(*row) for row in rows]


def find_learners(db: Database, class_id: int, query: str, page: int) -> tuple[list[Member], bool]:
    """One page of the hub's learners whose name contains `query`, and whether there are more."""
    pattern = "%" + names.key(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.execute(
        "SELECT l.id, l.name, EXISTS (SELECT 1 FROM class_learners cl WHERE cl.class_id = ?"
        " AND cl.learner_id = l.id) FROM learners l WHERE l.role = 'learner' AND l.name IS NOT NULL"
        " AND NOT l.disabled AND l.name_key LIKE ? ESCAPE '\\' ORDER BY l.name_key LIMIT ? OFFSET ?",
        [class_id, pattern, PAGE_SIZE + 1, max(page, 0) * PAGE_SIZE],
    ).fetchall()
    return [Member(r[0], r[1], bool(r[2])) for r in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def add_learner(db: Database, class_id: int, learner_id: str) -> None:
    named = db.execute(
        "SELECT 1 FROM learners WHERE id = ? AND role = 'learner' AND name IS NOT NULL", [learner_id]
    ).fetchone()
    if named is None:
        raise CoachingError(N_("Choose a learner with a profile on this hub."))
    db.execute(
        "INSERT OR IGNORE INTO class_learners (class_id, learner_id, added_at) VALUES (?, ?, ?)",
        [class_id, learner_id, now()],
    )


def remove_learner(db: Database, class_id: int, learner_id: str) -> None:
    """Take a learner out of a class. Her rows in assignments chosen for some learners stay: removing
    them could leave such an assignment with nobody chosen, which means the whole class."""
    db.execute("DELETE FROM class_learners WHERE class_id = ? AND learner_id = ?", [class_id, learner_id])
