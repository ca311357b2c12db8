"""/tutor/hubs on a central server: progress from every hub, per course and per hub.

Built only from what the hubs sent (the changes other devices wrote, and the progress merged
from them), so it shows exactly what each hub was set to share (sync/share.py): counts under
pseudonyms, and names only from hubs that share named profiles. A learner belongs to the hub
whose device wrote her changes (ids and pseudonyms are made per hub).

Every list reads the aggregates kept as changes are merged (sync/tallies.py), never the change
log or the progress rows, a page at a time (paging.py): the page costs the same at a hundred
changes and at ten million.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.access import TUTOR
from hub.deps import HubDep
from hub.i18n import gettext
from hub.pages import render
from hub.plugins.sync.paging import Page, one_page
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import storage

router = APIRouter(tags=["tutor pages"], include_in_schema=False)


@dataclass(frozen=True)
class CourseRow:
    course_id: str
    title: str
    language: str | None
    started: int
    completed: int | None  # None: the centre does not hold the course, so cannot tell its lessons
    average_score: float | None  # best attempt per learner and quiz, averaged; None: no quiz taken


@dataclass(frozen=True)
class HubRow:
    device_id: str
    name: str | None  # None: a hub known only from USB sticks (not enrolled)
    last_sync: str | None
    learners: int
    lessons_completed: int
    courses_completed: int


@dataclass(frozen=True)
class NamedLearner:
    name: str
    hub: str
    lessons_started: int
    lessons_completed: int


# Courses some learner of another hub started (has a lesson row in), with their tallies.
_COURSES = """
FROM tally_hub_courses h LEFT JOIN courses c ON c.id = h.course_id
WHERE h.device_id != :own GROUP BY h.course_id, c.id, c.title, c.language, c.lesson_count
HAVING sum(h.learners) > 0
"""


def per_course(db: storage.SyncDatabase, own: str, asked: str | None = None) -> Page[CourseRow]:
    """Per course: learners started, learners who completed every lesson, average best quiz score."""
    total = db.execute(
        f"SELECT count(*) FROM (SELECT h.course_id {_COURSES}) started", {"own": own}
    ).fetchone()[0]

    def fetch(limit: int, offset: int) -> list[CourseRow]:
        rows = db.execute(
            f"""
            SELECT h.course_id, c.title, c.language, sum(h.learners),
                   CASE WHEN c.id IS NULL THEN NULL ELSE
                       sum(CASE WHEN h.lessons_completed >= c.lesson_count THEN h.learners ELSE 0 END) END,
                   (SELECT sum(s.score_sum) / nullif(sum(s.quizzes), 0) FROM tally_hub_scores s
                    WHERE s.course_id = h.course_id AND s.device_id != :own)
            {_COURSES}
            ORDER BY lower(coalesce(c.title, h.course_id)), h.course_id LIMIT :limit OFFSET :offset
            """,
            {"own": own, "limit": limit, "offset": offset},
        ).fetchall()
        return [CourseRow(r[0], r[1] or r[0], r[2], r[3], r[4], r[5]) for r in rows]

    return one_page(asked, total, fetch)


# The hubs to list: those with learners here, and every enrolled hub (even before its first sync).
_HUBS = """
WITH listed AS (SELECT device_id FROM tally_hubs WHERE learners > 0 AND device_id != :own
                UNION SELECT device_id FROM sync_hubs)
"""


def per_hub(db: storage.SyncDatabase, own: str, asked: str | None = None) -> Page[HubRow]:
    """Per hub: its learners, the lessons they completed and the courses they completed whole."""
    total = db.execute(_HUBS + "SELECT count(*) FROM listed", {"own": own}).fetchone()[0]

    def fetch(limit: int, offset: int) -> list[HubRow]:
        rows = db.execute(
            _HUBS
            + """
            , shown AS (SELECT l.device_id, h.name, h.last_seen_at FROM listed l
                        LEFT JOIN sync_hubs h ON h.device_id = l.device_id
                        ORDER BY h.name IS NULL, lower(h.name), l.device_id
                        LIMIT :limit OFFSET :offset)
            SELECT s.device_id, s.name, s.last_seen_at,
                   coalesce(t.learners, 0), coalesce(t.lessons_completed, 0),
                   (SELECT coalesce(sum(hc.learners), 0) FROM tally_hub_courses hc
                    JOIN courses c ON c.id = hc.course_id
                    WHERE hc.device_id = s.device_id AND hc.lessons_completed >= c.lesson_count)
            FROM shown s LEFT JOIN tally_hubs t ON t.device_id = s.device_id
            ORDER BY s.name IS NULL, lower(s.name), s.device_id
            """,
            {"own": own, "limit": limit, "offset": offset},
        ).fetchall()
        return [HubRow(*row) for row in rows]

    return one_page(asked, total, fetch)


def named_learners(db: storage.SyncDatabase, own: str, asked: str | None = None) -> Page[NamedLearner]:
    """The learners whose hubs share named profiles, with how far they got, in the order of their
    names (read along the index learner_names_order, the names first: storage.fixed_order_join)."""
    total = db.execute(
        "SELECT coalesce(sum(named), 0) FROM tally_hubs WHERE device_id != ?", [own]
    ).fetchone()[0]

    def fetch(limit: int, offset: int) -> list[NamedLearner]:
        rows = db.execute(
            "SELECT n.name, coalesce(h.name, t.device_id), t.lessons_started, t.lessons_completed"
            f" FROM learner_names n {storage.fixed_order_join(db)} tally_learners t"
            " ON t.learner_id = n.learner_id AND t.active = 1 AND t.device_id != :own"
            " LEFT JOIN sync_hubs h ON h.device_id = t.device_id"
            " ORDER BY lower(n.name), n.learner_id LIMIT :limit OFFSET :offset",
            {"own": own, "limit": limit, "offset": offset},
        ).fetchall()
        return [NamedLearner(*row) for row in rows]

    return one_page(asked, total, fetch)


@router.get("/tutor/hubs", response_class=HTMLResponse, dependencies=[TUTOR])
def hubs_overview(
    request: Request,
    hub: HubDep,
    courses_page: str | None = None,
    hubs_page: str | None = None,
    named_page: str | None = None,
) -> HTMLResponse:
    """Progress from every hub, per course and per hub (central server), each list a page at a time."""
    if hub.setting(ROLE_SETTING) != CENTRAL_ROLE:
        message = gettext("Progress from every hub is shown on the central server, not on a hub.")
        return render(request, "not_found.html", status_code=404, message=message)
    own, db = hub.device.id, hub.sync_db_with_library()
    return render(
        request,
        "hubs.html",
        courses=per_course(db, own, courses_page),
        hubs=per_hub(db, own, hubs_page),
        named=named_learners(db, own, named_page),
    )
