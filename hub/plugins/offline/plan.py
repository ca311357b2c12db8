"""What a phone keeps to open a course away from the hub: its pages, pictures and (optionally) media.

A plan is the list of addresses the offline app (static/offline.js) puts in the phone's cache,
with the sizes a resident sees before choosing. Media (video, audio, PDF files) are optional: they
are most of a course's weight and a phone may not have the room. Pages are measured as the hub
renders them, roughly: their text plus the page around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from content.model import MEDIA_KINDS, FileRef, Lesson
from hub.library import CourseDetail

PAGE_FRAME_BYTES = 6_000  # the page around a lesson's text: header, footer, forms (measured: 5–7 KB)


@dataclass(frozen=True)
class Saved:
    url: str
    size: int


@dataclass
class Plan:
    """A course as the phone keeps it. `version` tells the phone when its copy is out of date."""

    id: str
    version: int
    title: str
    pages: list[Saved] = field(default_factory=list)
    pictures: list[Saved] = field(default_factory=list)
    media: list[Saved] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Pages and pictures: what saving the course always takes."""
        return sum(s.size for s in (*self.pages, *self.pictures))

    @property
    def media_size(self) -> int:
        return sum(s.size for s in self.media)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "version": self.version, "title": self.title, "size": self.size,
            "media_size": self.media_size, "pages": [s.url for s in self.pages],
            "pictures": [s.url for s in self.pictures], "media": [s.url for s in self.media],
        }  # fmt: skip


def file_url(ref: FileRef) -> str:
    return f"/media/{ref.sha256}/{quote(ref.name)}"


def _pictures(lesson: Lesson) -> list[FileRef]:
    """The small files a lesson page shows or needs: pictures, a poster, captions."""
    return [*(image.file for image in lesson.images), *([lesson.poster] if lesson.poster else []),
            *(caption.file for caption in lesson.captions)]  # fmt: skip


def plan_for(detail: CourseDetail) -> Plan:
    """The addresses and sizes of a course for the phone, each file once."""
    course = detail.course
    base = f"/courses/{course.id}"
    plan = Plan(course.id, course.version, course.title)
    listing = PAGE_FRAME_BYTES + len(course.summary.encode()) + 200 * len(detail.lessons)
    plan.pages.append(Saved(base, listing))
    seen: set[str] = set()
    for lesson in detail.lessons:
        plan.pages.append(Saved(f"{base}/{lesson.id}", PAGE_FRAME_BYTES + _text_bytes(lesson)))
        files = [(ref, plan.pictures) for ref in _pictures(lesson)]
        # zim, html5 and h5p lessons are read from their own routes, not saved as files
        if lesson.kind in MEDIA_KINDS and lesson.kind not in ("zim", "html5", "h5p"):
            files += [(ref, plan.media) for ref in lesson.media]
        for ref, into in files:
            if ref.sha256 not in seen:
                seen.add(ref.sha256)
                into.append(Saved(file_url(ref), ref.size))
    return plan


def _text_bytes(lesson: Lesson) -> int:
    quiz = sum(len(q.prompt) + sum(len(c) for c in q.choices) + 400 for q in lesson.questions)
    return len(lesson.text.encode()) * 2 + quiz  # Markdown becomes HTML a little under twice its size
