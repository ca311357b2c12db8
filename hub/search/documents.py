"""What gets indexed: the text of courses and lessons, read from SQLite, as Whoosh documents."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from content.apptext import app_text
from content.h5p import h5p_text
from content.markdown import plain_text
from content.model import Lesson
from content.text import pdf_text
from hub.library import stored_lessons
from hub.search.analysis import TITLE_BOOST, WORD, analysis_language, fold
from hub.text_parts import search_parts

if TYPE_CHECKING:
    from hub.home import Hub


MAX_TEXT_CHARS = 20_000  # per text part kept for snippets
COURSE_KIND = "course"
VOCABULARY_KIND = "vocabulary"


@dataclass(frozen=True)
class LessonText:
    id: str
    title: str
    kind: str
    parts: list[tuple[str, str]]  # (language tag, plain text)


@dataclass(frozen=True)
class CourseText:
    id: str
    sha256: str
    title: str
    summary: str
    language: str
    topics: list[str]
    lessons: list[LessonText]
    audience: str = ""


_VTT_TAG = re.compile(r"<[^>]*>")


def vtt_text(raw: str) -> str:
    """The words of a WebVTT file: cue text without timings, identifiers, notes or tags."""
    lines: list[str] = []
    for block in re.split(r"\r?\n[ \t]*\r?\n", raw.lstrip("\ufeff").strip()):
        block_lines = block.splitlines()
        timing = next((i for i, line in enumerate(block_lines) if "-->" in line), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE, STYLE or REGION blocks
        for line in block_lines[timing + 1 :]:
            text = html.unescape(_VTT_TAG.sub("", line)).strip()
            if text and (not lines or lines[-1] != text):
                lines.append(text)
    return "\n".join(lines)


def markdown_text(text: str) -> str:
    return html.unescape(plain_text(text)) if text.strip() else ""


def lesson_text(
    lesson: Lesson,
    language: str,
    read_file: Callable[[str], bytes | None],
    scanned: dict[str, str] | None = None,
) -> LessonText:
    """Everything searchable in a lesson; `read_file` returns a blob's bytes by hash (or None);
    `scanned` is the text read from scanned PDF pages, by the PDF's hash."""
    main = [markdown_text(lesson.text)]
    for question in lesson.questions:
        main += [question.prompt, *question.choices, question.explanation, question.unit]
    for image in lesson.images:
        main += [image.alt, image.caption]
    for ref in lesson.media:
        zipped = lesson.kind in ("html5", "h5p")
        data = read_file(ref.sha256) if ref.media_type == "application/pdf" or zipped else None
        if data and lesson.kind == "html5":
            main.append(app_text(io.BytesIO(data), max_chars=MAX_TEXT_CHARS))  # the words the app shows
        elif data and lesson.kind == "h5p":  # its questions, answers and feedback
            main.append(h5p_text(io.BytesIO(data), max_chars=MAX_TEXT_CHARS))
        elif data:
            main.append(pdf_text(data, max_chars=MAX_TEXT_CHARS))
        main.append((scanned or {}).get(ref.sha256, ""))
    parts = search_parts(language, "\n".join(t for t in main if t), MAX_TEXT_CHARS)  # hub/text_parts.py
    for caption in lesson.captions:
        data = read_file(caption.file.sha256)
        if data:
            words = vtt_text(data.decode("utf-8", errors="replace"))
            if words:
                parts.append((caption.language, words[:MAX_TEXT_CHARS]))
    return LessonText(lesson.id, lesson.title, lesson.kind, [p for p in parts if p[1]])


# What a course's index entry is made from: its manifest, and how many of its PDFs have text read
# from their scanned pages (hub/plugins/ocr), so a finished reading reindexes the course.
_INDEXED_STATE = (
    "c.manifest_sha256 || (SELECT CASE WHEN count(*) > 0 THEN '+ocr' || count(*) ELSE '' END"
    " FROM course_files cf JOIN pdf_ocr o ON o.sha256 = cf.sha256"
    " WHERE cf.course_id = c.id AND o.read_pages > 0)"
)


def library_state(hub: Hub) -> dict[str, str]:
    """Each course in SQLite and the state of what its index entry is made from; retracted
    courses are not searchable."""
    return dict(hub.db.execute(
        f"SELECT c.id, {_INDEXED_STATE} FROM courses c"
        " WHERE c.id NOT IN (SELECT course_id FROM retracted_courses)"
    ).fetchall())  # fmt: skip


def scanned_texts(hub: Hub, course_id: str) -> dict[str, str]:
    """Text read from the scanned pages of a course's PDFs, by the PDF's SHA-256."""
    rows = hub.db.execute(
        "SELECT o.sha256, o.pages FROM course_files cf JOIN pdf_ocr o ON o.sha256 = cf.sha256"
        " WHERE cf.course_id = ? AND o.read_pages > 0",
        [course_id],
    ).fetchall()
    return {sha256: "\n".join(text for _, text in json.loads(pages)) for sha256, pages in rows}


def read_course(hub: Hub, course_id: str) -> CourseText | None:
    """A course's searchable text from SQLite and the blob store (one consistent snapshot)."""
    db = hub.db
    db.execute("BEGIN")
    try:
        row = db.execute(
            f"SELECT c.manifest, {_INDEXED_STATE}, c.topics FROM courses c WHERE c.id = ?", [course_id]
        ).fetchone()
        stored = stored_lessons(db, course_id)
        scanned = scanned_texts(hub, course_id)
    finally:
        db.execute("COMMIT")
    if row is None:
        return None
    course = json.loads(row[0])

    def read_file(sha256: str) -> bytes | None:
        path = hub.blobs.path(sha256)
        return path.read_bytes() if path.is_file() and path.stat().st_size < 10_000_000 else None

    language = course["language"]
    lessons = [lesson_text(lesson, language, read_file, scanned) for lesson in stored]
    return CourseText(
        id=course["id"],
        sha256=row[1],
        title=course["title"],
        summary=course.get("summary", ""),
        language=language,
        topics=json.loads(row[2]),
        lessons=lessons,
        audience=course.get("audience", ""),
    )


def facet_bytes(language: str, kind: str, topics: list[str]) -> bytes:
    return "\x1f".join([language, kind, *topics]).encode()


def course_vocabulary(course: CourseText) -> set[str]:
    """Every distinct folded word of a course (titles and all texts), for spelling suggestions."""
    texts = [course.title, course.summary, *(ls.title for ls in course.lessons)]
    texts += [text for lesson in course.lessons for _, text in lesson.parts]
    return {w for w in WORD.findall(fold("\n".join(texts))) if len(w) > 2 and not w.isdigit()}


def vocabulary_document(course_id: str, words: Iterable[str]) -> dict[str, Any]:
    """The spelling document a course owns: words no other course's spelling document has."""
    owned = sorted(words)
    return {"key": f"vocabulary:{course_id}", "vocabulary": course_id, "kind": VOCABULARY_KIND,
            "owned": owned, "words": " ".join(owned)}  # fmt: skip


def course_documents(course: CourseText) -> Iterator[dict[str, Any]]:
    """The Whoosh documents of one course: the course itself, then each lesson."""
    language = course.language.split("-")[0].lower()
    analysis = analysis_language(course.language)
    lesson_titles = "\n".join(lesson.title for lesson in course.lessons)
    yield {
        "key": course.id,
        "course": course.id,
        "lesson": None,
        "title": course.title,
        "kind": COURSE_KIND,
        "lang": language,
        "topics": list(course.topics),
        "parts": [(course.language, course.summary)] if course.summary else [],
        "sha": course.sha256,
        "facets": facet_bytes(language, COURSE_KIND, course.topics),
        f"text_{analysis}": [
            (course.title, TITLE_BOOST),
            (f"{course.summary}\n{course.audience}\n{lesson_titles}", 1.0),
        ],
    }
    for lesson in course.lessons:
        document: dict[str, Any] = {
            "key": f"{course.id}/{lesson.id}",
            "course": course.id,
            "lesson": lesson.id,
            "title": lesson.title,
            "course_title": course.title,
            "kind": lesson.kind,
            "lang": language,
            "topics": list(course.topics),
            "parts": lesson.parts,
            "facets": facet_bytes(language, lesson.kind, course.topics),
        }
        by_language: dict[str, list[tuple[str, float]]] = {f"text_{analysis}": [(lesson.title, TITLE_BOOST)]}
        for tag, text in lesson.parts:
            by_language.setdefault(f"text_{analysis_language(tag)}", []).append((text, 1.0))
        document.update(by_language)
        yield document
