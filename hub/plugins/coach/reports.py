"""Coaching reports for tutors: the class grid, one learner, one quiz, who needs help; each table as CSV.

A tutor sees only her own classes (another's gets the 403 page), an admin every class, a learner
none. Every page takes `?format=csv` (and `table=` where it shows more than one table).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.access import TUTOR, AccessDenied
from hub.coaching import report_charts, report_help, report_learner, report_quiz
from hub.coaching.csv_export import csv_response
from hub.coaching.report_grid import class_work, row_markup
from hub.coaching.reports import (
    ClassInfo,
    ClassNotFound,
    NotYourClass,
    class_for,
    member,
    visible_classes,
)
from hub.deps import CurrentLearner, Db
from hub.i18n import N_, gettext, text_direction
from hub.learners import Learner
from hub.pages import render

router = APIRouter(tags=["coaching reports"], include_in_schema=False)
HELP_ROWS_SHOWN = 300  # an admin's list over every class can run to thousands: the CSV has them all


def _class(db: Db, class_id: int, who: Learner | None) -> ClassInfo:
    assert who is not None  # TUTOR let only a tutor or an admin in
    try:
        return class_for(db, class_id, who)
    except NotYourClass as error:
        raise AccessDenied(403, error.message) from None


def _not_found(request: Request, error: ClassNotFound) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, message=error.translated())


def shows_not_found(route: Callable[..., Response]) -> Callable[..., Response]:
    """A report route that answers a missing class, learner or quiz with the "not found" page."""

    @functools.wraps(route)
    def answer(*args: Any, **kwargs: Any) -> Response:
        try:
            return route(*args, **kwargs)
        except ClassNotFound as error:
            return _not_found(kwargs["request"], error)

    return answer


def _unknown_table(request: Request) -> HTMLResponse:
    return render(
        request, "not_found.html", status_code=404, message=gettext("This report has no such table.")
    )


def _rtl(request: Request) -> bool:
    return text_direction(request.scope.get("state", {}).get("language", "en")) == "rtl"


@router.get("/tutor/classes/{class_id}/report", response_class=HTMLResponse, dependencies=[TUTOR])
@shows_not_found
def class_grid(
    request: Request, db: Db, who: CurrentLearner, class_id: int, format: str = "", table: str = "grid"
) -> Response:
    """Learners × assignments, the class's charts, links to each learner and quiz."""
    info = _class(db, class_id, who)
    work = class_work(db, class_id)
    charts = report_charts.class_charts(db, class_id, work, datetime.now(UTC).date(), _rtl(request))
    if format == "csv":
        stem = f"class-{class_id}-{table}"
        if table == "grid":
            header = [gettext("Learner"), *(item.title for item in work.assignments)]
            return csv_response(
                stem, header, [[m.name, *(c.text() for c in cells)] for m, cells in work.rows()]
            )
        chart = next((chart for chart in charts if chart.id == table), None)
        if chart is None:
            return _unknown_table(request)
        rows = [[bar.label, bar.value] for bar in chart.bars]
        return csv_response(stem, [chart.label_heading, chart.value_heading], rows)
    return render(request, "report_grid.html", info=info, work=work, charts=charts, row_markup=row_markup)


@router.get(
    "/tutor/classes/{class_id}/learners/{learner_id}", response_class=HTMLResponse, dependencies=[TUTOR]
)
@shows_not_found
def learner_page(
    request: Request,
    db: Db,
    who: CurrentLearner,
    class_id: int,
    learner_id: str,
    format: str = "",
    table: str = "lessons",
) -> Response:
    """One learner of the class: her lessons with time spent, and every quiz attempt with her answers."""
    info = _class(db, class_id, who)
    person = member(db, class_id, learner_id)
    lessons = report_learner.lessons(db, learner_id)
    attempts = report_learner.attempts(db, learner_id, class_id)
    if format == "csv":
        stem = f"class-{class_id}-learner-{table}"
        if table == "lessons":
            header = [
                gettext(h)
                for h in (
                    N_("Course"),
                    N_("Lesson"),
                    N_("Progress (percent)"),
                    N_("Completed"),
                    N_("Last opened"),
                    N_("Time spent (minutes)"),
                )
            ]
            return csv_response(
                stem,
                header,
                [
                    [
                        f"{r.course_title} ({gettext('course removed')})"
                        if r.course_removed
                        else r.course_title,
                        r.lesson_title,
                        round(100 * r.progress),
                        r.completed_at or "",
                        r.last_opened_at,
                        round(r.seconds / 60),
                    ]
                    for r in lessons
                ],
            )
        if table == "attempts":
            header = [
                gettext(h)
                for h in (N_("When"), N_("Course"), N_("Quiz"), N_("Score"), N_("Out of"), N_("Answers"))
            ]
            return csv_response(
                stem,
                header,
                [
                    [
                        a.at,
                        a.where or gettext("Class quiz"),
                        a.quiz_title,
                        a.score,
                        a.total,
                        " | ".join(
                            f"{n}. {g.text} {'✓' if g.correct else '✗'}" for n, g in enumerate(a.answers, 1)
                        ),
                    ]
                    for a in attempts
                ],
            )
        return _unknown_table(request)
    return render(
        request, "report_learner.html", info=info, person=person, lessons=lessons, attempts=attempts
    )


def _quiz_page(
    request: Request, info: ClassInfo, report: report_quiz.QuizReport, stem: str, format: str
) -> Response:
    if format == "csv":
        header = [
            gettext(h)
            for h in (
                N_("Question"),
                N_("Right (percent)"),
                N_("Most chosen wrong answer"),
                N_("Got it wrong"),
            )
        ]
        return csv_response(
            stem,
            header,
            [
                [q.question.prompt, q.percent_correct, q.top_wrong or "", ", ".join(m.name for m in q.wrong)]
                for q in report.questions
            ],
        )
    return render(request, "report_quiz.html", info=info, report=report)


@router.get(
    "/tutor/classes/{class_id}/quizzes/{quiz_id}/report", response_class=HTMLResponse, dependencies=[TUTOR]
)
@shows_not_found
def class_quiz_page(
    request: Request, db: Db, who: CurrentLearner, class_id: int, quiz_id: int, format: str = ""
) -> Response:
    """A class quiz, question by question."""
    info = _class(db, class_id, who)
    report = report_quiz.class_quiz_report(db, class_id, quiz_id)
    return _quiz_page(request, info, report, f"class-{class_id}-quiz-{quiz_id}", format)


@router.get(
    "/tutor/classes/{class_id}/library-quizzes/{course_id}/{lesson_id}/report",
    response_class=HTMLResponse,
    dependencies=[TUTOR],
)
@shows_not_found
def library_quiz_page(
    request: Request,
    db: Db,
    who: CurrentLearner,
    class_id: int,
    course_id: str,
    lesson_id: str,
    format: str = "",
) -> Response:
    """A quiz lesson of the class's courses, question by question, over each learner's latest attempt."""
    info = _class(db, class_id, who)
    report = report_quiz.library_quiz_report(db, class_id, course_id, lesson_id)
    return _quiz_page(request, info, report, f"class-{class_id}-{course_id}-{lesson_id}", format)


def _days(text: str) -> tuple[int, str | None]:
    """The stall length asked for, or the default with a message saying what was wrong."""
    if not text.strip():
        return report_help.DEFAULT_DAYS, None
    try:
        return report_help.read_days(text), None
    except ValueError:
        message = gettext(report_help.DAYS_WRONG) % {
            "max": report_help.MAX_DAYS,
            "days": report_help.DEFAULT_DAYS,
        }
        return report_help.DEFAULT_DAYS, message


def _help_page(
    request: Request,
    db: Db,
    classes: list[ClassInfo],
    days_text: str,
    format: str,
    stem: str,
    info: ClassInfo | None = None,
) -> Response:
    days, error = _days(days_text)
    found = [row for each in classes for row in report_help.needs_help(db, each, days)]
    if format == "csv":
        header = [gettext("Class"), gettext("Learner"), gettext("Why")]
        return csv_response(stem, header, [[r.class_info.name, r.learner.name, r.reason] for r in found])
    return render(
        request,
        "report_help.html",
        status_code=400 if error else 200,
        info=info,
        classes=classes,
        found=found[:HELP_ROWS_SHOWN],
        total=len(found),
        days=days,
        error=error,
    )


@router.get("/tutor/classes/{class_id}/needs-help", response_class=HTMLResponse, dependencies=[TUTOR])
@shows_not_found
def class_needs_help(
    request: Request, db: Db, who: CurrentLearner, class_id: int, days: str = "", format: str = ""
) -> Response:
    """The class's learners stalled for `days` days or who failed a quiz twice, with the reason."""
    info = _class(db, class_id, who)
    return _help_page(request, db, [info], days, format, f"class-{class_id}-needs-help", info)


@router.get("/tutor/needs-help", response_class=HTMLResponse, dependencies=[TUTOR])
def all_needs_help(
    request: Request, db: Db, who: CurrentLearner, days: str = "", format: str = ""
) -> Response:
    """Who needs help across the tutor's classes (an admin: every class)."""
    assert who is not None
    return _help_page(request, db, visible_classes(db, who), days, format, "needs-help")
