"""The studio's side-by-side translation pages (/tutor/studio/translate), issue 22."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from content.errors import ContentError
from hub.access import TUTOR
from hub.deps import HubDep
from hub.home import Hub
from hub.i18n import LANGUAGE_NAMES, gettext
from hub.pages import render
from hub.plugins.studio import STUDIO, translating
from hub.plugins.studio.drafts import DraftProblem, StudioError
from hub.plugins.studio.translating import COURSE_PART, Translation
from hub.topics import kind_label

router = APIRouter(tags=["studio pages"], include_in_schema=False)
BASE = f"{STUDIO}/translate"
MAX_TEXT = 200_000


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _message(error: Exception) -> str:
    return error.translated() if isinstance(error, StudioError) else str(error)


def _fields(form: FormData) -> dict[str, str]:
    """The form's text fields, trimmed to a size no lesson needs to pass."""
    return {key: value[:MAX_TEXT] for key, value in form.items() if isinstance(value, str)}


def _not_found(request: Request) -> HTMLResponse:
    message = gettext("There is no such translation. It may have been published or deleted.")
    return render(request, "not_found.html", status_code=404, message=message)


def _start_page(request: Request, hub: Hub, status_code: int = 200, **extra: Any) -> HTMLResponse:
    context = {"error": None, "chosen": {}, **extra}
    return render(
        request, "studio_translate_start.html", status_code=status_code, courses=hub.courses(),
        target_languages=sorted(LANGUAGE_NAMES),
        translations=translating.in_progress(hub), **context,
    )  # fmt: skip


@router.get(BASE, response_class=HTMLResponse, dependencies=[TUTOR])
def start_page(request: Request, hub: HubDep, course: str = "") -> HTMLResponse:
    return _start_page(request, hub, chosen={"course": course})


@router.post(BASE, response_class=HTMLResponse, dependencies=[TUTOR])
async def start(request: Request, hub: HubDep) -> Response:
    form = _fields(await request.form())
    language = form.get("other_language", "").strip() or form.get("language", "")
    try:
        translation = translating.start(hub, form.get("course", ""), language, request.app.state.hub_name)
    except (StudioError, DraftProblem, ContentError) as error:
        return _start_page(request, hub, status_code=400, error=_message(error), chosen=form)
    return _see(f"{BASE}/{translation.draft.course_id}")


def _overview(request: Request, hub: Hub, translation: Translation, status_code: int = 200,
              **extra: Any) -> HTMLResponse:  # fmt: skip
    course, _ = translating.original(hub, translation)
    return render(
        request, "studio_translate.html", status_code=status_code, t=translation, original=course,
        course_done=COURSE_PART in translation.done, kind_label=kind_label,
        **{"error": None, **extra},
    )  # fmt: skip


@router.get(f"{BASE}/{{course_id}}", response_class=HTMLResponse, dependencies=[TUTOR])
def overview(request: Request, course_id: str, hub: HubDep) -> HTMLResponse:
    translation = translating.load(hub, course_id)
    return _overview(request, hub, translation) if translation else _not_found(request)


@router.post(f"{BASE}/{{course_id}}/course", response_class=HTMLResponse, dependencies=[TUTOR])
async def save_course(request: Request, course_id: str, hub: HubDep) -> Response:
    translation = translating.load(hub, course_id)
    if translation is None:
        return _not_found(request)
    form = _fields(await request.form())
    try:
        translating.save_course_words(
            translation, form.get("title", "")[:200], form.get("summary", "")[:2000]
        )
    except (StudioError, DraftProblem) as error:
        return _overview(request, hub, translation, status_code=400, error=_message(error))
    following = translation.to_do()
    return _see(
        f"{BASE}/{course_id}/lessons/{following[0].id}" if following else f"{BASE}/{course_id}?saved=1"
    )


def _lesson_page(request: Request, hub: Hub, translation: Translation, lesson_id: str,
                 status_code: int = 200, **extra: Any) -> HTMLResponse:  # fmt: skip
    lesson = translation.draft.lesson(lesson_id)
    course, lessons = translating.original(hub, translation)
    if lesson is None:
        return _not_found(request)
    ids = [other.id for other in translation.draft.lessons]
    return render(
        request, "studio_translate_lesson.html", status_code=status_code, t=translation, lesson=lesson,
        source=lessons.get(lesson_id), original=course, position=ids.index(lesson_id) + 1,
        kind_label=kind_label, **{"error": None, "form": None, **extra},
    )  # fmt: skip


@router.get(f"{BASE}/{{course_id}}/lessons/{{lesson_id}}", response_class=HTMLResponse, dependencies=[TUTOR])
def lesson_page(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> HTMLResponse:
    translation = translating.load(hub, course_id)
    return _lesson_page(request, hub, translation, lesson_id) if translation else _not_found(request)


@router.post(f"{BASE}/{{course_id}}/lessons/{{lesson_id}}", response_class=HTMLResponse, dependencies=[TUTOR])
async def save_lesson(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    translation = translating.load(hub, course_id)
    lesson = translation.draft.lesson(lesson_id) if translation else None
    if translation is None or lesson is None:
        return _not_found(request)
    form = _fields(await request.form())
    try:
        translating.save_lesson_words(translation, lesson, form, form.get("body", ""))
    except (StudioError, DraftProblem) as error:
        return _lesson_page(request, hub, translation, lesson_id, 400, error=_message(error), form=form)
    if form.get("action") == "preview":
        return _see(f"{STUDIO}/drafts/{course_id}/preview/{lesson_id}")
    following = translation.to_do()
    return _see(
        f"{BASE}/{course_id}/lessons/{following[0].id}?saved=1"
        if following
        else f"{BASE}/{course_id}?saved=1"
    )


@router.post(f"{BASE}/{{course_id}}/publish", response_class=HTMLResponse, dependencies=[TUTOR])
def publish(request: Request, course_id: str, hub: HubDep) -> Response:
    translation = translating.load(hub, course_id)
    if translation is None:
        return _not_found(request)
    try:
        translating.publish_translation(hub, translation)
    except (StudioError, DraftProblem) as error:
        return _overview(request, hub, translation, status_code=400, error=_message(error))
    return _see(f"/courses/{course_id}")
