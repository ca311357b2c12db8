"""Write an author's folder: the inverse of content/author.py.

The web authoring screens write through these functions, so what they produce is exactly
what a tutor with a text editor would write and what `hub content build` reads.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import tomli_w

from content.model import Course, FileRef, Lesson, Manifest

MEDIA_FOLDER = "media"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` all at once: a reader (or a power cut) sees old or new, never half."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with part.open("xb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def course_toml(course: dict[str, Any]) -> str:
    return tomli_w.dumps({key: value for key, value in course.items() if value not in (None, "", [])})


def lesson_text(meta: dict[str, Any], body: str) -> str:
    """A lesson file: TOML front matter between `+++` lines, then the Markdown body."""
    body = body.replace("\r\n", "\n").rstrip()
    return f"+++\n{tomli_w.dumps(meta)}+++\n" + (f"{body}\n" if body.strip() else "")


def lesson_file_name(position: int, lesson_id: str) -> str:
    """`01-wash-hands.md`; the number keeps the order, the rest is the lesson's id."""
    return f"{position:02d}-{lesson_id}.md"


def lesson_front_matter(lesson: Lesson, path_of: Callable[[FileRef], str]) -> dict[str, Any]:
    """The front matter that reads back as `lesson` (its body is `lesson.text`)."""
    meta: dict[str, Any] = {"title": lesson.title, "kind": lesson.kind}
    if lesson.minutes:
        meta["minutes"] = lesson.minutes
    if lesson.media:
        meta["media"] = [path_of(ref) for ref in lesson.media]
    if lesson.poster:
        meta["poster"] = path_of(lesson.poster)
    if lesson.kind == "quiz":
        meta["pass_mark"] = lesson.pass_mark
        meta["questions"] = [q.model_dump(exclude_defaults=True) for q in lesson.questions]
    if lesson.captions:
        meta["captions"] = [
            {"file": path_of(c.file), "language": c.language, "label": c.label} for c in lesson.captions
        ]
    if lesson.images:
        meta["images"] = [
            {"file": path_of(i.file), "alt": i.alt, **({"caption": i.caption} if i.caption else {})}
            for i in lesson.images
        ]
    return meta


def course_fields(course: Course, path_of: Callable[[FileRef], str]) -> dict[str, Any]:
    data = course.model_dump(mode="json", exclude={"cover"})
    if course.cover:
        data["cover"] = path_of(course.cover)
    return data


def write_author_folder(manifest: Manifest, blob_file: Callable[[str], Path], dest: Path) -> None:
    """Write a manifest back out as an author folder at `dest` (which must not exist yet).

    Files come from `blob_file(sha256)`; they are hard-linked when the file system allows
    (blobs never change in place), copied otherwise. The folder appears whole or not at all.
    """
    part = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
    (part / MEDIA_FOLDER).mkdir(parents=True)
    paths: dict[str, str] = {}
    used: set[str] = set()

    def path_of(ref: FileRef) -> str:
        if ref.sha256 not in paths:
            name = PurePosixPath(ref.name).name
            if name.lower() in used:
                name = f"{ref.sha256[:8]}-{name}"
            used.add(name.lower())
            paths[ref.sha256] = f"{MEDIA_FOLDER}/{name}"
            _link_or_copy(blob_file(ref.sha256), part / MEDIA_FOLDER / name)
        return paths[ref.sha256]

    try:
        (part / "course.toml").write_text(course_toml(course_fields(manifest.course, path_of)), "utf-8")
        for position, lesson in enumerate(manifest.lessons, start=1):
            text = lesson_text(lesson_front_matter(lesson, path_of), lesson.text)
            (part / lesson_file_name(position, lesson.id)).write_text(text, "utf-8")
        part.rename(dest)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
