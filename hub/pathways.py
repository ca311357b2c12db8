"""Learning pathways: a titled, ordered series of published courses ("first aid → mental well-being").

Tutors make them; residents see them on the home page with their progress through each course.
A pathway names courses by id, so a new version of a course stays in its pathways; a course
that is no longer on the hub is skipped when the pathway is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from hub.db import transaction
from hub.i18n import N_
from hub.learners import LearnerError
from hub.library import now

MAX_TITLE = 120


class PathwayError(LearnerError):
    """A pathway change a tutor must correct; the message (translatable) says how."""


@dataclass(frozen=True)
class Pathway:
    id: int
    title: str
    course_ids: list[str]
    central_id: str | None = None  # made at the central server and copied here by sync


def list_pathways(db: Database) -> list[Pathway]:
    rows = db.execute("SELECT id, title, central_id FROM pathways ORDER BY id").fetchall()
    members = db.execute("SELECT pathway_id, course_id FROM pathway_courses ORDER BY position").fetchall()
    return [Pathway(pid, title, [c for p, c in members if p == pid], central) for pid, title, central in rows]


def get_pathway(db: Database, pathway_id: int) -> Pathway | None:
    return next((p for p in list_pathways(db) if p.id == pathway_id), None)


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise PathwayError(N_("Give the pathway a title of 1 to %(max)d characters."), max=MAX_TITLE)
    return title


def create_pathway(db: Database, title: str) -> int:
    title = _clean_title(title)
    cursor = db.execute("INSERT INTO pathways (title, created_at) VALUES (?, ?)", [title, now()])
    return int(cursor.lastrowid or 0)


def rename_pathway(db: Database, pathway_id: int, title: str) -> None:
    db.execute("UPDATE pathways SET title = ? WHERE id = ?", [_clean_title(title), pathway_id])


def put_imported_pathway(db: Database, key: str, title: str, course_ids: list[str]) -> int:
    """Make or bring up to date the pathway an import brings (a Kolibri channel's courses in its
    order), inside the import's own transaction: the same `key` is the same pathway, given the
    source's title and order again. Pathways a tutor made are never touched."""
    title = " ".join(title.split())[:MAX_TITLE] or key[:MAX_TITLE]
    row = db.execute("SELECT id FROM pathways WHERE import_key = ?", [key]).fetchone()
    if row:
        pathway_id = int(row[0])
        db.execute("UPDATE pathways SET title = ? WHERE id = ?", [title, pathway_id])
        db.execute("DELETE FROM pathway_courses WHERE pathway_id = ?", [pathway_id])
    else:
        cursor = db.execute(
            "INSERT INTO pathways (title, created_at, import_key) VALUES (?, ?, ?)", [title, now(), key]
        )
        pathway_id = int(cursor.lastrowid or 0)
    db.conn.executemany(
        "INSERT INTO pathway_courses (pathway_id, position, course_id) VALUES (?, ?, ?)",
        [(pathway_id, position, course_id) for position, course_id in enumerate(dict.fromkeys(course_ids))],
    )
    return pathway_id


def delete_pathway(db: Database, pathway_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM pathway_courses WHERE pathway_id = ?", [pathway_id])
        db.execute("DELETE FROM pathways WHERE id = ?", [pathway_id])


def add_course(db: Database, pathway_id: int, course_id: str) -> None:
    if db.execute("SELECT 1 FROM courses WHERE id = ?", [course_id]).fetchone() is None:
        raise PathwayError(N_("Choose a course that is published on this hub."))
    with transaction(db):
        if db.execute(
            "SELECT 1 FROM pathway_courses WHERE pathway_id = ? AND course_id = ?", [pathway_id, course_id]
        ).fetchone():
            raise PathwayError(N_("This course is already in the pathway."))
        db.execute(
            "INSERT INTO pathway_courses (pathway_id, position, course_id) VALUES"
            " (?, (SELECT coalesce(max(position), -1) + 1 FROM pathway_courses WHERE pathway_id = ?), ?)",
            [pathway_id, pathway_id, course_id],
        )


def remove_course(db: Database, pathway_id: int, course_id: str) -> None:
    db.execute("DELETE FROM pathway_courses WHERE pathway_id = ? AND course_id = ?", [pathway_id, course_id])


def move_course(db: Database, pathway_id: int, course_id: str, step: int) -> None:
    """Move a course one place earlier (step -1) or later (+1); at an end it stays put."""
    with transaction(db):
        order = [
            c
            for (c,) in db.execute(
                "SELECT course_id FROM pathway_courses WHERE pathway_id = ? ORDER BY position", [pathway_id]
            ).fetchall()
        ]
        if course_id not in order:
            return
        index = order.index(course_id)
        target = min(max(index + step, 0), len(order) - 1)
        order.insert(target, order.pop(index))
        db.conn.executemany(
            "UPDATE pathway_courses SET position = ? WHERE pathway_id = ? AND course_id = ?",
            [(position, pathway_id, c) for position, c in enumerate(order)],
        )
