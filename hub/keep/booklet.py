"""The booklet: one PDF of a course, printable on A4 and readable on a phone.

WeasyPrint lays out HTML and CSS into PDF with Pango and HarfBuzz (Debian's), so Arabic is shaped
and set right to left like any other text; the PDF keeps the text, so it can be searched, copied
and read aloud. Pictures go in with their descriptions printed under them; each video or recording
gets its text version and a QR code that opens it on the hub; the quiz answers are at the back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from content.model import Lesson
from hub.keep.documents import Contents, environment, in_language, lesson_pictures

Step = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Picture:
    src: str
    alt: str
    caption: str


@dataclass(frozen=True)
class LessonPage:
    lesson: Lesson
    url: str
    pictures: list[Picture] = field(default_factory=list)


def qr_data_url(url: str) -> str:
    """A QR code as an SVG data URL (no file, nothing fetched)."""
    import segno

    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000000", light="#ffffff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def booklet_html(contents: Contents, hub_address: str) -> str:
    """The booklet of the one course in `contents`, as HTML for WeasyPrint."""
    detail = contents.courses[0]
    course = detail.course
    course_url = f"{hub_address.rstrip('/')}/courses/{course.id}"
    with in_language(course.language):
        pages = []
        for lesson in detail.lessons:
            for ref in lesson.media:  # never printed, but a reader is told when one is missing or huge
                contents.usable(ref)
            pictures = [
                Picture(contents.path(ref).as_uri(), alt, caption)
                for ref, alt, caption in lesson_pictures(lesson)
                if contents.usable(ref)
            ]
            pages.append(LessonPage(lesson, f"{course_url}/{lesson.id}", pictures))
        cover = course.cover and contents.usable(course.cover)
        return (
            environment()
            .get_template("booklet.html")
            .render(
                course=course,
                course_url=course_url,
                cover=contents.path(course.cover).as_uri() if cover and course.cover else "",
                lessons=pages,
                quizzes=[page for page in pages if page.lesson.kind == "quiz"],
                left_out=contents.left_out,
                qr=qr_data_url,
            )
        )


def write_booklet(contents: Contents, hub_address: str, out: Path, step: Step) -> None:
    """Make the PDF at `out` (the caller names a work file and keeps it once it is complete)."""
    import weasyprint

    step(1, 3, "Writing the pages")
    html = booklet_html(contents, hub_address)
    step(2, 3, "Laying out the booklet")
    document = weasyprint.HTML(string=html, base_url=str(contents.blobs.root)).render()
    step(3, 3, "Writing the PDF")
    document.write_pdf(out)
