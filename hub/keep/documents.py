"""What the booklet and the ZIM file share: the courses they hold, their pictures, the left-out lines.

Both are made outside the web server (hub/keep/making.py runs them in a low-priority process), from
the hub's database and blob store, in each course's own language.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from sqlite_utils import Database

from content.blobs import BlobStore
from content.markdown import render_markdown
from content.model import FileRef, Lesson, Question
from hub import i18n
from hub.i18n import gettext
from hub.library import CourseDetail, get_course

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_MAX_MEDIA_BYTES = 200 * 1024**2  # a bigger file stays on the hub (setting keep_max_media_bytes)
MAX_MEDIA_SETTING = "keep_max_media_bytes"
PICTURE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")


@dataclass
class Contents:
    """The courses going into one file, and the lines about what had to stay out."""

    courses: list[CourseDetail]
    max_media_bytes: int
    blobs: BlobStore
    left_out: list[str] = field(default_factory=list)
    _checked: dict[str, bool] = field(default_factory=dict)

    def usable(self, ref: FileRef) -> bool:
        """Whether a file can go in; if not, a line (once per file) says why, in the course's language."""
        if ref.sha256 in self._checked:
            return self._checked[ref.sha256]
        path = self.blobs.path(ref.sha256)
        ok = False
        if not path.is_file():
            self.left_out.append(
                gettext("“%(name)s” is missing on this hub: it was left out.") % {"name": ref.name}
            )
        elif ref.size > self.max_media_bytes:
            self.left_out.append(
                gettext("“%(name)s” (%(size)s) is too big to go in: it stays on the hub.")
                % {"name": ref.name, "size": i18n.file_size(ref.size)}
            )
        else:
            ok = True
        self._checked[ref.sha256] = ok
        return ok

    def path(self, ref: FileRef) -> Path:
        return self.blobs.path(ref.sha256)


def max_media_bytes(db: Database) -> int:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [MAX_MEDIA_SETTING]).fetchone()
    return int(row[0]) if row else DEFAULT_MAX_MEDIA_BYTES


def load_contents(db: Database, blobs: BlobStore, course_ids: list[str]) -> Contents:
    courses = [detail for cid in course_ids if (detail := get_course(db, cid)) is not None]
    return Contents(courses, max_media_bytes(db), blobs)


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Translate what follows into a course's language (the source language if it has no catalog)."""
    base = language.split("-")[0]
    token = i18n.current_locale.set(base if base in i18n.available_languages() else i18n.SOURCE_LANGUAGE)
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals |= {
        "markdown": render_markdown,
        "text_direction": i18n.text_direction,
        "file_size": i18n.file_size,
        "answer_text": answer_text,
        "is_picture": lambda ref: ref.media_type.split(";")[0] in PICTURE_TYPES,
    }
    return env


def answer_text(question: Question) -> str:
    """The right answer of a question, as words for the answers at the back."""
    answer = question.answer
    if question.type == "single" and isinstance(answer, int):
        return f"{answer + 1}. {question.choices[answer]}"
    if question.type == "multiple" and isinstance(answer, list):
        return "; ".join(f"{i + 1}. {question.choices[i]}" for i in answer)
    if question.type == "truefalse":
        return gettext("True") if answer is True else gettext("False")
    number = f"{answer:g}" if isinstance(answer, float) else str(answer)
    tolerance = f" (± {question.tolerance:g})" if question.tolerance else ""
    return f"{number}{tolerance} {question.unit}".strip()


def lesson_pictures(lesson: Lesson) -> list[tuple[FileRef, str, str]]:
    """(file, description, caption) of each picture a lesson shows: its images, a video's poster."""
    pictures = [(image.file, image.alt, image.caption) for image in lesson.images]
    if lesson.poster is not None:
        pictures.append((lesson.poster, lesson.title, ""))
    return pictures
