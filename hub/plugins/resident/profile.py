"""Language choice, "my learning", profiles, signing in and out, and "my data"."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import follow, learners, library_keep, privacy, progress, retractions, sign_in_limits, updates
from hub.access import ANYONE, SIGNING_IN
from hub.deps import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    CurrentLearner,
    Db,
    HubDep,
    queue_cookie,
    remember_session,
)
from hub.home import Hub
from hub.i18n import LANGUAGE_COOKIE, N_, gettext
from hub.learners import STAFF_ROLES, STAFF_SESSION, LearnerError, Role
from hub.pages import render
from hub.plugins.resident.learning import continue_items

router = APIRouter(tags=["resident pages"], include_in_schema=False)


def local_path(target: str) -> str:
    """Only follow `next` to a page of this hub, never to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/language", response_class=HTMLResponse, dependencies=[ANYONE])
def language_picker(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "language.html", next=local_path(next))


@router.get("/language/{code}", dependencies=[ANYONE])
def choose_language(request: Request, code: str, next: str = "/") -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    if code in request.app.state.languages:
        queue_cookie(request, LANGUAGE_COOKIE, code, httponly=False)
    return response


def my_learning_page(
    request: Request, hub: HubDep, learner: learners.Learner | None, status_code: int = 200, **extra: object
) -> HTMLResponse:
    items = continue_items(hub, learner.id) if learner else []
    return render(
        request,
        "me.html",
        status_code=status_code,
        in_progress=[i for i in items if i.next_lesson is not None],
        completed=[i for i in items if i.next_lesson is None],
        removed=library_keep.removed_courses_of(hub.db, learner.id) if learner else [],
        retracted=retractions.notices_for(hub.db, learner.id) if learner else [],
        updated=updates.updated_since_finished(hub.db, learner.id) if learner else {},
        may_create_profile=request.app.state.settings.learners_may_create_profile,
        pin_optional=request.app.state.settings.profiles_without_pin,
        **{"error": None, "name": "", **extra},
    )


@router.get("/me", response_class=HTMLResponse, dependencies=[ANYONE])
def my_learning(request: Request, hub: HubDep, learner: CurrentLearner, saved: bool = False) -> HTMLResponse:
    """`saved` after a new profile: its confirmation stands at the top, where a phone shows it."""
    return my_learning_page(request, hub, learner, saved=saved)


@router.post("/me/profile", response_class=HTMLResponse, dependencies=[SIGNING_IN])
def make_profile(
    request: Request,
    hub: HubDep,
    learner: CurrentLearner,
    name: Annotated[str, Form()] = "",
    pin: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not request.app.state.settings.learners_may_create_profile:
            raise LearnerError(N_("On this hub, profiles are made by a tutor or an admin."))
        if learner is not None and not learner.is_guest:
            raise LearnerError(N_("You already have a profile."))
        if not pin.strip() and not request.app.state.settings.profiles_without_pin:
            raise LearnerError(N_("Please choose a PIN of 4 digits, so that only you can open your profile."))
        if learner is None:  # nothing learned here yet: the profile is a new account of its own
            account = learners.create_account(hub.db, name, Role.LEARNER, pin.strip())
            remember_session(request, learners.start_session(hub.db, account.id))
        else:
            learners.create_profile(hub.db, learner.id, name, pin.strip())
    except LearnerError as error:
        return my_learning_page(request, hub, learner, 400, error=error.translated(), name=name)
    return RedirectResponse("/me?saved=1", status_code=303)


@router.get("/signin", response_class=HTMLResponse, dependencies=[ANYONE])
def sign_in_page(request: Request, next: str = "/me", password: bool = False) -> HTMLResponse:
    """A number pad for a learner's PIN; `password` gives tutors and admins a full keyboard."""
    return render(request, "signin.html", error=None, notice=None, name="", next=local_path(next),
                  password=password)  # fmt: skip


@router.post("/signin", response_class=HTMLResponse, dependencies=[SIGNING_IN])
def sign_in(
    request: Request,
    db: Db,
    learner: CurrentLearner,
    name: Annotated[str, Form()] = "",
    pin: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/me",
) -> Response:
    device = request.cookies.get(DEVICE_COOKIE, "")
    try:
        account = learners.check_sign_in(
            db,
            name,
            pin.strip(),
            client=request.client.host if request.client else "",
            device=device,
            pinless_allowed=request.app.state.settings.profiles_without_pin,
        )
    except learners.UnknownCode as unknown:
        return _card_from_elsewhere(request, db, unknown.code, pin.strip(), name, next)
    except LearnerError as error:
        return _sign_in_again(request, name, next, error=error.translated())
    old_token = request.cookies.get(SESSION_COOKIE)
    if learner is not None and learner.is_guest and account.role == Role.LEARNER:
        progress.move_progress(db, learner.id, account.id)
    if old_token:
        learners.end_session(db, old_token)
    lifetime = STAFF_SESSION if account.role in STAFF_ROLES else None
    remember_session(request, learners.start_session(db, account.id, lifetime))
    device = sign_in_limits.remember_device(db, account.id, device)
    queue_cookie(request, DEVICE_COOKIE, device, path="/signin")
    return RedirectResponse(local_path(next), status_code=303)


def _sign_in_again(request: Request, name: str, next: str, error: str = "", notice: str = "") -> HTMLResponse:
    status = 400 if error else 202
    return render(request, "signin.html", status_code=status, error=error, notice=notice, name=name,
                  next=local_path(next), password=True)  # fmt: skip


def _card_from_elsewhere(request: Request, db: Db, code: str, pin: str, name: str, next: str) -> HTMLResponse:
    """A card this hub holds no profile for: ask the centre for it at the next sync (hub/follow.py)."""
    try:
        follow.ask(db, code, pin)
    except LearnerError as error:
        return _sign_in_again(request, name, next, error=error.translated())
    return _sign_in_again(request, name, next, notice=gettext(follow.ASKED))


@router.post("/signout", dependencies=[ANYONE])
def sign_out(request: Request, db: Db) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        learners.end_session(db, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _own_data(db: Db, learner: learners.Learner | None) -> dict[str, object]:
    """Everything stored about whoever this browser holds (nothing, for a first visit)."""
    if learner is None:
        return privacy.nothing_stored()
    return privacy.export(db, learner.id)


@router.get("/me/data", response_class=HTMLResponse, dependencies=[ANYONE])
def my_data(request: Request, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    data = _own_data(hub.db, learner)
    course_ids = [str(row["course_id"]) for row in data.get("progress") or []]  # type: ignore[attr-defined]
    removed = library_keep.removed_titles(hub.db, course_ids)
    return render(request, "my_data.html", data=data, titles=_titles(hub, data), removed=removed, error=None)


def _titles(hub: Hub, data: dict[str, object]) -> dict[str, str]:
    """Course and lesson titles by id ("course" and "course/lesson"), so a person reads names, not ids."""
    titles: dict[str, str] = {}
    for row in data.get("progress") or []:  # type: ignore[attr-defined]
        course_id = row["course_id"]
        if course_id not in titles and (detail := hub.course(course_id)) is not None:
            titles[course_id] = detail.course.title
            titles.update({f"{course_id}/{lesson.id}": lesson.title for lesson in detail.lessons})
    return titles


@router.get("/me/data.json", dependencies=[ANYONE])
def my_data_json(db: Db, learner: CurrentLearner) -> Response:
    body = json.dumps(_own_data(db, learner), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@router.post("/me/delete", dependencies=[ANYONE])
def delete_my_data(request: Request, db: Db, learner: CurrentLearner) -> Response:
    if learner is None:
        return RedirectResponse("/", status_code=303)
    try:
        learners.delete_account(db, learner.id)
    except LearnerError as error:
        return render(
            request, "my_data.html", status_code=400, data=_own_data(db, learner), error=error.translated()
        )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
