"""Finding courses and working through their lessons.

The pages residents load most (home, the course list, a course, a lesson) are `async def`: they
run on the event loop, not in a worker thread. Their reads are WAL reads that never wait for a
writer, and a lesson view's one write is awaited from the group commit, so the loop serves other
phones meanwhile. A worker thread per page, and the GIL handed between a dozen of them, cost about
a third of the hub's CPU under load (2.2x the lesson views, bench/lesson_compare.py; about 1.7x
the home and course pages). A page on the loop must never take the writer lock: the loop would
stop behind a commit. Nor should it compute for long: the catalogue, rebuilt once per library
change (0.09 s at 10,000 courses), is built in a worker thread (`catalogue_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from content.model import Lesson
from content.quiz import grade
from hub import progress, retractions, updates
from hub.access import ANYONE, LEARNING
from hub.catalogue import Catalogue, page_number, page_of
from hub.course_translations import lesson_in, translations_of
from hub.deps import CurrentLearner, Db, HubDep, learner_to_keep
from hub.home import Hub
from hub.i18n import gettext
from hub.learners import STAFF_ROLES
from hub.lesson_html import lesson_markdown_html
from hub.library import CourseCard, CourseDetail
from hub.pages import render
from hub.pathways import Pathway, list_pathways
from hub.progress import LessonProgress
from hub.text_parts import text_part
from hub.topics import kind_label, topic_label

router = APIRouter(tags=["resident pages"], include_in_schema=False)
ATTEMPT_ID = re.compile(r"[0-9a-fA-F-]{32,36}")  # the UUID a quiz form carries (hub/progress.attempt_id_for)
ALL_LANGUAGES = "all"


def not_found(request: Request, message: str) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, message=message)


def retracted_page(request: Request, hub: Hub, course_id: str) -> HTMLResponse | None:
    """The notice a retracted course's pages show instead of the lessons; None when it is not retracted."""
    notice = retractions.notice(hub.db, course_id)
    return render(request, "retracted.html", status_code=410, notice=notice) if notice else None


@dataclass(frozen=True)
class ContinueItem:
    course: CourseCard
    lessons_done: int
    next_lesson: Lesson | None


def continue_items(hub: Hub, learner_id: str, unfinished: int | None = None) -> list[ContinueItem]:
    """The learner's courses, most recently opened first, with the next lesson to take; with
    `unfinished`, only the first that many she has not finished (home shows a few, and opens
    no more of her courses than it shows however many she has been through)."""
    items, cards = [], hub.catalogue().by_id
    for activity in progress.recent_courses(hub.db, learner_id):
        detail = hub.course(activity.course_id)
        if detail is None:
            continue
        done = progress.for_course(hub.db, learner_id, activity.course_id)
        next_lesson = next((ls for ls in detail.lessons if ls.id not in done or not done[ls.id].done), None)
        card = cards.get(activity.course_id)
        if card is None:  # retracted: shown as a notice instead (hub/retractions.py)
            continue
        if unfinished is not None and next_lesson is None:
            continue
        items.append(ContinueItem(card, sum(p.done for p in done.values()), next_lesson))
        if len(items) == unfinished:
            break
    return items


@dataclass(frozen=True)
class PathwayStep:
    course: CourseCard
    lessons_done: int


def pathway_steps(hub: Hub, learner_id: str | None) -> list[tuple[Pathway, list[PathwayStep]]]:
    """Each pathway with its courses (those on the hub) and the learner's lessons done in each."""
    cards = hub.catalogue().by_id
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


async def catalogue_of(hub: Hub) -> Catalogue:
    """The hub's catalogue; after a library change it is built in a worker thread, so that the loop
    goes on answering other phones meanwhile."""
    return hub.kept_catalogue() or await anyio.to_thread.run_sync(hub.catalogue)


# Cards the home page shows in the reader's language, and in other languages; the rest are a link
# away (/courses pages them), so the page costs the same with 17 courses or 10,000.
HOME_CARDS, HOME_OTHER_CARDS = 12, 6
HOME_CONTINUING = 3  # her courses under way
COURSES_PAGE_SIZE = 30


@router.get("/", response_class=HTMLResponse, dependencies=[ANYONE])
async def home(request: Request, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    language = request.state.language
    catalogue = await catalogue_of(hub)
    mine, others = catalogue.chosen(language), catalogue.others(language)
    return render(
        request,
        "home.html",
        continuing=continue_items(hub, learner.id, unfinished=HOME_CONTINUING) if learner else [],
        retracted=retractions.notices_for(hub.db, learner.id) if learner else [],
        pathways=pathway_steps(hub, learner.id if learner else None),
        mine=mine[:HOME_CARDS],
        mine_total=len(mine),
        others=others[:HOME_OTHER_CARDS],
        others_total=len(others),
        topics=sorted(catalogue.home_topics, key=topic_label),
        topic_label=topic_label,
        all_languages=ALL_LANGUAGES,
    )


@router.get("/courses", response_class=HTMLResponse, dependencies=[ANYONE])
async def browse(
    request: Request, hub: HubDep, topic: str = "", lang: str = "", page: str = ""
) -> HTMLResponse:
    """The course list, in the reader's language unless she asks for all (`lang=all`) or another;
    COURSES_PAGE_SIZE courses a page, with links to the pages before and after (no script needed)."""
    catalogue = await catalogue_of(hub)
    if not lang:
        lang = request.state.language if request.state.language in catalogue.languages else ALL_LANGUAGES
    if lang == ALL_LANGUAGES:
        chosen = catalogue.language_first(request.state.language, topic)
    else:
        chosen = catalogue.chosen(lang, topic)
    shown = page_of(chosen, page_number(page), COURSES_PAGE_SIZE)
    return render(
        request,
        "courses.html",
        courses=shown.cards,
        shown=shown,
        topics=sorted(catalogue.topics, key=topic_label),
        course_languages=catalogue.languages,
        topic=topic,
        lang=lang,
        all_languages=ALL_LANGUAGES,
        topic_label=topic_label,
    )


@router.get("/courses/{course_id}", response_class=HTMLResponse, dependencies=[ANYONE])
async def course_page(request: Request, course_id: str, hub: HubDep, learner: CurrentLearner) -> HTMLResponse:
    detail = hub.course(course_id)
    if detail is None:
        return not_found(request, gettext("There is no such course on this hub."))
    if retracted := retracted_page(request, hub, course_id):
        return retracted
    done = progress.for_course(hub.db, learner.id, course_id) if learner else {}
    updated = updates.updated_since_finished(hub.db, learner.id, [course_id]) if learner else {}
    next_lesson = next((ls for ls in detail.lessons if ls.id not in done or not done[ls.id].done), None)
    translations = translations_of(hub, course_id, await catalogue_of(hub))
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
        "body": lesson_markdown_html(shown.text) if lesson.text else "",
        "text_part": shown,
        "kind_label": kind_label,
    }


def media_url(sha256: str, name: str) -> str:
    return f"/media/{sha256}/{quote(name)}"


@router.get("/courses/{course_id}/{lesson_id}", response_class=HTMLResponse, dependencies=[LEARNING])
async def lesson_page(
    request: Request, course_id: str, lesson_id: str, hub: HubDep, learner: CurrentLearner, part: int = 1
) -> HTMLResponse:
    """A lesson; `part` is which part of a long text version to show (hub/text_parts.py). On the
    event loop (see the module's doc): its save is awaited, never written here."""
    if retracted := retracted_page(request, hub, course_id):
        return retracted
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    if detail is None or lesson is None:
        return not_found(request, gettext("There is no such lesson on this hub."))
    state, best = None, None
    saving = "x-hub-saving" in request.headers  # the phone saving the course is not a visit
    if learner is not None and not saving:  # someone kept: note the visit; a first visit makes no account
        if not progress.is_reload(hub.db, learner.id, course_id, lesson_id):
            visit = (learner.id, course_id, lesson_id)
            await hub.writes.run_async(lambda db: progress.record_in(db, *visit, 0.0))
        state = progress.for_course(hub.db, learner.id, course_id).get(lesson_id)
        best = progress.best_attempt(hub.db, learner.id, course_id, lesson_id)
    translations = translations_of(hub, course_id, await catalogue_of(hub))
    return render(
        request,
        "lesson.html",
        viewer=request.app.state.lesson_viewers[lesson.kind],
        media_url=media_url,
        state=state,
        best=best,
        result=None,
        other_languages=[(t, lesson_in(hub, t.id, lesson_id)) for t in translations],
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
    learner_id = learner_to_keep(request, db, learner).id
    hub.writes.run(lambda db: progress.record_in(db, learner_id, course_id, lesson_id, 1.0))
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
    given = str(form.get("attempt_id") or "")
    given = given if ATTEMPT_ID.fullmatch(given) else ""
    progress.record_quiz(db, learner.id, course_id, lesson_id, result, given)
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
