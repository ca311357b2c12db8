"""What this hub takes from its central server: everything (the default), or the admin's choice.

A choice names languages and topics (a course matches when its language is among the languages
chosen, if any, and it has one of the topics chosen, if any), and single courses and pathways of
the centre's catalog. Courses an admin removed are declined: "everything" and the language and
topic rules do not bring them back; ticking the course itself does. The sync client
(hub/plugins/sync/client.py) downloads only what the choice wants, and remembers the catalog it
last read, so the admin page lists what the centre offers with each size, "available, not
downloaded" for what the choice leaves out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.home import Hub

CHOICE_SETTING = "centre_choice"
SEEN_SETTING = "centre_catalog_seen"


@dataclass(frozen=True)
class Choice:
    everything: bool = True
    languages: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    courses: tuple[str, ...] = ()
    pathways: tuple[str, ...] = ()  # the centre's ids for its pathways
    declined: tuple[str, ...] = ()

    def wants(self, course: dict[str, Any], pathways: Iterable[dict[str, Any]] = ()) -> bool:
        """Whether a course the catalog lists (id, language, topics) comes to this hub."""
        course_id = str(course.get("id"))
        if course_id in self.courses:
            return True
        if any(str(p.get("id")) in self.pathways and course_id in p.get("courses", []) for p in pathways):
            return True
        if course_id in self.declined:
            return False
        if self.everything:
            return True
        if not self.languages and not self.topics:
            return False
        language = str(course.get("language", "")).split("-")[0]
        listed = course.get("topics")
        topics = {str(t) for t in listed} if isinstance(listed, (list, tuple)) else set()
        return (not self.languages or language in self.languages) and (
            not self.topics or bool(topics & set(self.topics))
        )

    def digest(self) -> str:
        """Changes whenever the choice does (the sync client walks the catalog again then)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def load_choice(hub: Hub) -> Choice:
    value = hub.setting(CHOICE_SETTING)
    if not isinstance(value, dict):
        return Choice()
    return Choice(
        everything=bool(value.get("everything", True)),
        **{name: tuple(str(v) for v in value.get(name) or ()) for name in _LISTS},
    )


_LISTS = ("languages", "topics", "courses", "pathways", "declined")


def save_choice(hub: Hub, choice: Choice) -> None:
    hub.set_setting(
        CHOICE_SETTING, {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(choice).items()}
    )


def decline(hub: Hub, course_id: str) -> None:
    """An admin removed this course: a sync must not bring it back unless she chooses it again."""
    choice = load_choice(hub)
    save_choice(
        hub,
        Choice(
            choice.everything,
            choice.languages,
            choice.topics,
            tuple(c for c in choice.courses if c != course_id),
            choice.pathways,
            tuple(sorted({*choice.declined, course_id})),
        ),
    )


# The catalog the centre sent last -----------------------------------------------------------


@dataclass(frozen=True)
class CentreCourse:
    id: str
    version: int
    title: str
    language: str
    topics: tuple[str, ...]
    bytes: int | None  # None: a centre from before catalogs gave sizes


@dataclass(frozen=True)
class CentrePathway:
    id: str
    title: str
    courses: tuple[str, ...]


@dataclass(frozen=True)
class SeenCatalog:
    courses: list[CentreCourse] = field(default_factory=list)
    pathways: list[CentrePathway] = field(default_factory=list)
    seen_at: str | None = None


def remember_catalog(
    hub: Hub, courses: list[dict[str, Any]], pathways: list[dict[str, Any]], at: str
) -> None:
    """Keep what the centre's (checked) catalog lists, for the admin's page; an entry of a shape no
    centre writes is left out rather than stop the sync."""
    kept = []
    for c in courses:
        try:
            topics = c.get("topics") or []
            kept.append({
                "id": str(c["id"]),
                "version": int(c["version"]),
                "title": str(c.get("title", c["id"]))[:200],
                "language": str(c.get("language", "")),
                "topics": [str(t) for t in topics][:20] if isinstance(topics, list) else [],
                "bytes": int(c["bytes"]) if isinstance(c.get("bytes"), int) else None,
            })  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    paths = [
        {
            "id": str(p.get("id")),
            "title": str(p.get("title", ""))[:200],
            "courses": [str(c) for c in p.get("courses", [])],
        }
        for p in pathways
        if isinstance(p, dict)
    ]
    hub.set_setting(SEEN_SETTING, {"courses": kept, "pathways": paths, "seen_at": at})


def seen_catalog(hub: Hub) -> SeenCatalog:
    value = hub.setting(SEEN_SETTING)
    if not isinstance(value, dict):
        return SeenCatalog()
    courses = [
        CentreCourse(c["id"], c["version"], c["title"], c["language"], tuple(c["topics"]), c["bytes"])
        for c in value.get("courses", [])
    ]
    pathways = [CentrePathway(p["id"], p["title"], tuple(p["courses"])) for p in value.get("pathways", [])]
    return SeenCatalog(courses, pathways, value.get("seen_at"))


# What the admin's page shows ---------------------------------------------------------------

HELD, COMING, AVAILABLE = "held", "coming", "available"


@dataclass(frozen=True)
class Offered:
    course: CentreCourse
    state: str  # HELD: on this hub (this version or newer); COMING: chosen, brought at the next sync;
    # AVAILABLE: at the centre, not chosen, not downloaded
    chosen: bool  # ticked by name


def offered(hub: Hub, seen: SeenCatalog, choice: Choice) -> list[Offered]:
    held = dict(hub.db.execute("SELECT id, version FROM courses").fetchall())
    pathways = [{"id": p.id, "courses": list(p.courses)} for p in seen.pathways]
    result = []
    for course in seen.courses:
        if held.get(course.id, 0) >= course.version:
            state = HELD
        elif course.id in held or choice.wants(
            {"id": course.id, "language": course.language, "topics": course.topics}, pathways
        ):  # a course held in an older version is updated whatever the choice
            state = COMING
        else:
            state = AVAILABLE
        result.append(Offered(course, state, course.id in choice.courses))
    return sorted(result, key=lambda o: (o.state != AVAILABLE, o.course.title.casefold()))


def coming_bytes(offers: list[Offered]) -> int:
    """At most what the next sync downloads for this choice (blobs shared with held courses come free)."""
    return sum(o.course.bytes or 0 for o in offers if o.state == COMING)
