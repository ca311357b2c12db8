"""Where residents read the text the hub read from a PDF's scanned pages: a short note on the PDF
lesson page (templates/scanned_text.html) and a paged reading page, PAGES_PER_SCREEN at a time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub import retractions
from hub.access import LEARNING
from hub.deps import HubDep
from hub.i18n import gettext
from hub.pages import render
from hub.plugins.ocr.reading import pages_read, scanned_pages

router = APIRouter(tags=["scanned text"], include_in_schema=False)
PAGES_PER_SCREEN = 20


def scanned_pages_read(request: Request, sha256: str) -> int:
    """For the PDF lesson page: how many scanned pages have text to read (their text is not loaded:
    a scanned book's can be a megabyte)."""
    return pages_read(request.app.state.hub, sha256)


@router.get(
    "/courses/{course_id}/{lesson_id}/scanned-text", response_class=HTMLResponse, dependencies=[LEARNING]
)
def scanned_text_page(
    request: Request, course_id: str, lesson_id: str, hub: HubDep, part: int = 1
) -> HTMLResponse:
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    read = (
        scanned_pages(hub, lesson.media[0].sha256) if lesson and lesson.kind == "pdf" and lesson.media else []
    )
    if detail is None or not read or retractions.notice(hub.db, course_id):
        message = gettext("This lesson has no text read from scanned pages.")
        return render(request, "not_found.html", status_code=404, message=message)
    parts = (len(read) + PAGES_PER_SCREEN - 1) // PAGES_PER_SCREEN
    part = min(max(part, 1), parts)
    shown = read[(part - 1) * PAGES_PER_SCREEN : part * PAGES_PER_SCREEN]
    return render(
        request,
        "scanned_text_page.html",
        course=detail.course,
        lesson=lesson,
        pages=shown,
        part=part,
        parts=parts,
    )
