"""A learner's side of a class: taking a class quiz once while it is open, seeing her answers once it
is closed, and the list of her classes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.access import LEARNER
from hub.coaching import class_quizzes
from hub.coaching.class_quizzes import ClassQuiz
from hub.coaching.classes import CoachingError
from hub.coaching.for_you import for_you, my_classes
from hub.deps import CurrentLearner, Db, HubDep
from hub.i18n import gettext
from hub.learners import Learner
from hub.pages import render
from hub.plugins.coach.assigning import NO_SUCH_QUIZ
from hub.plugins.resident.learning import not_found

router = APIRouter(tags=["coaching pages"], include_in_schema=False)


def _quiz_for(db: Db, quiz_id: int, learner: Learner | None) -> ClassQuiz | None:
    quiz = class_quizzes.get_quiz(db, quiz_id)
    if quiz is None or learner is None or not class_quizzes.is_assigned_to(db, quiz, learner.id):
        return None
    return quiz


def quiz_page(request: Request, db: Db, quiz: ClassQuiz, learner: Learner, status_code: int = 200,
              error: str | None = None) -> HTMLResponse:  # fmt: skip
    return render(
        request, "quiz_take.html", status_code=status_code, quiz=quiz, order=quiz.order_for(learner.id),
        handed_in=class_quizzes.handed_in(db, quiz, learner.id), error=error,
    )  # fmt: skip


@router.get("/classes/quizzes/{quiz_id}", response_class=HTMLResponse, dependencies=[LEARNER])
def take_quiz(request: Request, db: Db, learner: CurrentLearner, quiz_id: int) -> HTMLResponse:
    quiz = _quiz_for(db, quiz_id, learner)
    if quiz is None or learner is None:
        return not_found(request, gettext(NO_SUCH_QUIZ))
    return quiz_page(request, db, quiz, learner)


@router.post("/classes/quizzes/{quiz_id}", dependencies=[LEARNER])
async def hand_in(request: Request, db: Db, learner: CurrentLearner, quiz_id: int) -> Response:
    quiz = _quiz_for(db, quiz_id, learner)
    if quiz is None or learner is None:
        return not_found(request, gettext(NO_SUCH_QUIZ))
    form = await request.form()
    answers = {i: [str(v) for v in form.getlist(f"q{i}")] for i in range(len(quiz.questions))}
    try:
        class_quizzes.hand_in(db, quiz.id, learner.id, answers)
    except CoachingError as error:
        return quiz_page(request, db, quiz, learner, 409, error.translated())
    return RedirectResponse(f"/classes/quizzes/{quiz.id}", status_code=303)


@router.get("/me/classes", response_class=HTMLResponse, dependencies=[LEARNER])
def classes_of_mine(request: Request, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    """Her classes, every assignment given to her (done or not) and her class quizzes."""
    assert learner is not None
    return render(request, "my_classes.html", classes=my_classes(hub.db, learner.id),
                  assigned=for_you(hub, learner.id))  # fmt: skip
