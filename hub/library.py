"""The hub's library: importing packages into SQLite and reading courses back.

An import copies and verifies every blob first, then makes the course version visible
in one transaction; until that commit, learners see the previous version unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlite_utils import Database

from content.appzip import check_app_zip
from content.blobs import BlobBatch, BlobStore
from content.errors import ContentError
from content.h5p import check_h5p
from content.model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Course,
    FileRef,
    Lesson,
    Manifest,
    describe_validation_error,
)
from content.package import Package, Signer, decode_manifest, manifest_bytes, open_package
from content.pdfcheck import pdf_action
from content.signing import UnknownSigner, UnverifiedContent
from hub import blob_refs
from hub.db import transaction
from hub.sources import VERIFIED, Source, source_of, trusted_public_keys

Progress = Callable[[int, int], None]  # (bytes done, bytes total)

LIBRARY_GENERATION = "library_generation"
log = logging.getLogger(__name__)


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
    source: Source


@dataclass(frozen=True)
class ImportResult:
    course_id: str
    version: int
    title: str
    replaced_version: int | None
    signer: Signer | None


def _copy_blobs(package: Package, blobs: BlobStore, progress: Progress | None, owned: bool = False) -> None:
    """Copy the package's blobs into the store, checking each; `owned`: the package is the hub's own
    work folder, whose files the store may take by hard link (BlobBatch.adopt_file)."""
    files = package.manifest.files()
    total, done = sum(f.size for f in files.values()), 0
    with blobs.batch() as batch:
        for sha256, ref in files.items():
            if not blobs.has(sha256):
                try:
                    path = package.blob_path(sha256) if owned else None
                    if path is not None:
                        batch.adopt_file(path, sha256, ref.size)
                    else:
                        with package.open_blob(sha256) as handle:
                            batch.add_file(handle, sha256, ref.size)
                except ContentError as error:
                    raise ContentError(f"{ref.name!r}: {error}") from None
            done += ref.size
            if progress:
                progress(done, total)
        _refuse_active_pdfs(files.values(), batch)
        _refuse_unsafe_apps(package.manifest.lessons, batch)
        batch.publish()


def _refuse_active_pdfs(files: Iterable[FileRef], batch: BlobBatch) -> None:
    """Refuse a PDF that would run something in the reader's viewer (content/pdfcheck.py)."""
    for ref in files:
        if ref.media_type.split(";")[0].strip().lower() != "application/pdf":
            continue
        try:
            action = pdf_action(batch.path_of(ref.sha256))
        except ContentError as error:
            raise ContentError(f"{ref.name!r} is a PDF, but {error}") from None
        if action:
            raise ContentError(
                f"{ref.name!r} holds a {action[1:]} action, which would run in the reader's PDF viewer; "
                "the hub does not keep PDFs that run anything. Save it again without scripts "
                "(for example print it to a new PDF) and import that"
            )


_ZIP_CHECKS = {"html5": ("an HTML5 app", check_app_zip), "h5p": ("an H5P activity", check_h5p)}


def _refuse_unsafe_apps(lessons: Iterable[Lesson], batch: BlobBatch) -> None:
    """Refuse an HTML5 app zip or an H5P file that is unsafe or unusable: a zip bomb, paths out of
    it, links, no index.html (content/appzip.py), libraries missing (content/h5p.py)."""
    for lesson in lessons:
        if lesson.kind not in _ZIP_CHECKS:
            continue
        what, check = _ZIP_CHECKS[lesson.kind]
        ref = lesson.media[0]
        try:
            check(batch.path_of(ref.sha256))
        except ContentError as error:
            raise ContentError(f"lesson {lesson.id!r}: {ref.name!r} is {what}, but {error}") from None


def import_package(
    db: Database,
    blobs: BlobStore,
    path: Path,
    *,
    origin: str = "local",
    progress: Progress | None = None,
    allow_unverified: bool = False,
) -> ImportResult:
    """Import a package file or directory; refuse it whole if anything is wrong.

    A package signed by a key this hub trusts comes in verified. One that is unsigned, or
    signed by a key the hub does not know, is refused (UnverifiedContent) unless
    `allow_unverified` says a person chose to take it anyway; it is then marked unverified.
    A signature that is garbled or does not match is always refused.
    """
    return import_packages(
        db, blobs, [path], origin=origin, progress=progress, allow_unverified=allow_unverified
    )[0]


def import_packages(
    db: Database,
    blobs: BlobStore,
    paths: list[Path],
    *,
    origin: str = "local",
    progress: Progress | None = None,
    allow_unverified: bool = False,
    also: Callable[[Database], None] | None = None,
    owned: bool = False,
) -> list[ImportResult]:
    """Import several packages all or nothing (a Kolibri channel's courses): every package is
    checked and its blobs copied first, then all become visible in one transaction, together with
    `also(db)` (the pathway that holds them). Refused as import_package refuses one package.
    `owned`: the packages are the hub's own work folders (a conversion), so their files may be
    taken by hard link instead of copied."""
    with ExitStack() as stack:
        trusted = trusted_public_keys(db)
        packages = [stack.enter_context(open_package(path, trusted)) for path in paths]
        for package in packages:
            if not allow_unverified:
                _refuse_unverified(package.signer)
            _check_replacement(db, package.manifest, package.signer)
        for package in packages:
            _copy_blobs(package, blobs, progress, owned)
        with transaction(db):
            replaced = [_store_rows(db, package, origin, blobs) for package in packages]
            if also is not None:
                also(db)
    return [
        ImportResult(p.manifest.course.id, p.manifest.course.version, p.manifest.course.title, r, p.signer)
        for p, r in zip(packages, replaced, strict=True)
    ]


@dataclass(frozen=True)
class StagedPackage:
    """A package checked as an import checks it, its blobs in the store, not yet visible."""

    manifest: Manifest
    manifest_raw: bytes
    signature: bytes | None


def stage_package(
    db: Database, blobs: BlobStore, path: Path, *, allow_unverified: bool = False
) -> StagedPackage:
    """Everything import_package does but the last step: for an update that waits for a person's
    approval (hub/updates.py). Its blobs stay invisible until a course that uses them is imported."""
    with open_package(path, trusted_public_keys(db)) as package:
        if not allow_unverified:
            _refuse_unverified(package.signer)
        _check_replacement(db, package.manifest, package.signer)
        _copy_blobs(package, blobs, None)
        return StagedPackage(package.manifest, package.manifest_raw, package.signature)


def _refuse_unverified(signer: Signer | None) -> None:
    if signer is None:
        raise UnverifiedContent(
            "the package is not signed, so the hub cannot tell who made it; import it as unverified "
            "content only if you know where it comes from"
        )
    if signer.verified_by is None:
        raise UnknownSigner(signer.key_id)


def replacement_refusal(db: Database, course_id: str, version: int, verified: bool) -> str | None:
    """Why a package of `course_id` at `version` may not replace what the hub has, or None if it may.

    A retracted version (or course) is never taken in again. An older version never replaces a
    newer one. A course a trusted publisher signed is only replaced by a package a trusted
    publisher signed: otherwise an unsigned copy (a tampered
    stick) would swap its text and take its verified mark away without anyone noticing.
    """
    withdrawn = db.execute(  # hub/retractions.py
        "SELECT reason FROM retractions WHERE course_id = ? AND version IN (0, ?) ORDER BY version LIMIT 1",
        [course_id, version],
    ).fetchone()
    if withdrawn:
        return (
            f"version {version} of {course_id!r} was withdrawn by a signed retraction, so it is not taken "
            f"in again. The reason given: {withdrawn[0]}"
        )
    row = db.execute("SELECT c.version," + _WITH_SOURCE + " WHERE c.id = ?", [course_id]).fetchone()
    if row is None:
        return None
    existing, source = row[0], source_of(*row[1:])
    if existing > version:
        return (
            f"the hub already has version {existing} of {course_id!r}, "
            f"newer than this package's version {version}"
        )
    if source.status == VERIFIED and not verified:
        return (
            f"the hub has version {existing} of {course_id!r} signed by {source.name}, a publisher it "
            "trusts, and this package is not signed by a trusted publisher, so it may not replace it. "
            f"Ask {source.name} for a signed package, or give this course another id"
        )
    return None


def _check_replacement(db: Database, manifest: Manifest, signer: Signer | None) -> int | None:
    """The version the hub has now, refusing a package that may not replace it."""
    course = manifest.course
    verified = signer is not None and signer.verified_by is not None
    if refusal := replacement_refusal(db, course.id, course.version, verified):
        raise ContentError(refusal)
    existing = db.execute("SELECT version FROM courses WHERE id = ?", [course.id]).fetchone()
    return existing[0] if existing else None


def _store_rows(db: Database, package: Package, origin: str, blobs: BlobStore) -> int | None:
    """Make the course version visible (inside the caller's transaction); return the version it replaced."""
    manifest, raw, signer = package.manifest, package.manifest_raw, package.signer
    course = manifest.course
    replaced = _check_replacement(db, manifest, signer)  # again: another import may have committed
    if any(not blobs.has(sha256) for sha256 in manifest.files()):  # a removal freed one meanwhile
        raise ContentError("a file of this course was deleted while it was imported; import it again")
    db.execute("DELETE FROM lessons WHERE course_id = ?", [course.id])
    db.execute(
        "INSERT OR REPLACE INTO courses (id, version, title, summary, language, topics,"
        " publisher, cover_sha256, lesson_count, manifest, manifest_sha256, origin, imported_at,"
        " package_manifest, signature, signer_key_id, signer_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            course.id, course.version, course.title, course.summary, course.language,
            json.dumps(course.topics), course.publisher,
            course.cover.sha256 if course.cover else None, len(manifest.lessons),
            course.model_dump_json(), hashlib.sha256(raw).hexdigest(), origin, now(),
            raw, package.signature.decode() if package.signature else None,
            signer.key_id if signer else None,
            signer.verified_by.fingerprint if signer and signer.verified_by else None,
        ],
    )  # fmt: skip
    db.conn.executemany(
        "INSERT INTO lessons (course_id, id, position, title, kind, data) VALUES (?,?,?,?,?,?)",
        [
            (course.id, lesson.id, position, lesson.title, lesson.kind, lesson.model_dump_json())
            for position, lesson in enumerate(manifest.lessons)
        ],
    )
    blob_refs.count_course(db, course.id, manifest.files())  # its files' rows, and who uses each
    db.execute("DELETE FROM removed_courses WHERE id = ?", [course.id])
    if replaced is not None and replaced < course.version:  # for "updated since you finished it"
        db.execute(
            "INSERT OR REPLACE INTO course_updates (course_id, version, replaced_version, applied_at)"
            " VALUES (?, ?, ?, ?)",
            [course.id, course.version, replaced, now()],
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


# A course is verified while the key its signature was checked against is still trusted.
_WITH_SOURCE = (
    " c.origin, c.publisher, c.signer_key_id, t.name FROM courses c LEFT JOIN trusted_keys t"
    " ON t.key_id = c.signer_key_id AND t.public_key = c.signer_key"
)


def list_courses(db: Database) -> list[CourseCard]:
    rows = db.execute(
        "SELECT c.id, c.version, c.title, c.summary, c.language, c.topics, c.cover_sha256, c.lesson_count,"
        + _WITH_SOURCE
        + " WHERE c.id NOT IN (SELECT course_id FROM retracted_courses)"  # hub/retractions.py
        + " ORDER BY c.title COLLATE NOCASE"
    ).fetchall()
    return [
        CourseCard(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[9], r[6], r[7], r[8], source_of(*r[8:]))
        for r in rows
    ]


@dataclass(frozen=True)
class CourseDetail:
    course: Course
    origin: str
    lessons: list[Lesson]
    source: Source

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


def stored_lessons(db: Database, course_id: str) -> list[Lesson]:
    """A course's lessons as stored, leaving out (and logging) any this hub can no longer read back.

    An older hub kept a quiz's NaN answer as null; that one lesson must not take down every
    page of its course (nor search, nor an export).
    """
    lessons = []
    rows = db.execute("SELECT id, data FROM lessons WHERE course_id = ? ORDER BY position", [course_id])
    for lesson_id, data in rows.fetchall():
        try:
            lessons.append(Lesson.model_validate_json(data))
        except ValidationError as error:
            log.warning("lesson %s/%s cannot be read and is left out: %s", course_id, lesson_id,
                        describe_validation_error(error))  # fmt: skip
    return lessons


def get_course(db: Database, course_id: str) -> CourseDetail | None:
    row = db.execute("SELECT c.manifest," + _WITH_SOURCE + " WHERE c.id = ?", [course_id]).fetchone()
    if row is None:
        return None
    return CourseDetail(
        Course.model_validate_json(row[0]), row[1], stored_lessons(db, course_id), source_of(*row[1:])
    )


@dataclass(frozen=True)
class StoredPackage:
    """A course as it came in: the exact manifest bytes, its signature, and its files."""

    manifest_raw: bytes
    signature: bytes | None
    files: dict[str, Path]


def stored_package(db: Database, blobs: BlobStore, course_id: str) -> StoredPackage | None:
    """What an export writes, so the course imports elsewhere with the same bytes and signature.

    A course imported before the hub kept manifests gets its manifest made again from its
    rows (unsigned: a signature over other bytes would not match).
    """
    row = db.execute(
        "SELECT package_manifest, signature, manifest FROM courses WHERE id = ?", [course_id]
    ).fetchone()
    if row is None:
        return None
    raw, signature = row[0], row[1]
    if raw is None:
        manifest = Manifest(
            format=FORMAT_NAME, format_version=FORMAT_VERSION, course=Course.model_validate_json(row[2]),
            lessons=stored_lessons(db, course_id),
        )  # fmt: skip
        raw, signature = manifest_bytes(manifest), None
    files = {sha256: blobs.path(sha256) for sha256 in decode_manifest(raw).files()}
    return StoredPackage(raw, signature.encode() if signature else None, files)


def file_info(db: Database, sha256: str) -> tuple[int, str, str] | None:
    """(size, media type, name) of a file some course uses, or None."""
    row = db.execute("SELECT size, media_type, name FROM files WHERE sha256 = ?", [sha256]).fetchone()
    return (row[0], row[1], row[2]) if row else None
