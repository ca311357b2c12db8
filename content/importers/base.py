"""What every importer shares: the interface, the preview, and the checks on a source path."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from content.errors import ContentError
from content.package import MAX_PACKAGE_BYTES

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class ImportOptions:
    """What a converted course gets when its source does not say (a PDF has no language)."""

    language: str = "en"
    publisher: str = "Imported locally"


@dataclass(frozen=True)
class CoursePreview:
    id: str
    title: str
    language: str
    lessons: int
    bytes: int
    version: int = 1


@dataclass(frozen=True)
class PathwayPlan:
    """A pathway a source brings with its courses (a Kolibri channel: its top topics, in order)."""

    key: str  # the source's own name for it ("kolibri:<channel id>"), so a re-import updates it
    title: str
    course_ids: tuple[str, ...]


@dataclass
class Preview:
    """What an import will bring in, shown before anything changes."""

    format: str
    source: Path
    courses: list[CoursePreview]
    total_bytes: int  # what the hub's blob store will hold
    work_bytes: int = 0  # what a conversion writes to the work folder on the way
    signed: bool = False  # the source carries a signature (checked against the hub's trusted keys)
    notes: list[str] = field(default_factory=list)
    renamable: bool = False  # converted here (not a signed package), so its course may take another id
    origin: str = ""  # how the hub marks what came in ("kolibri"); "" for a plain import
    pathways: list[PathwayPlan] = field(default_factory=list)


class Importer(Protocol):
    """One source format: recognise it, say what it holds, turn it into packages."""

    format: str

    def detect(self, path: Path) -> bool:
        """Whether `path` looks like this format (by name and shape; content is checked later)."""
        ...

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        """What importing `path` would bring in; raises ContentError when it cannot be imported."""
        ...

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        """Packages (directories or zips) for `library.import_package`, written below `work` if needed."""
        ...


def check_source(path: Path) -> int:
    """Refuse a missing, linked, empty or oversized source; return its size in bytes (0 for a folder)."""
    if path.is_symlink():
        raise ContentError(f"{path.name} is a symbolic link, which is not allowed")
    if path.is_dir():
        return 0
    if not path.is_file():
        raise ContentError(f"{path} does not exist")
    size = path.stat().st_size
    if size == 0:
        raise ContentError(f"{path.name} is empty (0 bytes)")
    if size > MAX_PACKAGE_BYTES:
        raise ContentError(f"{path.name} is larger than the {MAX_PACKAGE_BYTES // 1024**3} GB limit")
    return size


def title_from_name(name: str) -> str:
    """A title from a file's stem or a folder's name, as people number and join them:
    "01-oral_rehydration" -> "Oral rehydration" ("" when nothing is left)."""
    words = re.sub(r"[-_]+", " ", re.sub(r"^\d+[\s._-]+", "", name)).strip()
    return (words[:1].upper() + words[1:])[:200]
