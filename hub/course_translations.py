"""Which courses are the same course in other languages (issue 22).

A course names its translations in its manifest (`translations = [...]`). A translation made
later, in the studio or by another publisher, names the original, but the original's signed
manifest cannot change: so the link counts both ways, whichever side names the other.
"""

from __future__ import annotations

import weakref

from hub import library
from hub.catalogue import Catalogue, sort_key
from hub.home import Hub
from hub.library import CourseCard

_links: weakref.WeakKeyDictionary[Hub, tuple[int, dict[str, set[str]]]] = weakref.WeakKeyDictionary()


def _all_links(hub: Hub) -> dict[str, set[str]]:
    """Every translation link, counted both ways: one pass over the manifests per library
    generation, not one per page (a course page must not cost what the library holds)."""
    generation = library.library_generation(hub.db)
    cached = _links.get(hub)
    if cached is None or cached[0] != generation:
        links: dict[str, set[str]] = {}
        rows = hub.db.execute(
            "SELECT c.id, t.value FROM courses c, json_each(c.manifest, '$.translations') t"
        )
        for course_id, named in rows:
            links.setdefault(course_id, set()).add(named)
            links.setdefault(named, set()).add(course_id)
        cached = _links[hub] = (generation, links)
    return cached[1]


def translations_of(hub: Hub, course_id: str, catalogue: Catalogue | None = None) -> list[CourseCard]:
    """The visible courses linked to this one as translations, in either direction (from
    `catalogue` when the caller has it: a page on the event loop builds none)."""
    cards = (catalogue or hub.catalogue()).by_id
    linked = [cards[c] for c in _all_links(hub).get(course_id, ()) if c in cards and c != course_id]
    return sorted(linked, key=sort_key)


def lesson_in(hub: Hub, course_id: str, lesson_id: str) -> str:
    """Where a reader switching to `course_id` lands: the same lesson when it has it, else the course."""
    detail = hub.course(course_id)
    found = detail is not None and detail.lesson(lesson_id) is not None
    return f"/courses/{course_id}/{lesson_id}" if found else f"/courses/{course_id}"
