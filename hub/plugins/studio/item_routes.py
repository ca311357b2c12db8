"""A draft lesson's questions, pictures and captions in the studio: added from their forms, removed by
their position."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from content.captions import MAX_CAPTION_BYTES, to_webvtt
from content.errors import ContentError
from content.model import LANGUAGE_PATTERN, Question
from content.quiz import read_number
from hub.access import TUTOR
from hub.deps import HubDep
from hub.home import Hub
from hub.i18n import N_, language_name
from hub.plugins.studio import STUDIO as BASE
from hub.plugins.studio import drafts
from hub.plugins.studio.drafts import Draft, DraftLesson, DraftProblem, StudioError
from hub.plugins.studio.routes import (
    CHOICE_ROWS,
    IMAGE_SUFFIXES,
    UPLOAD,
    _draft_url,
    _lesson_or_404,
    _lesson_page,
    _message,
    _see,
    _text,
    _upload,
)

router = APIRouter(tags=["studio pages"], include_in_schema=False)


def question_from_form(form: FormData) -> dict[str, Any]:
    """One quiz question from the question form, checked by the content model."""
    kind = _text(form, "type")
    question: dict[str, Any] = {
        "type": kind, "prompt": _text(form, "prompt"), "explanation": _text(form, "explanation", 4000),
    }  # fmt: skip
    if not question["prompt"]:
        raise StudioError(N_("Write the question."))
    if not question["explanation"]:
        raise StudioError(N_("Write an explanation: learners see it after they answer, right or wrong."))
    if kind in ("single", "multiple"):
        rows = [(_text(form, f"choice{i}", 500), form.get(f"right{i}") == "on") for i in range(CHOICE_ROWS)]
        filled = [(text, right) for text, right in rows if text]
        right = [i for i, (_, is_right) in enumerate(filled) if is_right]
        if len(filled) < 2:
            raise StudioError(N_("Write at least two answers to choose from."))
        if kind == "single" and len(right) != 1:
            raise StudioError(N_("Tick exactly one right answer."))
        if kind == "multiple" and not right:
            raise StudioError(N_("Tick every right answer (at least one)."))
        question["choices"] = [text for text, _ in filled]
        question["answer"] = right[0] if kind == "single" else right
    elif kind == "truefalse":
        if form.get("truth") not in ("true", "false"):
            raise StudioError(N_("Choose whether the sentence is true or false."))
        question["answer"] = form.get("truth") == "true"
    elif kind == "numeric":
        try:
            number = read_number(_text(form, "number", 30))
            tolerance = read_number(_text(form, "tolerance", 30) or "0")
        except ValueError:
            raise StudioError(
                N_("Write the right answer (and how far off still counts) as numbers.")
            ) from None
        question["answer"] = int(number) if number.is_integer() else number
        if tolerance:
            question["tolerance"] = tolerance
        if unit := _text(form, "unit", 40):
            question["unit"] = unit
    else:
        raise StudioError(N_("Choose the kind of question."))
    Question.model_validate(question)
    return question


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/questions",
    response_class=HTMLResponse,
    dependencies=[TUTOR],
)
async def add_question(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    found = _lesson_or_404(request, hub, course_id, lesson_id)
    if isinstance(found, Response):
        return found
    draft, lesson = found
    form = await request.form()
    try:
        question = question_from_form(form)
        questions = [*lesson.meta.get("questions", []), question]
        drafts.save_lesson(draft, lesson, {**lesson.meta, "questions": questions}, lesson.body)
    except (StudioError, DraftProblem) as error:
        return _lesson_page(request, hub, draft, lesson, 400, error=_message(error), question=dict(form))
    return _see(f"{_draft_url(draft)}/lessons/{lesson.id}?added=1#questions")


def _drop_item(request: Request, hub: Hub, course_id: str, lesson_id: str, key: str, index: int) -> Response:
    found = _lesson_or_404(request, hub, course_id, lesson_id)
    if isinstance(found, Response):
        return found
    draft, lesson = found
    items = list(lesson.meta.get(key, []))
    if 0 <= index < len(items):
        items.pop(index)
        try:
            drafts.save_lesson(draft, lesson, {**lesson.meta, key: items}, lesson.body)
        except DraftProblem as error:
            return _lesson_page(request, hub, draft, lesson, 400, error=str(error))
    return _see(f"{_draft_url(draft)}/lessons/{lesson.id}#{key}")


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/questions/{{index}}/delete", dependencies=[TUTOR]
)
def delete_question(request: Request, course_id: str, lesson_id: str, index: int, hub: HubDep) -> Response:
    return _drop_item(request, hub, course_id, lesson_id, "questions", index)


async def _add_item(
    request: Request, hub: Hub, course_id: str, lesson_id: str, key: str,
    make: Callable[[Draft, DraftLesson, FormData], Awaitable[dict[str, Any]]],
) -> Response:  # fmt: skip
    """Add a picture or a caption file to a lesson's `key` list: `make` checks the form and keeps
    the file; a lesson the content reader then refuses gets its file removed again."""
    found = _lesson_or_404(request, hub, course_id, lesson_id)
    if isinstance(found, Response):
        return found
    draft, lesson = found
    form = await request.form()
    try:
        item = await make(draft, lesson, form)
        try:
            drafts.save_lesson(
                draft, lesson, {**lesson.meta, key: [*lesson.meta.get(key, []), item]}, lesson.body
            )
        except DraftProblem:
            (draft.root / item["file"]).unlink(missing_ok=True)
            raise
    except (StudioError, DraftProblem) as error:
        return _lesson_page(request, hub, draft, lesson, 400, error=_message(error))
    return _see(f"{_draft_url(draft)}/lessons/{lesson.id}?added=1#{key}")


async def _new_image(draft: Draft, lesson: DraftLesson, form: FormData) -> dict[str, Any]:
    upload, alt = _upload(form, "file"), _text(form, "alt", 1000)
    if upload is None or not upload.filename.lower().endswith(IMAGE_SUFFIXES):
        raise StudioError(N_("Choose a picture (PNG, JPEG, WebP or GIF)."))
    if not alt:
        raise StudioError(N_("Describe the picture in a few words, for people who cannot see it."))
    image = {"file": drafts.store_media(draft, upload.file, upload.filename), "alt": alt}
    if caption := _text(form, "caption", 500):
        image["caption"] = caption
    return image


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/images",
    response_class=HTMLResponse,
    dependencies=[UPLOAD, TUTOR],
)
async def add_image(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    return await _add_item(request, hub, course_id, lesson_id, "images", _new_image)


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/images/{{index}}/delete", dependencies=[TUTOR]
)
def delete_image(request: Request, course_id: str, lesson_id: str, index: int, hub: HubDep) -> Response:
    return _drop_item(request, hub, course_id, lesson_id, "images", index)


async def _new_captions(draft: Draft, lesson: DraftLesson, form: FormData) -> dict[str, Any]:
    upload, language = _upload(form, "file"), _text(form, "language", 20)
    if lesson.kind != "video" or not lesson.meta.get("media"):
        raise StudioError(N_("Add the video first, then its captions."))
    if upload is None:
        raise StudioError(N_("Choose a caption file (.vtt, .srt, .ass, .sbv, .ttml or .smi)."))
    if not re.fullmatch(LANGUAGE_PATTERN, language):
        raise StudioError(N_("Choose the language the captions are in."))
    if language in {caption.get("language") for caption in lesson.meta.get("captions", [])}:
        raise StudioError(N_("This video has captions in that language already; remove them first."))
    data = await run_in_threadpool(upload.file.read, MAX_CAPTION_BYTES + 1)
    try:
        vtt = to_webvtt(data)
    except ContentError as error:
        raise StudioError(N_("These captions cannot be used: %(reason)s."), reason=str(error)) from None
    name = f"{Path(upload.filename).stem or 'captions'}.{language}.vtt"
    return {"file": drafts.store_media(draft, io.BytesIO(vtt), name), "language": language,
            "label": _text(form, "label", 80) or language_name(language)}  # fmt: skip


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/captions",
    response_class=HTMLResponse,
    dependencies=[UPLOAD, TUTOR],
)
async def add_captions(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    """Captions for a video, from any common subtitle file (content/captions.py), in one language
    (a video may have several)."""
    return await _add_item(request, hub, course_id, lesson_id, "captions", _new_captions)


@router.post(
    f"{BASE}/drafts/{{course_id}}/lessons/{{lesson_id}}/captions/{{index}}/delete", dependencies=[TUTOR]
)
def delete_captions(request: Request, course_id: str, lesson_id: str, index: int, hub: HubDep) -> Response:
    return _drop_item(request, hub, course_id, lesson_id, "captions", index)
