"""The keepsakes made so far: one booklet or ZIM file per scope, reused while its fingerprint holds.

A scope is "course:<id>", "pathway:<id>" or "library". Its fingerprint names the course versions it
was made from (and the maker's layout version), so a new version of any of them makes it stale.
A keepsake's file is a blob in the hub's store, like a lesson file, but no course claims it
(hub/blob_refs.py): it is deleted here when the keepsake goes stale or its course goes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from content.blobs import BlobStore
from hub import library
from hub.db import transaction
from hub.pathways import get_pathway

BOOKLET, ZIM = "booklet", "zim"
FORMATS = (BOOKLET, ZIM)
LIBRARY = "library"
LAYOUT_VERSION = 1  # raise when the booklet or ZIM layout changes: every keepsake is made again


@dataclass(frozen=True)
class Keepsake:
    scope: str
    format: str
    fingerprint: str
    sha256: str
    size: int
    left_out: list[str]
    made_at: str


def course_scope(course_id: str) -> str:
    return f"course:{course_id}"


def pathway_scope(pathway_id: int | str) -> str:
    return f"pathway:{pathway_id}"


def scope_courses(db: Database, scope: str) -> list[tuple[str, int]] | None:
    """(course id, version) of each course a scope holds, in order; None when the scope is gone.

    Retracted courses are not kept: they must not travel any further."""
    retracted = {row[0] for row in db.execute("SELECT course_id FROM retracted_courses")}
    versions = {
        cid: version
        for cid, version in db.execute("SELECT id, version FROM courses").fetchall()
        if cid not in retracted
    }
    kind, _, name = scope.partition(":")
    if scope == LIBRARY:
        ids = [card.id for card in library.list_courses(db) if card.id in versions]
    elif kind == "course":
        ids = [name] if name in versions else []
    elif kind == "pathway" and name.isdigit() and (pathway := get_pathway(db, int(name))) is not None:
        ids = [cid for cid in pathway.course_ids if cid in versions]
    else:
        return None
    if not ids and scope != LIBRARY:
        return None
    return [(cid, versions[cid]) for cid in ids]


def fingerprint(db: Database, scope: str) -> str | None:
    """What a keepsake of this scope is made from now; None when the scope is gone."""
    courses = scope_courses(db, scope)
    if courses is None:
        return None
    return f"v{LAYOUT_VERSION};" + ",".join(f"{cid}@{version}" for cid, version in courses)


def _keepsake(row: tuple[object, ...]) -> Keepsake:
    scope, fmt, print_, sha256, size, left_out, made_at = row
    return Keepsake(
        str(scope), str(fmt), str(print_), str(sha256), int(size), json.loads(str(left_out)), str(made_at)
    )  # type: ignore[arg-type]


def current(db: Database, blobs: BlobStore, scope: str, fmt: str) -> Keepsake | None:
    """The keepsake of this scope and format if it is up to date and its file is there."""
    row = db.execute(
        "SELECT scope, format, fingerprint, sha256, size, left_out, made_at FROM keepsakes"
        " WHERE scope = ? AND format = ?",
        [scope, fmt],
    ).fetchone()
    if row is None:
        return None
    kept = _keepsake(row)
    if kept.fingerprint != fingerprint(db, scope) or not blobs.has(kept.sha256):
        return None
    return kept


def record(
    db: Database, scope: str, fmt: str, print_: str, sha256: str, size: int, left_out: list[str]
) -> bool:
    """Keep a finished file, in one transaction, only if the scope is still what it was made from.

    False (nothing recorded) when a course changed or went while the file was being made."""
    with transaction(db):
        if fingerprint(db, scope) != print_:
            return False
        db.execute(
            "INSERT INTO keepsakes (scope, format, fingerprint, sha256, size, left_out, made_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, format) DO UPDATE SET"
            " fingerprint = excluded.fingerprint, sha256 = excluded.sha256, size = excluded.size,"
            " left_out = excluded.left_out, made_at = excluded.made_at",
            [scope, fmt, print_, sha256, size, json.dumps(left_out), library.now()],
        )
    return True


def in_use(db: Database, sha256: str) -> bool:
    """Whether a course file or a keepsake uses this blob."""
    return bool(
        db.execute("SELECT 1 FROM files WHERE sha256 = ?", [sha256]).fetchone()
        or db.execute("SELECT 1 FROM keepsakes WHERE sha256 = ?", [sha256]).fetchone()
    )


def delete_unused(db: Database, blobs: BlobStore, sha256: str) -> None:
    """Delete a keepsake's file unless something still uses it."""
    if not in_use(db, sha256):
        blobs.path(sha256).unlink(missing_ok=True)


def forget_stale(db: Database, blobs: BlobStore) -> int:
    """Drop keepsakes whose scope is gone or changed, and their files; return how many."""
    rows = db.execute("SELECT scope, format, fingerprint, sha256 FROM keepsakes").fetchall()
    gone = 0
    for scope, fmt, print_, sha256 in rows:
        if fingerprint(db, scope) == print_:
            continue
        with transaction(db):
            db.execute(
                "DELETE FROM keepsakes WHERE scope = ? AND format = ? AND fingerprint = ?",
                [scope, fmt, print_],
            )
        delete_unused(db, blobs, sha256)
        gone += 1
    return gone
