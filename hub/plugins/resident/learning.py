"""Finding courses and working through their lessons."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from content.markdown import render_markdown
from content.model import Lesson
from content.quiz import grade
from hub import progress, retractions, updates
from hub.access import ANYONE, LEARNING
from hub.deps import CurrentLearner, Db, HubDep, learner_to_keep
from hub.home import Hub
from hub.i18n import gettext
from hub.learners import STAFF_ROLES
from hub.library import CourseCard, CourseDetail
from hub.pages import render
from hub.pathways import Pathway, list_pathways
from hub.progress import LessonProgress
from hub.text_parts import text_part
from hub.topics import kind_label, topic_label

router = APIRouter(tags=["resident pages"], include_in_schema=False)
ALL_LANGUAGES = "all"


def not_found(request: Request, message: str) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, message=message)


def retracted_page(request: Request, hub: Hub, course_id: str) -> HTMLResponse | None:
    """The notice a retracted course's pages show instead of the lessons; None when it is not retracted."""
    notice = retractions.notice(hub.db, course_id)
    return render(request, "retracted.html", status_code=410, notice=notice) if notice else None


def in_language_first(courses: list[CourseCard], language: str) -> list[CourseCard]:
    """Courses in the reader's language first, the rest after, each group by title."""
    return sorted(courses, key=lambda c: c.language.split("-")[0] != language)


@dataclass(frozen=True)
class ContinueItem:
    course: CourseCard
    lessons_done: int
    next_lesson: Lesson | None


def continue_items(hub: Hub, learner_id: str) -> list[ContinueItem]:
    """The learner's courses, most recently opened first, with the next lesson to take."""
    items = []
    for activity in progress.recent_courses(hub.db, learner_id):
        detail = hub.course(activity.course_id)
        if detail is None:
            continue
        done = progress.for_course(hub.db, learner_id, activity.course_id)
        next_lesson = next((ls for ls in detail.lessons if ls.id not in done or not done[ls.id].done), None)
        card = next((c for c in hub.courses() if c.id == activity.course_id), None)
        if card is None:  # retracted: shown as a notice instead (hub/retractions.py)
            continue
        items.append(ContinueItem(card, sum(p.done for p in done.values()), next_lesson))
    return items


@dataclass(frozen=True)
class PathwayStep:
    course: CourseCard
    lessons_done: int


def pathway_steps(hub: Hub, learner_id: str | None) -> list[tuple[Pathway, list[PathwayStep]]]:
    """Each pathway with its courses (those on the hub) and the learner's lessons done in each."""
    cards = {c.id: c for c in hub.courses()}
    shown = []
    for pathway in list_pathways(hub.db):
        steps = []
        for course_id in (c for c in pathway.course_ids if c in cards):
            detail = hub.course(course_id)
            done = progress.for_course(hub.db, learner_id, course_id) if learner_id and detail else {}
            finished = sum(
                1 for ls in (detail.lessons if detail else []) if ls.id in done and done[ls.id].done
            )
            steps.append(PathwayStep(cards[course_id], finished))
        if steps:
            shown.append((pathway, steps))
    return shown


@router.get("/", response_class=HTMLResponse, dependencies=[ANYONE])
def home(request: Request, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    language = request.state.language
    courses = hub.courses()
    items = continue_items(hub, learner.id) if learner else []
    topics = sorted({t for c in courses for t in c.topics[1:]}, key=topic_label)
    return render(
        request,
        "home.html",
        continuing=[i for i in items if i.next_lesson is not None][:3],
        retracted=retractions.notices_for(hub.db, learner.id) if learner else [],
        pathways=pathway_steps(hub, learner.id if learner else None),
        mine=[c for c in courses if c.language.split("-")[0] == language],
        others=[c for c in courses if c.language.split("-")[0] != language],
        topics=topics,
        topic_label=topic_label,
    )


@router.get("/courses", response_class=HTMLResponse, dependencies=[ANYONE])
def browse(request: Request, hub: HubDep, topic: str = "", lang: str = "") -> HTMLResponse:
    """The course list, in the reader's language unless she asks for all (`lang=all`) or another."""
    courses = hub.courses()
    course_languages = sorted({c.language.split("-")[0] for c in courses})
    if not lang:
        lang = request.state.language if request.state.language in course_languages else ALL_LANGUAGES
    chosen = [
        c
        for c in courses
        if (not topic or topic in c.topics) and (lang == ALL_LANGUAGES or c.language.split("-")[0] == lang)
    ]
    return render(
        request,
        "courses.html",
        courses=in_language_first(chosen, request.state.language),
        topics=sorted({t for c in courses for t in c.topics}, key=topic_label),
        course_languages=course_languages,
        topic=topic,
        lang=lang,
        all_languages=ALL_LANGUAGES,
        topic_label=topic_label,
    )


@router.get("/courses/{course_id}", response_class=HTMLResponse, dependencies=[ANYONE])
def course_page(request: Request, course_id: str, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    detail = hub.course(course_id)
    if detail is None:
        return not_found(request, gettext("There is no such course on this hub."))
    if retracted := retracted_page(request, hub, course_id):
        return retracted
    done = progress.for_course(hub.db, learner.id, course_id) if learner else {}
    updated = updates.updated_since_finished(hub.db, learner.id, [course_id]) if learner else {}
    next_lesson = next((ls for ls in detail.lessons if ls.id not in done or not done[ls.id].done), None)
    translations = [c for c in hub.courses() if c.id in detail.course.translations]
    return render(
        request,
        "course.html",
        detail=detail,
        course=detail.course,
        done=done,
        lessons_done=sum(p.done for p in done.values() if p),
        next_lesson=next_lesson,
        translations=translations,
        topic_label=topic_label,
        kind_label=kind_label,
        can_export=learner is not None and learner.effective_role in STAFF_ROLES,
        updated_since_finished=course_id in updated,
    )


def lesson_context(detail: CourseDetail, lesson: Lesson, part: int = 1) -> dict[str, object]:
    index = detail.lessons.index(lesson)
    shown = text_part(lesson.text, part)
    return {
        "detail": detail,
        "course": detail.course,
        "lesson": lesson,
        "position": index + 1,
        "previous": detail.lessons[index - 1] if index > 0 else None,
        "following": detail.lessons[index + 1] if index + 1 < len(detail.lessons) else None,
        "body": render_markdown(shown.text) if lesson.text else "",
        "text_part": shown,
        "kind_label": kind_label,
    }


def media_url(sha256: str, name: str) -> str:
    return f"/media/{sha256}/{quote(name)}"


@router.get("/courses/{course_id}/{lesson_id}", response_class=HTMLResponse, dependencies=[LEARNING])
def lesson_page(
    request: Request, course_id: str, lesson_id: str, hub: HubDep, learner: CurrentLearner, part: int = 1
) -> HTMLResponse:
    """A lesson; `part` is which part of a long text version to show (hub/text_parts.py)."""
    if retracted := retracted_page(request, hub, course_id):
        return retracted
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    if detail is None or lesson is None:
        return not_found(request, gettext("There is no such lesson on this hub."))
    state, best = None, None
    if learner is not None:  # someone already kept: note the visit; a first visit makes no account
        progress.record(hub.db, learner.id, course_id, lesson_id, 0.0)
        state = progress.for_course(hub.db, learner.id, course_id).get(lesson_id)
        best = progress.best_attempt(hub.db, learner.id, course_id, lesson_id)
    return render(
        request,
        "lesson.html",
        viewer=request.app.state.lesson_viewers[lesson.kind],
        media_url=media_url,
        state=state,
        best=best,
        result=None,
        **lesson_context(detail, lesson, part),
    )


@router.post("/courses/{course_id}/{lesson_id}/done", dependencies=[LEARNING])
def mark_done(
    request: Request, course_id: str, lesson_id: str, hub: HubDep, db: Db, learner: CurrentLearner
) -> Response:
    if retracted := retracted_page(request, hub, course_id):
        return retracted
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    if detail is None or lesson is None or lesson.kind == "quiz":
        return not_found(request, gettext("There is no such lesson on this hub."))
    progress.record(db, learner_to_keep(request, db, learner).id, course_id, lesson_id, 1.0)
    following = lesson_context(detail, lesson)["following"]
    target = f"/courses/{course_id}/{following.id}" if following else f"/courses/{course_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/courses/{course_id}/{lesson_id}/quiz", response_class=HTMLResponse, dependencies=[LEARNING])
async def submit_quiz(
    request: Request, course_id: str, lesson_id: str, hub: HubDep, db: Db, learner: CurrentLearner
) -> HTMLResponse:
    if retracted := retracted_page(request, hub, course_id):
        return retracted
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    if detail is None or lesson is None or lesson.kind != "quiz":
        return not_found(request, gettext("There is no such quiz on this hub."))
    form = await request.form()
    answers = {i: [str(v) for v in form.getlist(f"q{i}")] for i in range(len(lesson.questions))}
    result = grade(lesson, answers)
    learner = learner_to_keep(request, db, learner)
    progress.record_quiz(db, learner.id, course_id, lesson_id, result)
    state: LessonProgress | None = progress.for_course(db, learner.id, course_id).get(lesson_id)
    return render(
        request,
        "lesson.html",
        viewer=request.app.state.lesson_viewers["quiz"],
        media_url=media_url,
        state=state,
        best=progress.best_attempt(db, learner.id, course_id, lesson_id),
        result=result,
        **lesson_context(detail, lesson),
    )
