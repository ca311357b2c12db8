"""A tutor's classes: the list, making one, its page, renaming, archiving, and its tutors (admins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.access import ADMIN, TUTOR
from hub.coaching import assignments, class_quizzes, classes, roster
from hub.coaching.classes import ClassRecord, CoachingError
from hub.deps import CurrentLearner, Db, HubDep
from hub.home import Hub
from hub.learners import Learner, Role
from hub.pages import render
from hub.pathways import list_pathways
from hub.plugins.coach.taught import TaughtClass

router = APIRouter(tags=["coaching pages"], include_in_schema=False)


def class_page(
    request: Request, hub: Hub, record: ClassRecord, status_code: int = 200, **extra: object
) -> HTMLResponse:
    """A class's page: its learners, tutors, assignments and quizzes, with the forms to change them."""
    viewer: Learner = request.state.learner
    db = hub.db
    return render(
        request,
        "class.html",
        status_code=status_code,
        record=record,
        members=roster.members(db, record.id),
        tutors=classes.tutors_of(db, record.id),
        staff=classes.staff_members(db) if viewer.role == Role.ADMIN else [],
        assigned=assignments.assignments_of(db, record.id),
        quizzes=class_quizzes.quizzes_of(db, record.id),
        courses=hub.courses(),
        pathways=list_pathways(db),
        **{"error": None, "problems": [], "names": "", **extra},
    )


def to_class(class_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/tutor/classes/{class_id}{'#' + anchor if anchor else ''}", status_code=303)


def change_class(
    request: Request, hub: Hub, record: ClassRecord, change: Callable[[], object], anchor: str = ""
) -> Response:
    """Make one change to a class, then go back to its page; a refused change shows the page with why."""
    try:
        change()
    except CoachingError as error:
        return class_page(request, hub, record, 400, error=error.translated())
    return to_class(record.id, anchor)


def classes_page(request: Request, db: Db, viewer: Learner, archived: bool, status_code: int = 200,
                 **extra: object) -> HTMLResponse:  # fmt: skip
    return render(
        request, "classes.html", status_code=status_code, classes=classes.classes_for(db, viewer, archived),
        archived=archived, **{"error": None, "form": {}, **extra},
    )  # fmt: skip


@router.get("/tutor/classes", response_class=HTMLResponse, dependencies=[TUTOR])
def class_list(request: Request, db: Db, learner: CurrentLearner, archived: bool = False) -> HTMLResponse:
    assert learner is not None
    return classes_page(request, db, learner, archived)


@router.post("/tutor/classes", dependencies=[TUTOR])
def new_class(
    request: Request,
    db: Db,
    learner: CurrentLearner,
    name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    schedule: Annotated[str, Form()] = "",
) -> Response:
    assert learner is not None
    try:
        class_id = classes.create_class(db, learner, name, language, schedule, request.app.state.languages)
    except CoachingError as error:
        form = {"name": name, "language": language, "schedule": schedule}
        return classes_page(request, db, learner, False, 400, error=error.translated(), form=form)
    return to_class(class_id)


@router.get("/tutor/classes/{class_id}", response_class=HTMLResponse, dependencies=[TUTOR])
def show_class(request: Request, hub: HubDep, record: TaughtClass) -> HTMLResponse:
    return class_page(request, hub, record)


@router.post("/tutor/classes/{class_id}", dependencies=[TUTOR])
def edit_class(
    request: Request,
    hub: HubDep,
    record: TaughtClass,
    name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    schedule: Annotated[str, Form()] = "",
) -> Response:
    languages = request.app.state.languages
    return change_class(
        request,
        hub,
        record,
        lambda: classes.update_class(hub.db, record.id, name, language, schedule, languages),
    )


@router.post("/tutor/classes/{class_id}/archive", dependencies=[TUTOR])
def archive_class(record: TaughtClass, db: Db, archived: Annotated[str, Form()] = "yes") -> Response:
    classes.set_archived(db, record.id, archived == "yes")
    return to_class(record.id)


@router.post("/tutor/classes/{class_id}/tutors", dependencies=[ADMIN])
def add_tutor(
    request: Request, hub: HubDep, record: TaughtClass, tutor_id: Annotated[str, Form()] = ""
) -> Response:
    return change_class(
        request, hub, record, lambda: classes.add_tutor(hub.db, record.id, tutor_id), "tutors"
    )


@router.post("/tutor/classes/{class_id}/tutors/{tutor_id}/remove", dependencies=[ADMIN])
def remove_tutor(record: TaughtClass, db: Db, tutor_id: str) -> Response:
    classes.remove_tutor(db, record.id, tutor_id)
    return to_class(record.id, "tutors")
