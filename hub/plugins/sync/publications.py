"""What the central server publishes besides courses: its learning pathways (hub/pathways.py).

The centre lists its own pathways in its catalog, which it signs with its content key
(api.catalog), so a hub trusts them as it trusts the course list. After a sync has brought the
courses in, the hub makes each listed pathway its own copy, marked with the centre's id for it
(pathways.central_id): made when new, renamed and reordered as the centre's changes, and removed
when the centre no longer lists it. Pathways the hub's tutors made have no central id and are
never touched. A course the hub could not bring in is left out of its copy (the pathway is still
made with the courses it has); the next sync adds it once the course is there.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlite_utils import Database

from content.package import canonical_json
from hub.library import now
from hub.pathways import MAX_TITLE

# When the catalog whose pathways this hub holds was issued (by sync or stick): an older one, on a
# stick that lay in a drawer, must not bring back what the centre changed since.
TAKEN_SETTING = "pathways_issued_at"


class UnreadablePathways(ValueError):
    """The catalog's list of pathways is not the shape a centre writes."""


def published_pathways(db: Database) -> list[dict[str, Any]]:
    """This centre's own pathways, as its catalog lists them: id, title, courses in order, version.

    The version is a digest of the title and the courses, so it changes whenever the pathway does."""
    rows = db.execute("SELECT id, title FROM pathways WHERE central_id IS NULL ORDER BY id").fetchall()
    members = db.execute(
        "SELECT m.pathway_id, m.course_id FROM pathway_courses m JOIN pathways p ON p.id = m.pathway_id"
        " WHERE p.central_id IS NULL ORDER BY m.pathway_id, m.position"
    ).fetchall()
    listed = []
    for pathway_id, title in rows:
        courses = [course for owner, course in members if owner == pathway_id]
        version = hashlib.sha256(canonical_json({"courses": courses, "title": title})).hexdigest()[:16]
        listed.append({"id": str(pathway_id), "title": title, "courses": courses, "version": version})
    return listed


def _read(listed: Any) -> list[tuple[str, str, list[str]]]:
    """(central id, title, course ids) of each pathway listed; UnreadablePathways if any is malformed."""
    if not isinstance(listed, list):
        raise UnreadablePathways("the pathways are not a list")
    read = []
    for entry in listed:
        try:
            central_id, title, courses = entry["id"], " ".join(entry["title"].split()), entry["courses"]
        except (KeyError, TypeError, AttributeError):
            raise UnreadablePathways("a pathway lacks its id, title or courses") from None
        if not (isinstance(central_id, str) and central_id and 0 < len(title) <= MAX_TITLE):
            shown = str(central_id)[:30]
            raise UnreadablePathways(f"pathway {shown!r} has no id, or no title of 1 to {MAX_TITLE} letters")
        if not isinstance(courses, list) or not all(isinstance(c, str) for c in courses):
            raise UnreadablePathways(f"the courses of pathway {central_id!r} are not a list of course ids")
        read.append((central_id, title, list(dict.fromkeys(courses))))
    return read


def take_pathways(db: Database, listed: Any) -> None:
    """Make this hub's copies of the centre's pathways match `listed` (checked whole first).
    Call in a transaction."""
    pathways = _read(listed)
    held = {row[0] for row in db.execute("SELECT id FROM courses")}
    for central_id, title, courses in pathways:
        row = db.execute("SELECT id FROM pathways WHERE central_id = ?", [central_id]).fetchone()
        if row is None:
            cursor = db.execute(
                "INSERT INTO pathways (title, created_at, central_id) VALUES (?, ?, ?)",
                [title, now(), central_id],
            )
            pathway_id = int(cursor.lastrowid or 0)
        else:
            pathway_id = row[0]
            db.execute("UPDATE pathways SET title = ? WHERE id = ?", [title, pathway_id])
        _set_courses(db, pathway_id, [course for course in courses if course in held])
    kept = [central_id for central_id, _, _ in pathways]
    db.execute(
        "DELETE FROM pathways WHERE central_id IS NOT NULL"
        " AND central_id NOT IN (SELECT value FROM json_each(?))",
        [canonical_json(kept).decode()],
    )


def _set_courses(db: Database, pathway_id: int, courses: list[str]) -> None:
    current = [
        row[0]
        for row in db.execute(
            "SELECT course_id FROM pathway_courses WHERE pathway_id = ? ORDER BY position", [pathway_id]
        )
    ]
    if current == courses:
        return
    db.execute("DELETE FROM pathway_courses WHERE pathway_id = ?", [pathway_id])
    db.conn.executemany(
        "INSERT INTO pathway_courses (pathway_id, position, course_id) VALUES (?, ?, ?)",
        [(pathway_id, position, course) for position, course in enumerate(courses)],
    )
