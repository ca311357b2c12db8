"""Keeping the library: removing a course, what the library takes on disk, and whether more fits.

`remove_course` is the one way a course leaves the hub (an admin's removal here; a retraction or
an update elsewhere may call it too). In one transaction the course, its lessons and its claims on
blobs go (hub/blob_refs.py); the blobs no other course uses are then deleted from the disk, each
only after checking, inside a write transaction, that no course took it up again meanwhile.
Learners' progress, quiz attempts and time spent stay: their pages show the course as removed,
by the title kept in `removed_courses`.

A resident watching a video of a removed course keeps watching: the file is unlinked, not
truncated, so the download already open reads to its end; the next request for it gets a 404.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlite_utils import Database

from content.blobs import BlobStore
from content.errors import ContentError
from content.model import FORMAT_NAME, FORMAT_VERSION, Course, FileRef, Manifest
from content.package import decode_manifest
from hub import blob_refs, library, search
from hub.db import transaction
from hub.home import Hub

SWEEP_BATCH = 500  # blobs deleted per write transaction (one disk flush each)
NEARLY_FULL = 0.85  # the storage view warns from here, before the disk is 90% full
MARGIN_BYTES = 200 * 1024**2  # as hub/imports.py: a download or import leaves this much free
PAGE_SIZE = 50
Progress = Callable[[int, int], None]  # (blobs deleted, blobs to delete)


# Counting courses imported before the hub kept reference counts ---------------------------


def _files_of(db: Database, course_id: str, raw: bytes | None, course_json: str) -> dict[str, FileRef]:
    if raw is not None:
        with contextlib.suppress(ContentError):
            return decode_manifest(raw).files()
    course = Course.model_validate_json(course_json)
    lessons = library.stored_lessons(db, course_id)
    if not lessons:
        return {course.cover.sha256: course.cover} if course.cover else {}
    manifest = Manifest(format=FORMAT_NAME, format_version=FORMAT_VERSION, course=course, lessons=lessons)
    return manifest.files()


def ensure_counted(db: Database) -> int:
    """Count the blobs of courses a hub imported before it kept counts (once); return how many."""
    rows = db.execute(
        "SELECT id, package_manifest, manifest FROM courses WHERE size_bytes IS NULL"
    ).fetchall()
    for course_id, raw, course_json in rows:
        try:
            files = _files_of(db, course_id, raw, course_json)
        except (ValidationError, ContentError):
            files = {}
        with transaction(db):
            blob_refs.count_course(db, course_id, files)
    return len(rows)


# Removing a course ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovalPlan:
    """What removing a course would do, for the confirmation an admin reads first."""

    course_id: str
    title: str
    language: str
    lesson_count: int
    size_bytes: int
    frees_bytes: int  # blobs only this course uses
    shared_bytes: int  # blobs other courses use too: they stay
    learners: int  # learners with progress in it (their records stay)


@dataclass(frozen=True)
class Removed:
    course_id: str
    title: str
    freed_bytes: int  # released by this removal
    deleted_bytes: int  # deleted from the disk now (with any left by an earlier cut)


def removal_plan(db: Database, course_id: str) -> RemovalPlan | None:
    ensure_counted(db)
    row = db.execute(
        "SELECT title, language, lesson_count, size_bytes, shared_bytes FROM courses WHERE id = ?",
        [course_id],
    ).fetchone()
    if row is None:
        return None
    frees = db.execute(
        "SELECT coalesce(sum(f.size), 0) FROM course_files cf JOIN files f ON f.sha256 = cf.sha256"
        " WHERE cf.course_id = ? AND f.users = 1",
        [course_id],
    ).fetchone()[0]
    learners = db.execute(
        "SELECT count(DISTINCT learner_id) FROM progress WHERE course_id = ?", [course_id]
    ).fetchone()[0]
    return RemovalPlan(course_id, row[0], row[1], row[2], row[3] or 0, frees, row[4], learners)


def remove_course(
    db: Database, blobs: BlobStore, course_id: str, progress: Progress | None = None
) -> Removed | None:
    """Remove a course and delete the blobs no other course uses; None if there is no such course.

    Learners' records of it stay, and so do retractions of it (they travel on). Call `refresh_search`
    afterwards where a search index is kept."""
    ensure_counted(db)
    with transaction(db):
        row = db.execute("SELECT title, language FROM courses WHERE id = ?", [course_id]).fetchone()
        if row is None:
            return None
        freed = blob_refs.forget_course(db, course_id)
        db.execute("DELETE FROM lessons WHERE course_id = ?", [course_id])
        db.execute("DELETE FROM courses WHERE id = ?", [course_id])
        for table in ("pending_versions", "course_updates"):  # its waiting versions go (hub/updates.py)
            db.execute(f"DELETE FROM {table} WHERE course_id = ?", [course_id])
        db.execute(
            "INSERT OR REPLACE INTO removed_courses (id, title, language, removed_at) VALUES (?, ?, ?, ?)",
            [course_id, row[0], row[1], library.now()],
        )
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [library.LIBRARY_GENERATION],
        )
    return Removed(course_id, row[0], freed, sweep_freed(db, blobs, progress))


def sweep_freed(db: Database, blobs: BlobStore, progress: Progress | None = None) -> int:
    """Delete from the disk the blobs released and not deleted yet; return the bytes deleted.

    Each is checked inside a write transaction: an import stores its course in one (and checks its
    blobs are there first), so either it took the blob up before (the blob stays) or it sees it gone
    and is refused whole, never left pointing at a missing file."""
    deleted, done = 0, 0
    total = db.execute("SELECT count(*) FROM freed_blobs").fetchone()[0]
    while batch := [row[0] for row in db.execute("SELECT sha256 FROM freed_blobs LIMIT ?", [SWEEP_BATCH])]:
        with transaction(db):
            used = {
                row[0]
                for row in db.execute(
                    "SELECT sha256 FROM files WHERE users > 0 AND sha256 IN (SELECT value FROM json_each(?))",
                    [blob_refs.json_list(batch)],
                )
            }
            for sha256 in batch:
                if sha256 not in used:
                    deleted += _unlink(blobs.path(sha256))
            db.execute(
                "DELETE FROM freed_blobs WHERE sha256 IN (SELECT value FROM json_each(?))",
                [blob_refs.json_list(batch)],
            )
        done += len(batch)
        if progress:
            progress(done, total)
    return deleted


def _unlink(path: Path) -> int:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return 0
    return size


def refresh_search(hub: Hub) -> None:
    """Bring the search index in step with the library now (a removed course found no more).

    In the web app this waits for the index's writer thread; from the command line it writes the
    index itself, unless the running hub holds it, which then follows within about a second."""
    index = search.index_for(hub, start=False)
    with contextlib.suppress(search.SearchBusy, search.IndexUnavailable):
        if index.preparing and not index.open():
            return  # no usable index here: it is rebuilt from SQLite when the hub next opens it
        index.sync(hub)


def removed_titles(db: Database, course_ids: list[str]) -> dict[str, str]:
    """The titles of these courses that were removed from the hub, by id."""
    rows = db.execute(
        "SELECT id, title FROM removed_courses WHERE id IN (SELECT value FROM json_each(?))"
        " AND id NOT IN (SELECT id FROM courses)",
        [blob_refs.json_list(course_ids)],
    )
    return dict(rows.fetchall())


@dataclass(frozen=True)
class RemovedCourse:
    """A course a learner started that is no longer on the hub, as her page lists it."""

    id: str
    title: str
    language: str
    lessons_done: int


def removed_courses_of(db: Database, learner_id: str) -> list[RemovedCourse]:
    """The removed courses she has progress in, most recently opened first."""
    rows = db.execute(
        """
        SELECT r.id, r.title, r.language, sum(p.completed_at IS NOT NULL) FROM progress p
        JOIN removed_courses r ON r.id = p.course_id
        WHERE p.learner_id = ? AND p.course_id NOT IN (SELECT id FROM courses)
        GROUP BY r.id ORDER BY max(p.last_opened_at) DESC
        """,
        [learner_id],
    )
    return [RemovedCourse(*row) for row in rows.fetchall()]


# What the library takes on disk ---------------------------------------------------------------


def disk_space(path: Path) -> tuple[int, int]:
    """(total, free) bytes of the disk holding `path` (a function of its own so tests can fill it)."""
    usage = shutil.disk_usage(path)
    return usage.total, usage.free


@dataclass(frozen=True)
class CourseSize:
    id: str
    title: str
    language: str
    lesson_count: int
    origin: str
    size_bytes: int
    shared_bytes: int

    @property
    def own_bytes(self) -> int:
        return self.size_bytes - self.shared_bytes


@dataclass(frozen=True)
class Storage:
    courses: list[CourseSize]  # one page, largest first
    course_count: int
    library_bytes: int  # every blob counted once
    disk_total: int
    disk_free: int
    page: int
    pages: int

    @property
    def used_fraction(self) -> float:
        return 1 - self.disk_free / self.disk_total if self.disk_total else 0.0

    @property
    def percent_used(self) -> int:
        return round(self.used_fraction * 100)

    @property
    def nearly_full(self) -> bool:
        return self.used_fraction >= NEARLY_FULL


def storage(db: Database, home: Path, page: int = 1, per_page: int = PAGE_SIZE) -> Storage:
    """One page of courses by size, and the totals: read from columns kept at each change."""
    ensure_counted(db)
    count = db.execute("SELECT count(*) FROM courses").fetchone()[0]
    pages = max(1, -(-count // per_page))
    page = min(max(1, page), pages)
    rows = db.execute(
        "SELECT id, title, language, lesson_count, origin, coalesce(size_bytes, 0), shared_bytes FROM courses"
        " ORDER BY size_bytes DESC, title COLLATE NOCASE, id LIMIT ? OFFSET ?",
        [per_page, (page - 1) * per_page],
    ).fetchall()
    total, free = disk_space(home)
    return Storage(
        [CourseSize(*row) for row in rows], count, blob_refs.library_bytes(db), total, free, page, pages
    )


# Whether something fits -----------------------------------------------------------------------


def human_size(size: int) -> str:
    """A size in English for command-line and log messages (pages use hub.i18n.file_size)."""
    for scale, unit in ((1024**3, "GB"), (1024**2, "MB")):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{max(size / 1024, 0.1) if size else 0:,.1f} KB"


def room_refusal(what: str, needed: int, free: int) -> str | None:
    """Why `needed` more bytes do not fit on a disk with `free` bytes (keeping a margin), or None."""
    if needed + MARGIN_BYTES <= free:
        return None
    return (
        f"{what} needs {human_size(needed)}; the hub has {human_size(free)} free "
        f"(and keeps {human_size(MARGIN_BYTES)} spare). Remove a course you no longer need "
        "(Admin → Library, or `hub content remove`) and try again"
    )


def missing_bytes(blobs: BlobStore, files: dict[str, FileRef]) -> int:
    """The bytes of these files the hub does not hold yet (what bringing them in adds)."""
    return sum(ref.size for sha256, ref in files.items() if not blobs.has(sha256))
