"""The hub's library: importing packages into SQLite and reading courses back.

An import copies and verifies every blob first, then makes the course version visible
in one transaction; until that commit, learners see the previous version unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from content.blobs import BlobStore
from content.errors import ContentError
from content.model import Course, Lesson, Manifest
from content.package import Package, open_package
from hub.db import transaction

Progress = Callable[[int, int], None]  # (bytes done, bytes total)

LIBRARY_GENERATION = "library_generation"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CourseCard:
    """What a list of courses shows about each one."""

    id: str
    version: int
    title: str
    summary: str
    language: str
    topics: list[str]
    publisher: str
    cover_sha256: str | None
    lesson_count: int
    origin: str


@dataclass(frozen=True)
class ImportResult:
    course_id: str
    version: int
    title: str
    replaced_version: int | None


def _copy_blobs(package: Package, blobs: BlobStore, progress: Progress | None) -> None:
    files = package.manifest.files()
    total, done = sum(f.size for f in files.values()), 0
    for sha256, ref in files.items():
        if not blobs.has(sha256):
            try:
                with package.open_blob(sha256) as handle:
                    blobs.put_file(handle, sha256, ref.size)
            except ContentError as error:
                raise ContentError(f"{ref.name!r}: {error}") from None
        done += ref.size
        if progress:
            progress(done, total)


def import_package(
    db: Database,
    blobs: BlobStore,
    path: Path,
    *,
    origin: str = "local",
    progress: Progress | None = None,
) -> ImportResult:
    """Import a package file or directory; refuse it whole if anything is wrong."""
    with open_package(path) as package:
        manifest = package.manifest
        course = manifest.course
        _refuse_older(db, manifest)
        _copy_blobs(package, blobs, progress)
        replaced = _store_course(db, manifest, package.manifest_raw, origin)
    return ImportResult(course.id, course.version, course.title, replaced)


def _refuse_older(db: Database, manifest: Manifest) -> int | None:
    """The version the hub has now, refusing a package older than it."""
    course = manifest.course
    existing = db.execute("SELECT version FROM courses WHERE id = ?", [course.id]).fetchone()
    if existing and existing[0] > course.version:
        raise ContentError(
            f"the hub already has version {existing[0]} of {course.id!r}, "
            f"newer than this package's version {course.version}"
        )
    return existing[0] if existing else None


def _store_course(db: Database, manifest: Manifest, raw: bytes, origin: str) -> int | None:
    """Make the course version visible in one transaction; return the version it replaced."""
    course = manifest.course
    with transaction(db):
        replaced = _refuse_older(db, manifest)  # again: another import may have committed meanwhile
        db.execute("DELETE FROM lessons WHERE course_id = ?", [course.id])
        db.execute(
            "INSERT OR REPLACE INTO courses (id, version, title, summary, language, topics,"
            " publisher, cover_sha256, lesson_count, manifest, manifest_sha256, origin, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                course.id, course.version, course.title, course.summary, course.language,
                json.dumps(course.topics), course.publisher,
                course.cover.sha256 if course.cover else None, len(manifest.lessons),
                course.model_dump_json(), hashlib.sha256(raw).hexdigest(), origin, now(),
            ],
        )  # fmt: skip
        db.conn.executemany(
            "INSERT INTO lessons (course_id, id, position, title, kind, data) VALUES (?,?,?,?,?,?)",
            [
                (course.id, lesson.id, position, lesson.title, lesson.kind, lesson.model_dump_json())
                for position, lesson in enumerate(manifest.lessons)
            ],
        )
        db.conn.executemany(
            "INSERT OR IGNORE INTO files (sha256, size, media_type, name) VALUES (?, ?, ?, ?)",
            [(f.sha256, f.size, f.media_type, f.name) for f in manifest.files().values()],
        )
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [LIBRARY_GENERATION],
        )
    return replaced


def library_generation(db: Database) -> int:
    """A number that changes whenever a course is imported, for caches to compare."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [LIBRARY_GENERATION]).fetchone()
    return int(row[0]) if row else 0


def list_courses(db: Database) -> list[CourseCard]:
    rows = db.execute(
        "SELECT id, version, title, summary, language, topics, publisher, cover_sha256,"
        " lesson_count, origin FROM courses ORDER BY title COLLATE NOCASE"
    ).fetchall()
    return [CourseCard(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8], r[9]) for r in rows]


@dataclass(frozen=True)
class CourseDetail:
    course: Course
    origin: str
    lessons: list[Lesson]

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


def get_course(db: Database, course_id: str) -> CourseDetail | None:
    row = db.execute("SELECT manifest, origin FROM courses WHERE id = ?", [course_id]).fetchone()
    if row is None:
        return None
    lessons = db.execute(
        "SELECT data FROM lessons WHERE course_id = ? ORDER BY position", [course_id]
    ).fetchall()
    return CourseDetail(
        Course.model_validate_json(row[0]),
        row[1],
        [Lesson.model_validate_json(data) for (data,) in lessons],
    )


def file_info(db: Database, sha256: str) -> tuple[int, str, str] | None:
    """(size, media type, name) of a file some course uses, or None."""
    row = db.execute("SELECT size, media_type, name FROM files WHERE sha256 = ?", [sha256]).fetchone()
    return (row[0], row[1], row[2]) if row else None
