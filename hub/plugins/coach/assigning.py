"""Giving a class work: assignments (course, pathway, class quiz) and making, opening, closing quizzes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from hub.access import TUTOR
from hub.coaching import assignments, class_quizzes
from hub.coaching.classes import CoachingError
from hub.deps import Db, HubDep
from hub.i18n import N_, gettext
from hub.pages import render
from hub.plugins.coach.classes import change_class, to_class
from hub.plugins.coach.taught import TaughtClass
from hub.plugins.resident.learning import not_found

router = APIRouter(tags=["coaching pages"], include_in_schema=False)

NO_SUCH_QUIZ = N_("There is no such quiz in this class.")


@router.post("/tutor/classes/{class_id}/assignments", dependencies=[TUTOR])
async def assign(request: Request, hub: HubDep, record: TaughtClass) -> Response:
    """`what` is "course:<id>", "pathway:<id>" or "quiz:<id>"; chosen learners are `learner` fields."""
    form = await request.form()
    kind, _, target = str(form.get("what") or "").partition(":")
    starts_on, due_on = str(form.get("starts_on") or ""), str(form.get("due_on") or "")
    chosen = [str(v) for v in form.getlist("learner")]
    return change_class(
        request, hub, record,
        lambda: assignments.assign(hub.db, record.id, kind, target, starts_on, due_on, chosen), "assignments",
    )  # fmt: skip


@router.post("/tutor/classes/{class_id}/assignments/{assignment_id}/move", dependencies=[TUTOR])
def move_assignment(
    record: TaughtClass, db: Db, assignment_id: int, step: Annotated[int, Form()] = 0
) -> Response:
    assignments.move(db, record.id, assignment_id, 1 if step > 0 else -1)
    return to_class(record.id, "assignments")


@router.post("/tutor/classes/{class_id}/assignments/{assignment_id}/remove", dependencies=[TUTOR])
def remove_assignment(record: TaughtClass, db: Db, assignment_id: int) -> Response:
    assignments.remove(db, record.id, assignment_id)
    return to_class(record.id, "assignments")


def quiz_form(request: Request, hub: HubDep, record: TaughtClass, course: str, status_code: int = 200,
              **extra: object) -> HTMLResponse:  # fmt: skip
    return render(
        request, "quiz_new.html", status_code=status_code, record=record, courses=hub.courses(),
        course=course,        lessons=class_quizzes.quiz_lessons(hub, course) if course else [],
        **{"error": None, "title": "", **extra},
    )  # fmt: skip


@router.get("/tutor/classes/{class_id}/quizzes/new", response_class=HTMLResponse, dependencies=[TUTOR])
def new_quiz(request: Request, hub: HubDep, record: TaughtClass, course: str = "") -> HTMLResponse:
    """Pick questions from one course's quiz lessons at a time (browse by course, checkboxes)."""
    return quiz_form(request, hub, record, course)


@router.post("/tutor/classes/{class_id}/quizzes", dependencies=[TUTOR])
async def make_quiz(request: Request, hub: HubDep, record: TaughtClass) -> Response:
    form = await request.form()
    title, course = str(form.get("title") or ""), str(form.get("course") or "")
    try:
        class_quizzes.create_quiz(
            hub, record.id, title, [str(v) for v in form.getlist("question")], form.get("shuffle") == "on"
        )
    except CoachingError as error:
        return quiz_form(request, hub, record, course, 400, error=error.translated(), title=title)
    return to_class(record.id, "quizzes")


@router.post("/tutor/classes/{class_id}/quizzes/{quiz_id}/{action}", dependencies=[TUTOR])
def open_or_close_quiz(request: Request, db: Db, record: TaughtClass, quiz_id: int, action: str) -> Response:
    quiz = class_quizzes.get_quiz(db, quiz_id)
    if quiz is None or quiz.class_id != record.id or action not in ("open", "close"):
        return not_found(request, gettext(NO_SUCH_QUIZ))
    (class_quizzes.open_quiz if action == "open" else class_quizzes.close_quiz)(db, quiz_id)
    return to_class(record.id, "quizzes")
