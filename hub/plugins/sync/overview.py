"""/tutor/hubs on a central server: progress from every hub, per course and per hub.

Built only from what the hubs sent (the changes other devices wrote, and the progress merged
from them), so it shows exactly what each hub was set to share (sync/share.py): counts under
pseudonyms, and names only from hubs that share named profiles. A learner belongs to the hub
whose device wrote her changes (ids and pseudonyms are made per hub).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlite_utils import Database

from hub.access import TUTOR
from hub.deps import HubDep
from hub.i18n import gettext
from hub.pages import render
from hub.settings import CENTRAL_ROLE, ROLE_SETTING

router = APIRouter(tags=["tutor pages"], include_in_schema=False)

# Every learner the hubs sent progress about, with the hub (device) that wrote it.
_SYNCED_LEARNERS = """
WITH synced AS (SELECT DISTINCT device_id, learner_id FROM changes
                WHERE device_id != :own AND kind IN ('lesson', 'attempt'))
"""


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


def per_course(db: Database, own: str) -> list[CourseRow]:
    rows = db.execute(
        _SYNCED_LEARNERS
        + """
        , done AS (SELECT p.course_id, p.learner_id, count(p.completed_at) AS finished
                   FROM progress p JOIN synced s ON s.learner_id = p.learner_id
                   GROUP BY p.course_id, p.learner_id)
        , best AS (SELECT q.course_id, max(q.score * 1.0 / q.total) AS score
                   FROM quiz_attempts q JOIN synced s ON s.learner_id = q.learner_id WHERE q.total > 0
                   GROUP BY q.course_id, q.learner_id, q.lesson_id)
        SELECT d.course_id, c.title, c.language, count(*),
               CASE WHEN c.id IS NULL THEN NULL ELSE sum(d.finished >= c.lesson_count) END,
               (SELECT avg(score) FROM best b WHERE b.course_id = d.course_id)
        FROM done d LEFT JOIN courses c ON c.id = d.course_id
        GROUP BY d.course_id ORDER BY coalesce(c.title, d.course_id) COLLATE NOCASE
        """,
        {"own": own},
    ).fetchall()
    return [CourseRow(r[0], r[1] or r[0], r[2], r[3], r[4], r[5]) for r in rows]


def per_hub(db: Database, own: str) -> list[HubRow]:
    rows = db.execute(
        _SYNCED_LEARNERS
        + """
        , writers AS (SELECT device_id FROM synced UNION SELECT device_id FROM sync_hubs)
        , finished AS (SELECT p.learner_id, p.course_id, count(p.completed_at) AS lessons,
                              count(p.completed_at) >= c.lesson_count AS course_done
                       FROM progress p JOIN courses c ON c.id = p.course_id
                       GROUP BY p.learner_id, p.course_id)
        SELECT w.device_id, h.name, h.last_seen_at,
               (SELECT count(*) FROM synced s WHERE s.device_id = w.device_id),
               (SELECT count(*) FROM progress p JOIN synced s ON s.learner_id = p.learner_id
                WHERE s.device_id = w.device_id AND p.completed_at IS NOT NULL),
               (SELECT coalesce(sum(f.course_done), 0) FROM finished f JOIN synced s
                ON s.learner_id = f.learner_id WHERE s.device_id = w.device_id)
        FROM writers w LEFT JOIN sync_hubs h ON h.device_id = w.device_id
        ORDER BY h.name IS NULL, h.name COLLATE NOCASE, w.device_id
        """,
        {"own": own},
    ).fetchall()
    return [HubRow(*row) for row in rows]


def named_learners(db: Database, own: str) -> list[NamedLearner]:
    """The learners whose hubs share named profiles, with how far they got."""
    rows = db.execute(
        _SYNCED_LEARNERS
        + """
        SELECT n.name, coalesce(h.name, s.device_id),
               (SELECT count(*) FROM progress p WHERE p.learner_id = n.learner_id),
               (SELECT count(completed_at) FROM progress p WHERE p.learner_id = n.learner_id)
        FROM learner_names n JOIN synced s ON s.learner_id = n.learner_id
        LEFT JOIN sync_hubs h ON h.device_id = s.device_id
        ORDER BY 2 COLLATE NOCASE, n.name COLLATE NOCASE
        """,
        {"own": own},
    ).fetchall()
    return [NamedLearner(*row) for row in rows]


@router.get("/tutor/hubs", response_class=HTMLResponse, dependencies=[TUTOR])
def hubs_overview(request: Request, hub: HubDep) -> HTMLResponse:
    """Progress from every hub, per course and per hub (central server)."""
    if hub.setting(ROLE_SETTING) != CENTRAL_ROLE:
        message = gettext("Progress from every hub is shown on the central server, not on a hub.")
        return render(request, "not_found.html", status_code=404, message=message)
    own = hub.device.id
    return render(
        request,
        "hubs.html",
        courses=per_course(hub.db, own),
        hubs=per_hub(hub.db, own),
        named=named_learners(hub.db, own),
    )
