"""The studio's recordings page: a tutor reads a lesson herself instead of the hub's voice."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from hub.access import TUTOR, AccessDenied
from hub.deps import HubDep
from hub.i18n import N_, gettext
from hub.pages import render
from hub.plugins.voice import recordings, store
from hub.plugins.voice.speech_text import TEXT_PART, lesson_parts

router = APIRouter(tags=["studio recordings"], include_in_schema=False)
BASE = "/tutor/recordings"


async def refuse_oversized(request: Request) -> None:
    """Refuse a recording by its announced size, before the hub stores any of it."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > recordings.MAX_RECORDING_BYTES + 1024**2:
        raise AccessDenied(413, N_("This file is larger than the hub accepts. Please choose a smaller one."))


def _not_found(request: Request) -> HTMLResponse:
    return render(
        request, "not_found.html", status_code=404, message=gettext("There is no such lesson on this hub.")
    )


@router.get(BASE, response_class=HTMLResponse, dependencies=[TUTOR])
def courses_page(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "recordings_courses.html", courses=hub.courses())


def _course_page(request: Request, hub: HubDep, course_id: str, **extra: object) -> HTMLResponse:
    detail = hub.course(course_id)
    if detail is None:
        return _not_found(request)
    course = detail.course
    rows = [
        (lesson, store.lesson_speech(hub.db, course.id, course.version, lesson.id).get(TEXT_PART))
        for lesson in detail.lessons
        if any(p.part == TEXT_PART for p in lesson_parts(lesson))
    ]
    status = 400 if extra.get("error") else 200
    return render(request, "recordings_course.html", status_code=status, course=course, rows=rows, **extra)


@router.get(BASE + "/{course_id}", response_class=HTMLResponse, dependencies=[TUTOR])
def course_page(request: Request, course_id: str, hub: HubDep) -> HTMLResponse:
    return _course_page(request, hub, course_id)


@router.post(BASE + "/{course_id}/{lesson_id}", dependencies=[Depends(refuse_oversized), TUTOR])
async def upload(request: Request, course_id: str, lesson_id: str, hub: HubDep) -> Response:
    detail = hub.course(course_id)
    if detail is None or detail.lesson(lesson_id) is None:
        return _not_found(request)
    form = await request.form(max_part_size=recordings.MAX_RECORDING_BYTES)
    if form.get("remove"):
        await run_in_threadpool(recordings.remove_recording, hub, course_id, detail.course.version, lesson_id)
        return RedirectResponse(f"{BASE}/{course_id}#{lesson_id}", status_code=303)
    file = form.get("recording")
    if not isinstance(file, UploadFile) or not file.filename:
        return _course_page(
            request, hub, course_id, error=gettext("Please choose a recording to upload."), at=lesson_id
        )
    with tempfile.TemporaryDirectory(prefix="upload-", dir=hub.home) as work:
        path = Path(work) / "upload"
        with path.open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out)
        try:
            await run_in_threadpool(
                recordings.save_recording, hub, course_id, detail.course.version, lesson_id, path
            )
        except recordings.RecordingRefused as refused:
            return _course_page(request, hub, course_id, error=gettext(str(refused)), at=lesson_id)
    return RedirectResponse(f"{BASE}/{course_id}?saved={lesson_id}#{lesson_id}", status_code=303)
