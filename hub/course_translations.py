"""Which courses are the same course in other languages (issue 22).

A course names its translations in its manifest (`translations = [...]`). A translation made
later, in the studio or by another publisher, names the original, but the original's signed
manifest cannot change: so the link counts both ways, whichever side names the other.
"""

from __future__ import annotations

from hub.home import Hub
from hub.library import CourseCard


def _naming(hub: Hub, course_id: str) -> set[str]:
    """The courses whose manifest lists `course_id` among its translations."""
    rows = hub.db.execute(
        "SELECT c.id FROM courses c, json_each(c.manifest, '$.translations') t WHERE t.value = ?",
        [course_id],
    )
    return {row[0] for row in rows}


def translations_of(hub: Hub, course_id: str) -> list[CourseCard]:
    """The visible courses linked to this one as translations, in either direction."""
    detail = hub.course(course_id)
    linked = (set(detail.course.translations) if detail else set()) | _naming(hub, course_id)
    linked.discard(course_id)
    return [card for card in hub.courses() if card.id in linked]


def lesson_in(hub: Hub, course_id: str, lesson_id: str) -> str:
    """Where a reader switching to `course_id` lands: the same lesson when it has it, else the course."""
    detail = hub.course(course_id)
    found = detail is not None and detail.lesson(lesson_id) is not None
    return f"/courses/{course_id}/{lesson_id}" if found else f"/courses/{course_id}"
