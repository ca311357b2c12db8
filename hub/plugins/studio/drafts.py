"""Drafts: author folders under HUB_HOME/drafts/<course_id>/, written by the studio's screens.

A draft is exactly what a tutor with a text editor would write (docs/authoring.md): course.toml,
one `NN-lesson-id.md` per lesson in order, and media/. Every change is checked with the same
reader `hub content build` uses before it is written, and written atomically, so a bad form
never damages a draft. Drafts live only on disk, never in the database: residents cannot see
them in lists, search, the API or by address.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from content.author import check_course, check_lesson, lesson_id_for, split_front_matter
from content.author_writer import (
    MEDIA_FOLDER,
    course_toml,
    lesson_file_name,
    lesson_text,
    write_atomic,
    write_author_folder,
)
from content.blobs import CHUNK
from content.errors import ContentError
from content.model import FORMAT_NAME, FORMAT_VERSION, ID_PATTERN, LESSON_KINDS, Manifest, slug
from content.paths import safe_file
from hub.home import Hub
from hub.i18n import N_
from hub.learners import LearnerError

DRAFTS_FOLDER = "drafts"
MAX_UPLOAD_BYTES = 1024**3  # a phone video of several minutes; the Pi's card is small
EDITABLE_ORIGINS = frozenset({"local"})  # signed courses from elsewhere are not rewritten here


class StudioError(LearnerError):
    """A draft change a tutor must correct; the message (translatable) says how."""


class DraftProblem(Exception):
    """The content reader refused a change; the message is its plain description."""


@dataclass
class DraftLesson:
    id: str
    file_name: str
    meta: dict[str, Any]
    body: str
    problem: str = ""  # set when a hand-edited file cannot be read

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "article"))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.id))


@dataclass
class Draft:
    course_id: str
    root: Path
    course: dict[str, Any]
    lessons: list[DraftLesson] = field(default_factory=list)

    def lesson(self, lesson_id: str) -> DraftLesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)


def drafts_home(hub: Hub) -> Path:
    return hub.home / DRAFTS_FOLDER


def _folder(hub: Hub, course_id: str) -> Path | None:
    return drafts_home(hub) / course_id if re.fullmatch(ID_PATTERN, course_id) else None


def load_draft(hub: Hub, course_id: str) -> Draft | None:
    root = _folder(hub, course_id)
    if root is None or not (root / "course.toml").is_file():
        return None
    course = tomllib.loads((root / "course.toml").read_text(encoding="utf-8"))
    lessons = []
    for path in sorted(p for p in root.glob("*.md") if p.name.lower() != "readme.md"):
        try:
            meta, body = split_front_matter(path.read_text(encoding="utf-8"), path.name)
            lessons.append(DraftLesson(lesson_id_for(path.name), path.name, meta, body))
        except ContentError as error:
            lessons.append(DraftLesson(path.stem, path.name, {"title": path.name}, "", str(error)))
    return Draft(course_id, root, course, lessons)


def list_drafts(hub: Hub) -> list[Draft]:
    home = drafts_home(hub)
    found = (load_draft(hub, p.name) for p in sorted(home.iterdir())) if home.is_dir() else ()
    return [draft for draft in found if draft is not None]


def unique_id(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… when it is taken."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _problem(error: ContentError, where: str) -> DraftProblem:
    """The reader's message without the file name it starts with (the form shows where)."""
    return DraftProblem(str(error).removeprefix(f"{where}: "))


# --- the course -------------------------------------------------------------------------


def check_course_fields(root: Path, course: dict[str, Any]) -> None:
    try:
        check_course(root, course)
    except ContentError as error:
        raise _problem(error, "course.toml") from None


def create_draft(hub: Hub, course: dict[str, Any]) -> Draft:
    """A new, empty draft; its id comes from the title and language."""
    taken = {c.id for c in hub.courses()} | {d.course_id for d in list_drafts(hub)}
    base = slug(f"{course.get('title', '')}-{course.get('language', '')}", "course", 40)
    course_id = unique_id(base, taken)
    root = drafts_home(hub) / course_id
    course = {"id": course_id, "version": 1, **course}
    check_course_fields(root.parent, course)
    root.mkdir(parents=True)
    (root / MEDIA_FOLDER).mkdir()
    write_atomic(root / "course.toml", course_toml(course))
    draft = load_draft(hub, course_id)
    assert draft is not None
    return draft


def save_course(draft: Draft, course: dict[str, Any]) -> None:
    merged = {**draft.course, **course, "id": draft.course_id}
    check_course_fields(draft.root, merged)
    write_atomic(draft.root / "course.toml", course_toml(merged))
    draft.course = merged


def start_from_published(hub: Hub, course_id: str) -> Draft:
    """A draft written out from the published course, lesson ids kept (learners' progress follows them)."""
    existing = load_draft(hub, course_id)
    if existing is not None:
        return existing
    detail = hub.course(course_id)
    if detail is None or detail.origin not in EDITABLE_ORIGINS:
        raise StudioError(N_("Only courses made on this hub can be edited here."))
    drafts_home(hub).mkdir(exist_ok=True)
    manifest = Manifest(
        format=FORMAT_NAME, format_version=FORMAT_VERSION, course=detail.course, lessons=detail.lessons
    )
    write_author_folder(manifest, hub.blobs.path, drafts_home(hub) / course_id)
    draft = load_draft(hub, course_id)
    assert draft is not None
    return draft


def recover_interrupted_publishing(hub: Hub) -> list[str]:
    """Give back the drafts whose publishing a crash or power cut interrupted.

    `publish` moves a draft to `.publishing-<id>-<token>` while it builds and imports; if the
    hub died then, the tutor's work is there. It comes back as a draft (when the import had
    committed, the tutor sees a draft of what is published and may delete it).
    """
    home = drafts_home(hub)
    recovered = []
    for folder in sorted(home.glob(".publishing-*")) if home.is_dir() else ():
        course_id = folder.name.removeprefix(".publishing-").rpartition("-")[0]
        target = _folder(hub, course_id)
        if target is not None and not target.exists():
            folder.rename(target)
            recovered.append(course_id)
    return recovered


def discard(draft: Draft) -> None:
    shutil.rmtree(draft.root)


# --- lessons ----------------------------------------------------------------------------


def _write_lesson(draft: Draft, file_name: str, meta: dict[str, Any], body: str) -> None:
    text = lesson_text(meta, body)
    try:
        check_lesson(draft.root, file_name, text)
    except ContentError as error:
        raise _problem(error, file_name) from None
    write_atomic(draft.root / file_name, text)


def _renumber(draft: Draft, order: list[DraftLesson]) -> None:
    """Give the lesson files the numbers of their new order (each rename is atomic)."""
    for position, lesson in enumerate(order, start=1):
        name = lesson_file_name(position, lesson.id)
        if name != lesson.file_name:
            os.replace(draft.root / lesson.file_name, draft.root / name)
            lesson.file_name = name
    draft.lessons = order


def add_lesson(draft: Draft, kind: str, title: str) -> DraftLesson:
    """A new lesson at the end, as a start the tutor completes (a quiz without questions yet).

    A draft may be incomplete, as a folder in a text editor may; `lesson_problem` says what is
    missing, and publishing refuses until nothing is.
    """
    title = " ".join(title.split())
    if not title:
        raise StudioError(N_("Give the new lesson a title."))
    if kind not in LESSON_KINDS:
        raise StudioError(N_("Choose what kind of lesson to add."))
    lesson_id = unique_id(slug(title, "lesson", 40), {lesson.id for lesson in draft.lessons})
    lesson = DraftLesson(lesson_id, lesson_file_name(len(draft.lessons) + 1, lesson_id), {}, "")
    keep_unfinished(draft, lesson, {"title": title[:200], "kind": kind})
    draft.lessons.append(lesson)
    return lesson


def keep_unfinished(draft: Draft, lesson: DraftLesson, meta: dict[str, Any]) -> None:
    """Write a lesson as a start the tutor completes (a video without its text version yet): the
    reader's checks wait for publishing, and `lesson_problem` says what is missing meanwhile."""
    write_atomic(draft.root / lesson.file_name, lesson_text(meta, lesson.body))
    lesson.meta = meta


def lesson_problem(draft: Draft, lesson: DraftLesson) -> str:
    """What keeps a lesson from being published, or "" when it is complete."""
    if lesson.problem:
        return lesson.problem
    try:
        check_lesson(draft.root, lesson.file_name, lesson_text(lesson.meta, lesson.body))
    except ContentError as error:
        return str(_problem(error, lesson.file_name))
    return ""


def save_lesson(draft: Draft, lesson: DraftLesson, meta: dict[str, Any], body: str) -> None:
    """Write a lesson if the reader accepts it; otherwise raise DraftProblem and leave the file be."""
    _write_lesson(draft, lesson.file_name, meta, body)
    lesson.meta, lesson.body, lesson.problem = meta, body, ""


def move_lesson(draft: Draft, lesson_id: str, step: int) -> None:
    order = list(draft.lessons)
    index = next((i for i, lesson in enumerate(order) if lesson.id == lesson_id), None)
    if index is None:
        return
    order.insert(min(max(index + step, 0), len(order) - 1), order.pop(index))
    _renumber(draft, order)


def delete_lesson(draft: Draft, lesson_id: str) -> None:
    lesson = draft.lesson(lesson_id)
    if lesson is None:
        return
    (draft.root / lesson.file_name).unlink(missing_ok=True)
    _renumber(draft, [other for other in draft.lessons if other is not lesson])


# --- media ------------------------------------------------------------------------------


def safe_media_name(file_name: str) -> str:
    name = Path(file_name.replace("\\", "/")).name
    stem, _, suffix = name.rpartition(".") if "." in name else (name, "", "")
    clean_suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())[:8]
    return slug(stem, "file", 40) + (f".{clean_suffix}" if clean_suffix else "")


def store_media(draft: Draft, stream: BinaryIO, file_name: str) -> str:
    """Copy an upload into the draft's media/ in chunks; return its path in the folder.

    Refuses an empty file and one above MAX_UPLOAD_BYTES, leaving nothing behind.
    """
    media = draft.root / MEDIA_FOLDER
    media.mkdir(exist_ok=True)
    name = safe_media_name(file_name)
    if (media / name).exists():
        name = f"{secrets.token_hex(3)}-{name}"
    part = media / f".{name}.part"
    written = 0
    try:
        with part.open("xb") as out:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if written > MAX_UPLOAD_BYTES:
                    raise StudioError(
                        N_("This file is larger than the hub accepts (%(max)d MB at most)."),
                        max=MAX_UPLOAD_BYTES // 1024**2,
                    )
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written == 0:
            raise StudioError(N_("The file %(name)s is empty (0 bytes). Please choose it again."), name=name)
        os.replace(part, media / name)
    finally:
        part.unlink(missing_ok=True)
    return f"{MEDIA_FOLDER}/{name}"


def existing_media(draft: Draft, relative: str) -> str | None:
    """A media path a form sent back (an upload kept while the tutor fixed another field)."""
    if not relative.startswith(f"{MEDIA_FOLDER}/"):
        return None
    try:
        safe_file(draft.root, relative)
    except ContentError:
        return None
    return relative
