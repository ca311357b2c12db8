"""Read an author's folder: `course.toml` plus one Markdown file per lesson.

The folder format is described in docs/authoring.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from content.blobs import hash_file
from content.decoding import load_toml
from content.errors import ContentError
from content.h5p import h5p_text
from content.model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Course,
    Lesson,
    Manifest,
    describe_validation_error,
    parse_manifest,
)
from content.paths import decode_text, media_type_for, read_small_file, safe_file

_LESSON_FILE = re.compile(r"^(?:\d+[-_])?(?P<id>[a-z0-9][a-z0-9-]*)\.md$")
_COURSE_FILE_FIELDS = {"cover"}
H5P_TEXT_CHARS = 200_000  # an H5P lesson's own words, when its author wrote no text version


@dataclass(frozen=True)
class AuthorCourse:
    """A validated course read from an author's folder, with the files it needs."""

    manifest: Manifest
    files: dict[str, Path]  # sha256 -> file on disk


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """Split `+++` TOML front matter from the Markdown body."""
    text = text.lstrip("\ufeff")
    if not text.startswith("+++"):
        raise ContentError(f"{where}: a lesson must start with front matter between '+++' lines")
    end = re.search(r"^\+\+\+[ \t]*$", text[3:], flags=re.MULTILINE)
    if not end:
        raise ContentError(f"{where}: the front matter has no closing '+++' line")
    raw = text[3 : 3 + end.start()]
    body = text[3 + end.end() :].lstrip("\r\n")
    return load_toml(raw, f"{where}: the front matter"), body


@lru_cache(maxsize=512)
def _hash(path: Path, size: int, mtime_ns: int) -> tuple[str, int]:
    """hash_file, remembered while a file keeps its size and time (an editor re-checks often)."""
    return hash_file(path)


class _FileCollector:
    """Turns paths written by the author into file references, remembering where they are."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Path] = {}

    def ref(self, name: object, where: str) -> dict[str, Any]:
        if not isinstance(name, str):
            raise ContentError(f"{where}: a file must be given as a path, not {name!r}")
        try:
            path = safe_file(self.root, name)
        except ContentError as error:
            raise ContentError(f"{where}: {error}") from None
        stat = path.stat()
        sha256, size = _hash(path, stat.st_size, stat.st_mtime_ns)
        self.files[sha256] = path
        return {"sha256": sha256, "size": size, "media_type": media_type_for(name), "name": path.name}


def lesson_id_for(file_name: str) -> str:
    """The lesson id a lesson file name gives: `01-wash-hands.md` -> `wash-hands`."""
    match = _LESSON_FILE.match(file_name)
    if not match:
        raise ContentError(f"{file_name}: lesson file names look like '01-my-lesson.md'")
    return match["id"]


def _lesson_entry(where: str, text: str, files: _FileCollector) -> dict[str, Any]:
    lesson_id = lesson_id_for(where)
    meta, body = split_front_matter(text, where)
    entry: dict[str, Any] = {**meta, "id": lesson_id, "text": body}
    media = meta.get("media", [])
    entry["media"] = [files.ref(m, where) for m in ([media] if isinstance(media, str) else media)]
    if "poster" in meta:
        entry["poster"] = files.ref(meta["poster"], where)
    entry["captions"] = [{**c, "file": files.ref(c.get("file"), where)} for c in meta.get("captions", [])]
    entry["images"] = [{**i, "file": files.ref(i.get("file"), where)} for i in meta.get("images", [])]
    if meta.get("kind") == "h5p" and not body.strip() and len(entry["media"]) == 1:
        # An H5P activity without a written text version gets its own words (questions, answers).
        entry["text"] = h5p_text(files.files[entry["media"][0]["sha256"]], H5P_TEXT_CHARS)
    return entry


def _validated(model: type[Lesson] | type[Course], data: dict[str, Any], where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ContentError(f"{where}: {describe_validation_error(error)}") from None


def check_lesson(root: Path, file_name: str, text: str) -> tuple[Lesson, dict[str, Path]]:
    """Validate one lesson file's text exactly as the folder reader would, without writing it.

    Returns the lesson and the files it uses (sha256 -> file on disk).
    """
    files = _FileCollector(root)
    return _validated(Lesson, _lesson_entry(file_name, text, files), file_name), files.files


def check_course(root: Path, course: dict[str, Any]) -> Course:
    """Validate what course.toml would hold (its `cover` a path in `root`), without writing it."""
    files, course = _FileCollector(root), dict(course)
    for field in _COURSE_FILE_FIELDS & course.keys():
        course[field] = files.ref(course[field], "course.toml")
    return _validated(Course, course, "course.toml")


MAX_TEXT_FILE_BYTES = 2 * 1024 * 1024  # course.toml or one lesson's Markdown: text, never this big


def read_author_folder(root: Path) -> AuthorCourse:
    """Read and validate an author's course folder."""
    if not root.is_dir():
        raise ContentError(f"{root} is not a folder")
    course_file = root / "course.toml"
    if not course_file.is_file():
        raise ContentError(f"{root} has no course.toml")
    text = decode_text(read_small_file(root, "course.toml", MAX_TEXT_FILE_BYTES), "course.toml")
    course = load_toml(text, "course.toml")
    files = _FileCollector(root)
    for field in _COURSE_FILE_FIELDS & course.keys():
        course[field] = files.ref(course[field], "course.toml")
    lesson_paths = sorted(p for p in root.glob("*.md") if p.name.lower() != "readme.md")
    if not lesson_paths:
        raise ContentError(f"{root} has no lesson files (*.md)")
    lessons = [
        _lesson_entry(p.name, decode_text(read_small_file(root, p.name, MAX_TEXT_FILE_BYTES), p.name), files)
        for p in lesson_paths
    ]
    manifest = parse_manifest(
        {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "course": course, "lessons": lessons}
    )
    return AuthorCourse(manifest=manifest, files=files.files)
