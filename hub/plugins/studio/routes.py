"""The authoring studio's pages (/tutor/studio): drafts, lessons, uploads, preview, publish (a lesson's
questions, pictures and captions: item_routes.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from content.author import check_course, check_lesson
from content.errors import ContentError
from content.markdown import render_markdown
from content.model import LANGUAGE_PATTERN, LESSON_KINDS, MEDIA_KINDS, Lesson
from content.paths import media_type_for, safe_file
from content.quiz import grade
from hub.access import TUTOR, AccessDenied
from hub.deps import CurrentLearner, HubDep
from hub.home import Hub
from hub.i18n import N_, gettext
from hub.library import CourseDetail
from hub.pages import render
from hub.plugins.media.routes import file_headers
from hub.plugins.resident.learning import lesson_context
from hub.plugins.studio import STUDIO as BASE
from hub.plugins.studio import drafts, media, publish, transcode
from hub.plugins.studio.drafts import Draft, DraftLesson, DraftProblem, StudioError
from hub.sources import source_of
from hub.topics import TOPIC_LABELS, kind_label, topic_label

router = APIRouter(tags=["studio pages"], include_in_schema=False)
MAX_TEXT = 200_000
CATEGORIES = ("health", "skills")
LEVELS = ("beginner", "intermediate", "advanced")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
ACCEPT = {
    "video": "video/*", "audio": "audio/*", "pdf": "application/pdf",
    "html5": ".zip,application/zip", "h5p": ".h5p",
}  # fmt: skip
CHOICE_ROWS = 6


async def refuse_oversized_upload(request: Request) -> None:
    """Refuse an upload by its announced size, before the hub stores any of it."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > drafts.MAX_UPLOAD_BYTES + 1024**2:
        raise AccessDenied(413, N_("This file is larger than the hub accepts. Please choose a smaller one."))


UPLOAD = Depends(refuse_oversized_upload)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _message(error: Exception) -> str:
    return error.translated() if isinstance(error, StudioError) else str(error)


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def _not_found(request: Request, message: str) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, message=message)


def _no_draft(request: Request) -> HTMLResponse:
    return _not_found(request, gettext("There is no such draft. It may have been published or deleted."))


def _draft_url(draft: Draft) -> str:
    return f"{BASE}/drafts/{draft.course_id}"


# --- the list and a new course ------------------------------------------------------------


@router.get(BASE, response_class=HTMLResponse, dependencies=[TUTOR])
def studio_home(request: Request, hub: HubDep) -> HTMLResponse:
    draft_list = drafts.list_drafts(hub)
    in_draft = {d.course_id for d in draft_list}
    editable = [c for c in hub.courses() if c.origin in drafts.EDITABLE_ORIGINS and c.id not in in_draft]
    return render(request, "studio_home.html", drafts=draft_list, published=editable)


def _course_context(**extra: Any) -> dict[str, Any]:
    topics = [t for t in TOPIC_LABELS if t not in CATEGORIES]
    return {"categories": CATEGORIES, "topics": topics, "levels": LEVELS, "topic_label": topic_label, **extra}


def _course_from_form(form: FormData) -> dict[str, Any]:
    title, language = _text(form, "title", 200), _text(form, "language", 20)
    category, topic = _text(form, "category"), _text(form, "topic")
    if not title:
        raise StudioError(N_("Give the course a title."))
    if not re.fullmatch(LANGUAGE_PATTERN, language):
        raise StudioError(N_("Write the language as a short code, such as en, fr, es or ar."))
    if not _text(form, "publisher", 200):
        raise StudioError(N_("Say who publishes the course: your hub or your organisation."))
    return {
        "title": title,
        "summary": _text(form, "summary"),
        "language": language,
        "topics": [
            category if category in CATEGORIES else "health",
            *([topic] if topic in TOPIC_LABELS else []),
        ],
        "level": level if (level := _text(form, "level")) in LEVELS else "beginner",
        "publisher": _text(form, "publisher", 200),
        "license": _text(form, "license", 200),
    }


def _store_cover(draft: Draft, form: FormData) -> dict[str, str]:
    cover = _upload(form, "cover")
    if cover is None:
        return {}
    if not cover.filename.lower().endswith(IMAGE_SUFFIXES):
        raise StudioError(N_("The cover must be a picture (PNG, JPEG, WebP or GIF)."))
    return {"cover": drafts.store_media(draft, cover.file, cover.filename)}


@router.get(f"{BASE}/new", response_class=HTMLResponse, dependencies=[TUTOR])
def new_course_page(request: Request) -> HTMLResponse:
    form = {"language": request.state.language, "publisher": request.app.state.hub_name}
    return render(request, "studio_new.html", form=form, error=None, **_course_context())


@router.post(f"{BASE}/new", response_class=HTMLResponse, dependencies=[UPLOAD, TUTOR])
async def create_course(request: Request, hub: HubDep) -> Response:
    form = await request.form()
    try:
        draft = drafts.create_draft(hub, _course_from_form(form))
    except (StudioError, DraftProblem) as error:
        return render(
            request, "studio_new.html", status_code=400, form=form, error=_message(error), **_course_context()
        )
    try:
        drafts.save_course(draft, _store_cover(draft, form))
    except (StudioError, DraftProblem) as error:
        return _course_page(request, hub, draft, error=_message(error), status_code=400)
    return _see(_draft_url(draft))


@router.post(f"{BASE}/courses/{{course_id}}/edit", dependencies=[TUTOR])
def edit_published(request: Request, course_id: str, hub: HubDep) -> Response:
    try:
        draft = drafts.start_from_published(hub, course_id)
    except StudioError as error:
        return _not_found(request, error.translated())
    return _see(_draft_url(draft))


# --- the course editor ----------------------------------------------------------------------


def _course_page(
    request: Request, hub: Hub, draft: Draft, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    form = {**draft.course, "category": (draft.course.get("topics") or ["health"])[0]}
    form["topic"] = next(iter(draft.course.get("topics", [])[1:]), "")
    context = {"error": None, "published": None, "form": form, **extra}
    return render(
        request, "studio_course.html", status_code=status_code, draft=draft,
        problems={lesson.id: drafts.lesson_problem(draft, lesson) for lesson in draft.lessons},
        jobs=transcode.unfinished_jobs(hub.db, draft.course_id), kinds=LESSON_KINDS,
        kind_label=kind_label, live=hub.course(draft.course_id), **_course_context(**context),
    )  # fmt: skip


@router.get(f"{BASE}/drafts/{{course_id}}", response_class=HTMLResponse, dependencies=[TUTOR])
def course_editor(request: Request, course_id: str, hub: HubDep) -> HTMLResponse:
    draft = drafts.load_draft(hub, course_id)
    return _course_page(request, hub, draft) if draft else _no_draft(request)


@router.post(f"{BASE}/drafts/{{course_id}}", response_class=HTMLResponse, dependencies=[UPLOAD, TUTOR])
async def save_course(request: Request, course_id: str, hub: HubDep) -> Response:
    draft = drafts.load_draft(hub, course_id)
    if draft is None:
        return _no_draft(request)
    form = await request.form()
    try:
        fields = _course_from_form(form)
        drafts.check_course_fields(draft.root, {**draft.course, **fields})
        drafts.save_course(draft, {**fields, **_store_cover(draft, form)})
    except (StudioError, DraftProblem) as error:
        return _course_page(request, hub, draft, 400, error=_message(error), form=dict(form))
    return _see(f"{_draft_url(draft)}?saved=1")


@router.post(f"{BASE}/drafts/{{course_id}}/lessons", response_class=HTMLResponse, dependencies=[TUTOR])
async def add_lesson(request: Request, course_id: str, hub: HubDep) -> Response:
    draft = drafts.load_draft(hub, course_id)
    if draft is None:
        return _no_draft(request)
    form = await request.form()
    try:
        lesson = drafts.add_lesson(draft, _text(form, "kind"), _text(form, "title", 200))
    except StudioError as error:
        return _course_page(request, hub, draft, 400, error=error.translated())
    return _see(f"{_draft_url(draft)}/lessons/{lesson.id}")


@router.post(f"{BASE}/drafts/{{course_id}}/publish", response_class=HTMLResponse, dependencies=[TUTOR])
def publish_draft(
    request: Request, course_id: str, hub: HubDep, what_changed: Annotated[str, Form()] = ""
) -> Response:
    draft = drafts.load_draft(hub, course_id)
    if draft is None:
        return _no_draft(request)
    try:
        result = publish.publish(hub, draft, " ".join(what_changed.split())[: publish.MAX_WHAT_CHANGED])
    except (StudioError, DraftProblem) as error:
        return _course_page(request, hub, draft, 400, error=_message(error))
    return _see(f"{BASE}?published={quote(result.course_id)}&version={result.version}")


@router.post(f"{BASE}/drafts/{{course_id}}/discard", dependencies=[TUTOR])
def discard_draft(request: Request, course_id: str, hub: HubDep) -> Response:
    draft = drafts.load_draft(hub, course_id)
    if draft is None:
        return _no_draft(request)
    drafts.discard(draft)
    return _see(BASE)


# --- a lesson ---------------------------------------------------------------------------------


def _lesson_or_404(
    request: Request, hub: Hub, course_id: str, lesson_id: str
) -> tuple[Draft, DraftLesson] | Response:
    draft = drafts.load_draft(hub, course_id)
    lesson = draft.lesson(lesson_id) if draft else None
    if draft is None or lesson is None:
        return _no_draft(request)
    return draft, lesson


def _lesson_page(
    request: Request, hub: Hub, draft: Draft, lesson: DraftLesson, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    job = transcode.latest_job(hub.db, draft.course_id, lesson.id)
    form = {"title": lesson.title, "minutes": lesson.meta.get("minutes", ""), "body": lesson.body}
    context = {"error": None, "preview": None, "pending_media": "", "form": form, "question": {}, **extra}
    return render(
        request, "studio_lesson.html", status_code=status_code, draft=draft, lesson=lesson,
        problem=drafts.lesson_problem(draft, lesson), job=job, kind_label=kind_label,
        accept=ACCEPT.get(lesson.kind, ""), media_kinds=MEDIA_KINDS, choice_rows=range(CHOICE_ROWS),
        media=_as_list(lesson.meta.get("media")), **context,
    )  # fmt: skip


def _as_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]


@router.get(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}", response_class=HTMLResponse, dependencies=[TUTOR]
)
def lesson_editor(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    found = _lesson_or_404(request, hub, course_id, lesson_id)
    return found if isinstance(found, Response) else _lesson_page(request, hub, *found)


def _lesson_media(draft: Draft, lesson: DraftLesson, form: FormData) -> str:
    """The media file this save brings: a new upload, or one kept from a refused save ("" if none)."""
    upload = _upload(form, "file")
    if upload is None:
        return drafts.existing_media(draft, _text(form, "pending_media", 300)) or ""
    if lesson.kind == "pdf" and not upload.filename.lower().endswith(".pdf"):
        raise StudioError(N_("Please choose a PDF file."))
    if lesson.kind == "html5" and not upload.filename.lower().endswith(".zip"):
        raise StudioError(N_("Please choose the app's .zip file (with its index.html inside)."))
    if lesson.kind == "h5p" and not upload.filename.lower().endswith(".h5p"):
        raise StudioError(N_("Please choose the activity's .h5p file."))
    path = drafts.store_media(draft, upload.file, upload.filename)
    if lesson.kind in ("html5", "h5p"):
        media.check_zipped(draft, lesson.kind, path)
    if lesson.kind == "video":
        media.check_video(draft, path)
    if lesson.kind == "audio":
        media.check_sound(draft, path)
    return path


def _minutes(form: FormData) -> int:
    raw = _text(form, "minutes", 10)
    if not raw:
        return 0
    if not raw.isdigit() or int(raw) > 600:
        raise StudioError(N_("Write the minutes as a whole number from 0 to 600."))
    return int(raw)


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}",
    response_class=HTMLResponse,
    dependencies=[UPLOAD, TUTOR],
)
async def save_lesson(
    request: Request, course_id: str, lesson_id: str, hub: HubDep, learner: CurrentLearner
) -> Response:
    found = _lesson_or_404(request, hub, course_id, lesson_id)
    if isinstance(found, Response):
        return found
    draft, lesson = found
    form = await request.form()
    values = {"title": _text(form, "title", 200), "minutes": _text(form, "minutes", 10), "body": ""}
    values["body"] = str(form.get("body") or "")[:MAX_TEXT]
    pending = ""
    try:
        pending = await run_in_threadpool(_lesson_media, draft, lesson, form)  # copies uploads
        if form.get("action") == "preview":
            return _lesson_page(request, hub, draft, lesson, form=values, pending_media=pending,
                                preview=render_markdown(values["body"]))  # fmt: skip
        meta = {**lesson.meta, "title": values["title"]}
        meta.pop("minutes", None)
        if minutes := _minutes(form):
            meta["minutes"] = minutes
        if lesson.kind == "quiz":
            meta["pass_mark"] = _pass_mark(form)
        if pending:
            meta["media"] = pending
            meta.pop("poster", None)
        drafts.save_lesson(draft, lesson, meta, values["body"])
    except (StudioError, DraftProblem) as error:
        return _lesson_page(request, hub, draft, lesson, 400, error=_message(error), form=values,
                            pending_media=pending)  # fmt: skip
    if pending and (lesson.kind == "video" or (lesson.kind == "audio" and media.check_sound(draft, pending))):
        transcode.queue(hub.db, draft.course_id, lesson.id, pending, learner.id if learner else None)
    return _see(f"{_draft_url(draft)}/lessons/{lesson.id}?saved=1")


def _pass_mark(form: FormData) -> float:
    raw = _text(form, "pass_mark", 10) or "60"
    if not raw.isdigit() or int(raw) > 100:
        raise StudioError(N_("Write the pass mark as a percentage from 0 to 100."))
    return int(raw) / 100


@router.post(f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/move", dependencies=[TUTOR])
async def move_lesson(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    draft = drafts.load_draft(hub, course_id)
    if draft is None:
        return _no_draft(request)
    step = -1 if (await request.form()).get("direction") == "up" else 1
    drafts.move_lesson(draft, lesson_id, step)
    return _see(f"{_draft_url(draft)}#lessons")


@router.post(f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/delete", dependencies=[TUTOR])
def delete_lesson(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    draft = drafts.load_draft(hub, course_id)
    if draft is None:
        return _no_draft(request)
    drafts.delete_lesson(draft, lesson_id)
    return _see(f"{_draft_url(draft)}#lessons")


# --- previews ----------------------------------------------------------------------------------


@router.post(f"{BASE}/preview", response_class=HTMLResponse, dependencies=[TUTOR])
async def preview_markdown(request: Request) -> HTMLResponse:
    """Sanitised HTML for the editor's live preview (the same rendering residents get)."""
    text = (await request.form()).get("text")
    return HTMLResponse(render_markdown(text[:MAX_TEXT] if isinstance(text, str) else ""))


def _preview_course(draft: Draft) -> tuple[CourseDetail, dict[str, Path]]:
    """The draft as residents would get it, leaving out lessons that are not complete yet."""
    course = check_course(draft.root, draft.course)
    lessons: list[Lesson] = []
    files: dict[str, Path] = {}
    for item in draft.lessons:
        try:
            lesson, used = check_lesson(
                draft.root, item.file_name, (draft.root / item.file_name).read_text("utf-8")
            )
        except ContentError:
            continue
        lessons.append(lesson)
        files.update(used)
    return CourseDetail(course, "local", lessons, source_of("local", course.publisher, None, None)), files


def _preview_context(draft: Draft) -> dict[str, Any] | None:
    try:
        detail, files = _preview_course(draft)
    except ContentError:
        return None
    href = f"{_draft_url(draft)}/preview"

    def media_url(sha256: str, name: str) -> str:
        return f"{_draft_url(draft)}/files/{quote(files[sha256].relative_to(draft.root).as_posix())}"

    return {"detail": detail, "course": detail.course, "course_href": href, "media_url": media_url,
            "editor_href": _draft_url(draft)}  # fmt: skip


@router.get(f"{BASE}/drafts/{{course_id}}/preview", response_class=HTMLResponse, dependencies=[TUTOR])
def preview_course(request: Request, course_id: str, hub: HubDep) -> HTMLResponse:
    draft = drafts.load_draft(hub, course_id)
    context = _preview_context(draft) if draft else None
    if draft is None or context is None:
        return _no_draft(request)
    detail = context["detail"]
    return render(
        request, "studio_preview_course.html", done={}, lessons_done=0,
        next_lesson=detail.lessons[0] if detail.lessons else None, translations=[],
        topic_label=topic_label, kind_label=kind_label, **context,
    )  # fmt: skip


def _preview_lesson(
    request: Request, hub: Hub, course_id: str, lesson_id: str, result: Any = None
) -> HTMLResponse:
    draft = drafts.load_draft(hub, course_id)
    context = _preview_context(draft) if draft else None
    lesson = context["detail"].lesson(lesson_id) if context else None
    if context is None or lesson is None:
        return _not_found(request, gettext("This lesson is not complete yet, so it cannot be previewed."))
    return render(
        request, "studio_preview_lesson.html", viewer=request.app.state.lesson_viewers[lesson.kind],
        state=None, best=None, result=result, **{**lesson_context(context["detail"], lesson), **context},
    )  # fmt: skip


@router.get(
    f"{BASE}/drafts/{{course_id}}/preview/{{lesson_id}}", response_class=HTMLResponse, dependencies=[TUTOR]
)
def preview_lesson(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> HTMLResponse:
    return _preview_lesson(request, hub, course_id, lesson_id)


@router.post(
    f"{BASE}/drafts/{{course_id}}/preview/{{lesson_id}}/quiz",
    response_class=HTMLResponse,
    dependencies=[TUTOR],
)
async def preview_quiz(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> HTMLResponse:
    """Grade a quiz in the preview; nothing is recorded."""
    draft = drafts.load_draft(hub, course_id)
    context = _preview_context(draft) if draft else None
    lesson = context["detail"].lesson(lesson_id) if context else None
    if lesson is None or lesson.kind != "quiz":
        return _preview_lesson(request, hub, course_id, lesson_id)
    form = await request.form()
    answers = {i: [str(v) for v in form.getlist(f"q{i}")] for i in range(len(lesson.questions))}
    return _preview_lesson(request, hub, course_id, lesson_id, grade(lesson, answers))


@router.post(f"{BASE}/drafts/{{course_id}}/preview/{{lesson_id}}/done", dependencies=[TUTOR])
def preview_next(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    """The preview's "Done" button: on to the next lesson, recording nothing."""
    draft = drafts.load_draft(hub, course_id)
    context = _preview_context(draft) if draft else None
    if context is None:
        return _no_draft(request)
    ids = [lesson.id for lesson in context["detail"].lessons]
    following = ids[ids.index(lesson_id) + 1] if lesson_id in ids[:-1] else ""
    return _see(f"{context['course_href']}/{following}" if following else context["course_href"])


@router.get(f"{BASE}/drafts/{{course_id}}/files/{{path:path}}", dependencies=[TUTOR])
def draft_file(request: Request, course_id: str, path: str, hub: HubDep) -> Response:
    draft = drafts.load_draft(hub, course_id)
    try:
        file = safe_file(draft.root, path) if draft else None
    except ContentError:
        file = None
    if file is None:
        return _not_found(request, gettext("There is no such file in this draft."))
    media_type, headers = file_headers(media_type_for(path), file.name)
    return FileResponse(file, media_type=media_type, headers=headers | {"Cache-Control": "no-store"})
