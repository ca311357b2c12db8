"""The H5P player's files, the page that plays one activity, the activity's own files (from its
.h5p zip) and the route its scores come back through. See the plugin's docstring."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, model_validator

from content.h5p import H5pZip
from content.model import LANGUAGE_PATTERN, Lesson
from hub import progress
from hub.access import ANYONE, LEARNING
from hub.deps import CurrentLearner, Db, HubDep, learner_to_keep
from hub.i18n import gettext
from hub.pages import render
from hub.plugins.apps.routes import IMMUTABLE, OpenZips, app_policy, media_type, zip_file
from hub.plugins.media.routes import stored_file

router = APIRouter(tags=["h5p"], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])
PLAYER_FOLDER = Path(__file__).parent / "player"  # filled by setup.py's build step, never in git
PLAY_SCRIPT = (Path(__file__).parent / "play.js").read_text()
OPEN_H5P = OpenZips(H5pZip)


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def player_version() -> str | None:
    """The version of the player this installation carries, or None when it was run from a source
    tree that was never built (`pip install -e .` fetches it)."""
    stamp = PLAYER_FOLDER / "VERSION"
    return stamp.read_text().strip() if stamp.is_file() else None


def play_url(request: Request, lesson: Lesson, language: str) -> str | None:
    """The page that plays an H5P lesson written in `language`, or None while its file is not in
    the hub's store (a studio draft's preview)."""
    sha256 = lesson.media[0].sha256
    return f"/h5p/play/{sha256}?lang={language}" if stored_file(request.app.state.hub, sha256) else None


def player_policy(player: str, own: str) -> str:
    """The player page's Content-Security-Policy: `player` and `own` (the activity's folder) are
    absolute URLs. Scripts, styles, fonts and pictures from those two only, the page's own inline
    script by its hash, and fetch only the activity's own files (h5p.json, content.json, library.json).
    `'unsafe-eval'`, as for HTML5 apps: some H5P libraries build functions from text, and in this
    sandbox an evaluated string reaches nothing the activity's own scripts could not."""
    return (
        "sandbox allow-scripts; default-src 'none'; "
        f"script-src {player} {own} {_script_hash(PLAY_SCRIPT)} 'unsafe-eval'; "
        f"style-src {player} {own} 'unsafe-inline'; "
        f"img-src {player} {own} data: blob:; media-src {own} data: blob:; font-src {player} {own} data:; "
        f"connect-src {own}; frame-src {own}; worker-src 'none'; object-src 'none'; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
    )


@router.get("/h5p/play/{sha256}", dependencies=[ANYONE])
def play(request: Request, sha256: str, hub: HubDep, lang: str = "") -> Response:
    """The page the lesson page frames: the player, started on one activity of this hub, in the
    language (and so the direction) of its course, whatever the interface's."""
    version = player_version()
    if version is None or not stored_file(hub, sha256):
        raise HTTPException(404)
    base = str(request.base_url)
    player, own = f"{base}h5p/player/{version}/", f"{base}h5p/content/{sha256}/"
    lang = lang if re.fullmatch(LANGUAGE_PATTERN, lang) else "und"
    response = render(request, "h5p_player.html", player=player, own=own, script=PLAY_SCRIPT, lang=lang)
    response.headers["Content-Security-Policy"] = player_policy(player, own)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/h5p/player/{version}/{path:path}", dependencies=[ANYONE])
def player_file(version: str, path: str) -> Response:
    """A file of the player (scripts, styles, fonts), for the sandboxed player page."""
    root = PLAYER_FOLDER.resolve()
    target = (root / path).resolve()
    if version != player_version() or root not in target.parents or not target.is_file():
        raise HTTPException(404)
    headers = {
        "Cache-Control": IMMUTABLE,
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    return FileResponse(target, media_type=media_type(target.name), headers=headers)


@router.get("/h5p/content/{sha256}/{path:path}", dependencies=[ANYONE])
def content_file(request: Request, sha256: str, path: str, hub: HubDep) -> Response:
    """A file of an H5P activity this hub holds, from its .h5p zip; opened by its address it is
    shut in like an HTML5 app's file."""
    policy = app_policy(f"{request.base_url}h5p/content/{sha256}/")
    missing = gettext("There is no such file in this activity.")
    return zip_file(request, hub, OPEN_H5P, sha256, path, policy, missing)


class ScoreIn(BaseModel):
    """A score an H5P activity reported (its xAPI statement's result.score)."""

    score: Annotated[float, Field(ge=0, le=10_000)]
    max: Annotated[float, Field(gt=0, le=10_000)]
    attempt_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{32,36}$")] | None = None

    @model_validator(mode="after")
    def _within_max(self) -> ScoreIn:
        if self.score > self.max:
            raise ValueError("score is more than max")
        return self


@api_router.post("/courses/{course_id}/lessons/{lesson_id}/score", status_code=204, dependencies=[LEARNING])
def record_score(
    request: Request,
    course_id: str,
    lesson_id: str,
    body: ScoreIn,
    db: Db,
    hub: HubDep,
    learner: CurrentLearner,
) -> None:
    """Keep the score an H5P activity reported as a quiz attempt; the lesson's progress becomes the
    scaled score, done when it reaches the lesson's pass mark."""
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    if lesson is None:
        raise HTTPException(404, "There is no such lesson.")
    if lesson.kind != "h5p":
        raise HTTPException(422, "This lesson is not an H5P activity.")
    points, total = round(body.score), round(body.max)
    passed = body.score / body.max >= lesson.pass_mark
    kept = learner_to_keep(request, db, learner).id
    progress.record_score(
        db, kept, course_id, lesson_id, (points, max(total, 1)), passed, given_id=body.attempt_id or ""
    )
