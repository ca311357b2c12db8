"""Simple mode, for residents who read little: bigger text, an icon for each lesson kind, one main
action per screen, listening first, quiz choices as big buttons (the look is in style.css, under
``body.simple``). A resident with a profile keeps the choice in it; a guest in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hub.access import ANYONE
from hub.deps import CurrentLearner, Db, queue_cookie
from hub.plugins.resident.profile import local_path

router = APIRouter(tags=["simple mode"], include_in_schema=False)
COOKIE = "hub_simple"
YEAR = 365 * 24 * 3600


def simple_mode(request: Request) -> bool:
    """Whether this page is shown in simple mode."""
    learner = getattr(request.state, "learner", None)
    if learner is not None and not learner.is_guest:
        found = request.app.state.hub.db.execute(
            "SELECT 1 FROM simple_mode WHERE learner_id = ?", [learner.id]
        ).fetchone()
        return found is not None
    return request.cookies.get(COOKIE) == "1"


@router.get("/simple-mode", dependencies=[ANYONE])
def switch(request: Request, db: Db, learner: CurrentLearner, on: str = "", next: str = "/") -> Response:
    """A link, as the language choice is: a form would need a CSRF cookie on every visitor's first
    page, and switching how pages look is no harm another site could do."""
    wanted = on == "1"
    if learner is not None and not learner.is_guest:
        if wanted:
            db.execute("INSERT OR IGNORE INTO simple_mode (learner_id) VALUES (?)", [learner.id])
        else:
            db.execute("DELETE FROM simple_mode WHERE learner_id = ?", [learner.id])
    else:
        queue_cookie(request, COOKIE, "1" if wanted else "0", httponly=False, max_age=YEAR)
    return RedirectResponse(local_path(next), status_code=303)
