"""Importing what a tutor brings: preview with a disk check, then convert and import.

Every format ends in `library.import_package`, so all the checks and the one-transaction
visibility stay in one place. Conversions write to a work folder inside HUB_HOME (the same
disk as the blob store) that is removed when the import ends, however it ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from content.errors import ContentError
from content.importers import SOURCE_SUFFIXES, ImportOptions, Preview, importer_for
from content.package import open_package
from content.paths import path_below
from content.writers import WriterClaim
from hub import library, library_keep, sources
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


def preview_import(hub: Hub, path: Path) -> HubPreview:
    """What importing `path` brings in and whether it fits; raises ContentError if it cannot."""
    preview = importer_for(path).preview(path, options_for(hub))
    needed = preview.total_bytes + preview.work_bytes + MARGIN_BYTES
    replaces, refusals, mark = {}, [], _mark(hub, path, preview)
    for course in preview.courses:
        row = hub.db.execute("SELECT version FROM courses WHERE id = ?", [course.id]).fetchone()
        if row:
            replaces[course.id] = row[0]
        verified = mark.status == sources.VERIFIED
        if refusal := library.replacement_refusal(hub.db, course.id, course.version, verified):
            refusals.append(refusal)
    return HubPreview(preview, needed, free_bytes(hub.home), replaces, mark, refusals)


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
) -> list[library.ImportResult]:
    """Import `path` whole, or refuse it with a ContentError and leave the hub as it was.

    `checked` is a preview just made of the same path, to save reading the source again.
    Unsigned content, or content signed by a key the hub does not trust, is refused
    (`UnverifiedContent`) unless a person chose to take it anyway (`allow_unverified`).
    """
    check_importable(checked or preview_import(hub, path))
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
            return [
                library.import_package(
                    hub.db, hub.blobs, package, origin=IMPORT_ORIGIN, progress=copying,
                    allow_unverified=allow_unverified,
                )
                for package in packages
            ]  # fmt: skip
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
