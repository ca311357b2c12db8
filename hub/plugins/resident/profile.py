"""Language choice, "my learning", and turning guest progress into a named profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import learners, progress
from hub.deps import (
    SESSION_COOKIE,
    CurrentLearner,
    Db,
    HubDep,
    WritingLearner,
    remember_session,
)
from hub.i18n import LANGUAGE_COOKIE, gettext
from hub.learners import LearnerError
from hub.pages import render
from hub.plugins.resident.learning import continue_items

router = APIRouter(tags=["resident pages"], include_in_schema=False)


def local_path(target: str) -> str:
    """Only follow `next` to a page of this hub, never to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/language", response_class=HTMLResponse)
def language_picker(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "language.html", next=local_path(next))


@router.get("/language/{code}")
def choose_language(request: Request, code: str, next: str = "/") -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    if code in request.app.state.languages:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=400 * 24 * 3600, samesite="lax")
    return response


@router.get("/me", response_class=HTMLResponse)
def my_learning(request: Request, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    items = continue_items(hub, learner.id) if learner else []
    return render(
        request,
        "me.html",
        in_progress=[i for i in items if i.next_lesson is not None],
        completed=[i for i in items if i.next_lesson is None],
        error=None,
    )


@router.post("/me/profile", response_class=HTMLResponse)
def make_profile(
    request: Request,
    hub: HubDep,
    learner: WritingLearner,
    name: Annotated[str, Form()] = "",
    pin: Annotated[str, Form()] = "",
) -> Response:
    try:
        learners.create_profile(hub.db, learner.id, name, pin.strip())
    except LearnerError as error:
        items = continue_items(hub, learner.id)
        return render(
            request,
            "me.html",
            status_code=400,
            in_progress=[i for i in items if i.next_lesson is not None],
            completed=[i for i in items if i.next_lesson is None],
            error=gettext(str(error)),
            name=name,
        )
    return RedirectResponse("/me", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def sign_in_page(request: Request, learner: CurrentLearner) -> HTMLResponse:
    return render(request, "signin.html", error=None, name="")


@router.post("/signin", response_class=HTMLResponse)
def sign_in(
    request: Request,
    db: Db,
    learner: CurrentLearner,
    name: Annotated[str, Form()] = "",
    pin: Annotated[str, Form()] = "",
) -> Response:
    try:
        profile = learners.check_sign_in(db, name, pin.strip())
    except LearnerError as error:
        return render(request, "signin.html", status_code=400, error=gettext(str(error)), name=name)
    old_token = request.cookies.get(SESSION_COOKIE)
    if learner is not None and learner.is_guest and learner.id != profile.id:
        progress.move_progress(db, learner.id, profile.id)
    if old_token:
        learners.end_session(db, old_token)
    response = RedirectResponse("/me", status_code=303)
    remember_session(request, response, learners.start_session(db, profile.id))
    return response


@router.post("/signout")
def sign_out(request: Request, db: Db) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        learners.end_session(db, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
