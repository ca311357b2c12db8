"""Importing what a tutor brings: preview with a disk check, then convert and import.

Every format ends in `library.import_package`, so all the checks and the one-transaction
visibility stay in one place. Conversions write to a work folder inside HUB_HOME (the same
disk as the blob store) that is removed when the import ends, however it ends.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from content.errors import ContentError
from content.importers import SOURCE_SUFFIXES, ImportOptions, Preview, importer_for
from content.importers.identity import key_hash
from content.model import parse_manifest
from content.package import MANIFEST, manifest_bytes, open_package
from content.paths import path_below
from content.writers import WriterClaim
from hub import library, library_keep, pathways, sources
from hub.home import WORK_FOLDER, Hub
from hub.settings import load_settings

Report = Callable[[int, int, str], None]  # (done, total, what is happening)

MARGIN_BYTES = library_keep.MARGIN_BYTES  # the disk keeps at least this much free after an import
IMPORT_ORIGIN = "import"  # brought in by a tutor or admin: tutors here may not rewrite it
UPLOAD_FOLDER = "uploads"
INCOMING_FOLDER = "incoming"  # uploads being received, named for the process receiving them
DEFAULT_SOURCE_ROOTS = ("/media", "/run/media", "/mnt")
MAX_SCAN_DEPTH = 4
MAX_SOURCES = 300


def free_bytes(path: Path) -> int:
    """Free space on the disk holding `path` (a function of its own so tests can shrink the disk)."""
    return shutil.disk_usage(path).free


def options_for(hub: Hub) -> ImportOptions:
    settings = load_settings(hub)
    return ImportOptions(language=settings.default_language, publisher=settings.hub_name)


@dataclass
class HubPreview:
    """An importer's preview plus what this hub makes of it: room on disk, courses it replaces."""

    preview: Preview
    needed_bytes: int
    free_bytes: int
    replaces: dict[str, int] = field(default_factory=dict)  # course id -> version on the hub now
    mark: sources.Source = field(default_factory=lambda: sources.Source(sources.LOCAL, "", None))
    refusals: list[str] = field(default_factory=list)  # why it may not replace what the hub has
    different: dict[str, str] = field(
        default_factory=dict
    )  # course id -> title of another course it replaces
    renames: dict[str, str] = field(default_factory=dict)  # course id -> the id it gets beside the other

    @property
    def fits(self) -> bool:
        return self.needed_bytes <= self.free_bytes

    @property
    def verified(self) -> bool:
        return self.mark.status == sources.VERIFIED


def _mark(hub: Hub, path: Path, preview: Preview) -> sources.Source:
    """Who signed a package, checked against the keys this hub trusts now (a bad signature raises)."""
    unsigned = sources.Source(sources.LOCAL, "", None)
    if not preview.signed:
        return unsigned
    trusted = sources.trusted_keys(hub.db)
    with open_package(path, [key.key for key in trusted]) as package:
        signer = package.signer
    if signer is None:
        return unsigned
    if signer.verified_by is not None:
        names = {key.key.id: key.name for key in trusted}
        return sources.Source(sources.VERIFIED, names.get(signer.key_id, signer.key_id), signer.key_id)
    return sources.Source(sources.UNTRUSTED, "", signer.key_id)


def _other_course(hub: Hub, path: Path, course_id: str, title: str, language: str) -> str | None:
    """The title of the hub's course `course_id` when it is plainly not the course `path` brings
    (another language, or another title from another file), or None when it is the same or absent."""
    row = hub.db.execute("SELECT title, language, manifest FROM courses WHERE id = ?", [course_id]).fetchone()
    if row is None:
        return None
    known = json.loads(row[2]).get("course", {}).get("sources", [])
    if row[1] != language or (row[0] != title and path.name not in known):
        return str(row[0])
    return None


def beside_id(course_id: str, path: Path) -> str:
    """The id a course gets when imported beside another of its id: the same again for the same file."""
    return f"{course_id[:70].rstrip('-')}-{key_hash(path.name, 6)}"


def preview_import(hub: Hub, path: Path, *, beside: bool = False) -> HubPreview:
    """What importing `path` brings in and whether it fits; raises ContentError if it cannot.

    `beside`: a converted course whose id a different course on the hub holds gets an id of its
    own instead of replacing that course.
    """
    preview = importer_for(path).preview(path, options_for(hub))
    needed = preview.total_bytes + preview.work_bytes + MARGIN_BYTES
    replaces, refusals, mark = {}, [], _mark(hub, path, preview)
    different: dict[str, str] = {}
    renames: dict[str, str] = {}
    for course in preview.courses:
        course_id = course.id
        other = _other_course(hub, path, course.id, course.title, course.language)
        if other is not None and beside and preview.renamable:
            course_id = renames[course.id] = beside_id(course.id, path)
            other = _other_course(hub, path, course_id, course.title, course.language)
        if other is not None:
            different[course_id] = other
        row = hub.db.execute("SELECT version FROM courses WHERE id = ?", [course_id]).fetchone()
        if row:
            replaces[course_id] = row[0]
        verified = mark.status == sources.VERIFIED
        if refusal := library.replacement_refusal(hub.db, course_id, course.version, verified):
            refusals.append(refusal)
    return HubPreview(preview, needed, free_bytes(hub.home), replaces, mark, refusals, different, renames)


def _rename(package: Path, renames: dict[str, str]) -> None:
    """Give a converted (unsigned, just written) package's course the id chosen for it."""
    manifest = parse_manifest(json.loads((package / MANIFEST).read_bytes()))
    if manifest.course.id in renames:
        course = manifest.course.model_copy(update={"id": renames[manifest.course.id]})
        (package / MANIFEST).write_bytes(manifest_bytes(manifest.model_copy(update={"course": course})))


def check_importable(checked: HubPreview) -> None:
    """Refuse what may not replace the hub's courses, or does not fit on its disk."""
    if checked.refusals:
        raise ContentError("; ".join(checked.refusals))
    if not checked.fits:
        raise ContentError(
            "there is not enough free disk space: this import needs about "
            f"{library_keep.human_size(checked.needed_bytes)} "
            f"(with a safety margin) and the hub has {library_keep.human_size(checked.free_bytes)} free. "
            "Remove a course you no longer need (Admin → Library, or `hub content remove`), "
            "or use a bigger disk, then try again."
        )


def run_import(
    hub: Hub,
    path: Path,
    report: Report | None = None,
    checked: HubPreview | None = None,
    *,
    allow_unverified: bool = False,
    beside: bool = False,
) -> list[library.ImportResult]:
    """Import `path` whole, or refuse it with a ContentError and leave the hub as it was.

    `checked` is a preview just made of the same path, to save reading the source again.
    `beside`: import a course beside a different one of its id rather than replace it.
    Unsigned content, or content signed by a key the hub does not trust, is refused
    (`UnverifiedContent`) unless a person chose to take it anyway (`allow_unverified`).
    """
    checked = checked or preview_import(hub, path, beside=beside)
    check_importable(checked)
    importer = importer_for(path)

    def converting(done: int, total: int) -> None:
        if report:
            report(done, total, f"Reading {path.name}")

    def copying(done: int, total: int) -> None:
        if report:
            report(done, total, f"Checking and copying {path.name}")

    # The work folder is named for this process, so one a killed import left goes at the next start.
    with WriterClaim(hub.home) as writer:
        work = hub.home / WORK_FOLDER / f"{writer}.{secrets.token_hex(8)}"
        try:
            packages = importer.convert(path, work, options_for(hub), converting)
            if checked.renames:
                for package in packages:
                    _rename(package, checked.renames)
            brought = checked.preview.pathways

            def with_pathways(db: Database) -> None:
                for plan in brought:
                    ids = [checked.renames.get(course_id, course_id) for course_id in plan.course_ids]
                    pathways.put_imported_pathway(db, plan.key, plan.title, ids)

            # Several packages (a Kolibri channel's courses) come in together or not at all.
            return library.import_packages(
                hub.db, hub.blobs, packages, origin=checked.preview.origin or IMPORT_ORIGIN,
                progress=copying, allow_unverified=allow_unverified,
                also=with_pathways if brought else None,
                owned=all(package.is_relative_to(work) for package in packages),
            )  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)


# Where a tutor may pick a file from: USB sticks and the folders an admin adds.


def source_roots(hub: Hub) -> list[Path]:
    """The folders offered for import that exist now: mount points, then the admin's folders."""
    names = [*DEFAULT_SOURCE_ROOTS, *load_settings(hub).import_folders]
    roots: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_absolute() and path.is_dir() and not path.is_symlink() and path not in roots:
            roots.append(path)
    return roots


@dataclass(frozen=True)
class Source:
    root: int  # index into source_roots()
    relative: str
    size: int
    is_folder: bool


def _importable_folder(path: Path) -> bool:
    try:
        importer_for(path)
    except (ContentError, OSError):
        return False
    return True


def find_sources(roots: list[Path]) -> list[Source]:
    """Files and folders below the roots that look importable; never follows a symbolic link."""
    found: list[Source] = []

    def walk(index: int, folder: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name.lower())
        except OSError:
            return
        for entry in entries:
            if len(found) >= MAX_SOURCES or entry.name.startswith(".") or entry.is_symlink():
                continue
            path = Path(entry.path)
            relative = path.relative_to(roots[index]).as_posix()
            if entry.is_file() and path.suffix.lower() in SOURCE_SUFFIXES:
                found.append(Source(index, relative, entry.stat().st_size, False))
            elif entry.is_dir():
                if _importable_folder(path):
                    found.append(Source(index, relative, 0, True))
                if depth < MAX_SCAN_DEPTH:
                    walk(index, path, depth + 1)

    for index, root in enumerate(roots):
        walk(index, root, 1)
    return found


def resolve_source(roots: list[Path], root: int, relative: str) -> Path:
    """The path a tutor chose, refused unless it lies inside an offered folder with no link on the way."""
    if not 0 <= root < len(roots):
        raise ContentError("that folder is not offered for import (was the USB stick removed?)")
    current = path_below(roots[root], relative)
    if not current.exists():
        raise ContentError(f"{relative!r} is not there any more (was the USB stick removed?)")
    return current


def upload_folder(hub: Hub) -> Path:
    return hub.home / UPLOAD_FOLDER
