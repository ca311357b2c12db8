"""The JSON API's routes under /api/v1, and its docs page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from content.model import FileRef, Lesson
from content.quiz import UnreadableAnswer, check_answers, grade
from content.zim import entry_url
from hub import progress, retractions
from hub.access import ANYONE, LEARNING
from hub.catalogue import BadCursor
from hub.deps import CurrentLearner, Db, HubDep, learner_to_keep
from hub.home import Hub
from hub.lesson_html import lesson_markdown_html
from hub.library import CourseDetail
from hub.pages import render
from hub.plugins.resident.learning import media_url
from hub.plugins.zim.routes import lesson_html, zim_prefix
from hub.sources import Source

router = APIRouter(prefix="/api/v1", tags=["api"])


class SourceOut(BaseModel):
    """Where the course comes from, worked out from the keys the hub trusts right now."""

    status: Literal["verified", "untrusted", "starter", "local", "kolibri"]
    name: str = Field(description="The trusted publisher when verified, else the publisher the course names")
    key_id: str | None = Field(description="The id of the key that signed the course (minisign's form)")
    label: str = Field(description="What residents read, in the request's language")


def _source_out(source: Source) -> SourceOut:
    return SourceOut(status=source.status, name=source.name, key_id=source.key_id, label=source.label())


class CourseSummary(BaseModel):
    id: str
    version: int
    title: str
    summary: str
    language: str
    topics: list[str]
    publisher: str
    lesson_count: int
    url: str
    source: SourceOut


class LessonSummary(BaseModel):
    id: str
    title: str
    kind: str
    minutes: int


class CourseOut(CourseSummary):
    license: str
    level: str
    audience: str
    sources: list[str]
    translations: list[str]
    what_changed: str = ""
    last_reviewed: date | None = None
    review_by: date | None = None
    lessons: list[LessonSummary]


class FileOut(BaseModel):
    url: str
    media_type: str
    size: int
    name: str


class CaptionOut(FileOut):
    language: str
    label: str


class ImageOut(FileOut):
    alt: str
    caption: str


class QuestionOut(BaseModel):
    """A quiz question without its answer: answers come back from grading."""

    type: str
    prompt: str
    choices: list[str]
    unit: str


class LessonOut(LessonSummary):
    course_id: str
    html: str
    media: list[FileOut]
    captions: list[CaptionOut]
    images: list[ImageOut]
    questions: list[QuestionOut]
    pass_mark: float
    article_url: str | None = None  # a zim lesson: its article as a page (with its links and images)


class ProgressIn(BaseModel):
    course_id: str
    lesson_id: str
    progress: Annotated[float, Field(ge=0, le=1)]
    seconds: Annotated[int, Field(ge=0, le=progress.MAX_SECONDS_PER_REPORT)] = Field(
        0, description="Time spent in the lesson since the last report."
    )


class ProgressOut(BaseModel):
    course_id: str
    lesson_id: str
    progress: float
    completed_at: str | None
    last_opened_at: str
    seconds: int = Field(description="Time spent in the lesson, on every hub.")


class QuizAnswers(BaseModel):
    answers: dict[int, list[str]]


class QuestionResultOut(BaseModel):
    correct: bool
    explanation: str


class QuizResultOut(BaseModel):
    score: int
    total: int
    passed: bool
    results: list[QuestionResultOut]


def _file(ref: FileRef) -> dict[str, object]:
    return {"url": media_url(ref.sha256, ref.name), "media_type": ref.media_type,
            "size": ref.size, "name": ref.name}  # fmt: skip


def _lesson_html(hub: Hub, lesson: Lesson) -> str:
    """A lesson's body as safe HTML: its Markdown, or for a zim lesson the article it names."""
    if lesson.kind != "zim":
        return lesson_markdown_html(lesson.text)
    return lesson_html(hub, lesson) or ""


def _lesson_out(hub: Hub, course_id: str, lesson: Lesson) -> LessonOut:
    return LessonOut(
        id=lesson.id,
        title=lesson.title,
        kind=lesson.kind,
        minutes=lesson.minutes,
        course_id=course_id,
        html=_lesson_html(hub, lesson),
        media=[FileOut(**_file(f)) for f in lesson.media],
        captions=[CaptionOut(**_file(c.file), language=c.language, label=c.label) for c in lesson.captions],
        images=[ImageOut(**_file(i.file), alt=i.alt, caption=i.caption) for i in lesson.images],
        questions=[
            QuestionOut(type=q.type, prompt=q.prompt, choices=q.choices, unit=q.unit)
            for q in lesson.questions
        ],
        pass_mark=lesson.pass_mark,
        article_url=entry_url(zim_prefix(lesson.media[0].sha256), lesson.entry)
        if lesson.kind == "zim"
        else None,
    )


def _course_or_404(hub: Hub, course_id: str) -> CourseDetail:
    detail = hub.course(course_id)
    if detail is None:
        raise HTTPException(404, f"There is no course {course_id!r} on this hub.")
    if notice := retractions.notice(hub.db, course_id):
        raise HTTPException(410, f"Course {course_id!r} was withdrawn: {notice.reason}")
    return detail


def _lesson_or_404(hub: Hub, course_id: str, lesson_id: str) -> Lesson:
    lesson = _course_or_404(hub, course_id).lesson(lesson_id)
    if lesson is None:
        raise HTTPException(404, f"Course {course_id!r} has no lesson {lesson_id!r}.")
    return lesson


API_PAGE_SIZE, API_MAX_PAGE_SIZE = 100, 500


@router.get("/courses", dependencies=[ANYONE])
def list_courses(
    request: Request,
    response: Response,
    hub: HubDep,
    lang: str = "",
    topic: str = "",
    limit: Annotated[int, Query(ge=1, le=API_MAX_PAGE_SIZE)] = API_PAGE_SIZE,
    after: str = "",
) -> list[CourseSummary]:
    """The courses on the hub by title, optionally only one language or topic, `limit` at a time.
    When more follow, the `Link` header names the next page (rel="next", its `after` cursor)."""
    catalogue = hub.catalogue()
    try:
        page, cursor = catalogue.after(catalogue.chosen(lang, topic), after, limit)
    except BadCursor:
        raise HTTPException(400, "This after= cursor is not one the hub gave; start without it.") from None
    if cursor:
        following = request.url.include_query_params(after=cursor, limit=limit)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return [
        CourseSummary(**{**c.__dict__, "url": f"/api/v1/courses/{c.id}", "source": _source_out(c.source)})
        for c in page
    ]


@router.get("/courses/{course_id}", dependencies=[ANYONE])
def get_course(course_id: str, hub: HubDep) -> CourseOut:
    detail = _course_or_404(hub, course_id)
    course = detail.course
    return CourseOut(
        **course.model_dump(exclude={"cover"}),
        lesson_count=len(detail.lessons),
        url=f"/api/v1/courses/{course.id}",
        source=_source_out(detail.source),
        lessons=[
            LessonSummary(id=ls.id, title=ls.title, kind=ls.kind, minutes=ls.minutes) for ls in detail.lessons
        ],
    )


@router.get("/courses/{course_id}/lessons/{lesson_id}", dependencies=[ANYONE])
def get_lesson(course_id: str, lesson_id: str, hub: HubDep) -> LessonOut:
    return _lesson_out(hub, course_id, _lesson_or_404(hub, course_id, lesson_id))


@router.post("/courses/{course_id}/lessons/{lesson_id}/quiz", dependencies=[LEARNING])
def grade_quiz(
    request: Request,
    course_id: str,
    lesson_id: str,
    answers: QuizAnswers,
    db: Db,
    hub: HubDep,
    learner: CurrentLearner,
) -> QuizResultOut:
    """Grade a quiz attempt for the current learner and keep it."""
    lesson = _lesson_or_404(hub, course_id, lesson_id)
    if lesson.kind != "quiz":
        raise HTTPException(422, "This lesson is not a quiz.")
    try:
        check_answers(lesson, answers.answers)
    except UnreadableAnswer as error:
        raise HTTPException(422, f"These answers cannot be graded: {error}.") from None
    result = grade(lesson, answers.answers)
    progress.record_quiz(db, learner_to_keep(request, db, learner).id, course_id, lesson_id, result)
    return QuizResultOut(
        score=result.score,
        total=result.total,
        passed=result.passed,
        results=[
            QuestionResultOut(correct=r.correct, explanation=r.question.explanation) for r in result.results
        ],
    )


@router.get("/progress", dependencies=[ANYONE])
def my_progress(hub: HubDep, learner: CurrentLearner, course_id: str = "") -> list[ProgressOut]:
    """The current learner's progress (empty for someone who has not started)."""
    if learner is None:
        return []
    course_ids = (
        [course_id] if course_id else [a.course_id for a in progress.recent_courses(hub.db, learner.id)]
    )
    return [
        ProgressOut(course_id=cid, lesson_id=lid, **state.__dict__)
        for cid in course_ids
        for lid, state in progress.for_course(hub.db, learner.id, cid).items()
    ]


@router.post("/progress", status_code=204, dependencies=[LEARNING])
def save_progress(request: Request, body: ProgressIn, db: Db, hub: HubDep, learner: CurrentLearner) -> None:
    """Record progress in a lesson (the highest value ever sent is kept) and time spent in it."""
    _lesson_or_404(hub, body.course_id, body.lesson_id)
    learner = learner_to_keep(request, db, learner)
    kept = learner.id
    hub.writes.run(
        lambda db: progress.record_in(db, kept, body.course_id, body.lesson_id, body.progress, body.seconds)
    )


docs_router = APIRouter(tags=["api"])


@docs_router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False, dependencies=[ANYONE])
def api_docs(request: Request) -> HTMLResponse:
    """The API described from its OpenAPI schema, as a page that needs no CDN or script."""
    schema = request.app.openapi()
    return render(request, "api_docs.html", schema=schema, paths=schema["paths"])
