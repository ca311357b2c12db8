"""The "Keep this course" pages: what can be taken home, with sizes, and the downloads.

A booklet or ZIM file not made yet is asked for with a button (a form: no JavaScript needed); the
page then shows it being made, refreshing itself, and offers the file with its size once it is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from content.model import FileRef, Lesson, slug
from hub.access import ADMIN, LEARNING
from hub.deps import CurrentLearner, HubDep
from hub.home import Hub
from hub.i18n import gettext
from hub.jobs import Job
from hub.keep import making, store
from hub.pages import render
from hub.pathways import get_pathway
from hub.plugins.join.routes import address_for

router = APIRouter(tags=["keep"], include_in_schema=False)
EXTENSIONS = {store.BOOKLET: "pdf", store.ZIM: "zim"}
MEDIA_TYPES = {store.BOOKLET: "application/pdf", store.ZIM: "application/octet-stream"}
AUDIO_PREFERENCE = ("audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/webm")


@dataclass(frozen=True)
class Offer:
    """One file the page offers: kept (with its size), being made (with its job), or to be asked for."""

    format: str
    kept: store.Keepsake | None
    job: Job | None  # the latest job for it: running, waiting, or how the last one ended

    @property
    def making(self) -> bool:
        return self.kept is None and self.job is not None and not self.job.finished

    @property
    def failed(self) -> bool:
        return self.kept is None and self.job is not None and self.job.state == "failed"

    @property
    def message(self) -> str:
        """How the last try ended, in the reader's language (the job's messages are marked N_)."""
        return gettext(self.job.message) if self.job and self.job.message else ""


@dataclass(frozen=True)
class AudioFile:
    lesson: Lesson
    number: int
    file: FileRef


def offer(hub: Hub, scope: str, fmt: str) -> Offer:
    return Offer(fmt, store.current(hub.db, hub.blobs, scope, fmt), making.latest(hub.db, scope, fmt))


def audio_files(lessons: list[Lesson]) -> list[AudioFile]:
    """Each audio lesson's most widely playable file, numbered in course order."""
    found = []
    for lesson in (ls for ls in lessons if ls.kind == "audio"):
        ranked = sorted(
            lesson.media,
            key=lambda f: next((i for i, t in enumerate(AUDIO_PREFERENCE) if f.media_type.startswith(t)), 99),
        )
        found.append(AudioFile(lesson, len(found) + 1, ranked[0]))
    return found


def download_name(title: str, extension: str) -> str:
    """A readable file name from a title: any script kept, only characters no system allows dropped."""
    name = re.sub(r'[\s\x00-\x1f\\/:*?"<>|]+', " ", title).strip(" .") or "course"
    return f"{name[:120]}.{extension}"


def attachment(name: str, fallback: str) -> str:
    """Content-Disposition for a download: an ASCII name for old browsers, the real one by RFC 5987."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _not_found(request: Request, message: str) -> HTMLResponse:
    return render(request, "not_found.html", status_code=404, message=message)


def _keep_page(
    request: Request, hub: Hub, scope: str, title: str, formats: tuple[str, ...], **more: object
) -> HTMLResponse:
    offers = [offer(hub, scope, fmt) for fmt in formats]
    return render(
        request,
        "keep.html",
        title=title,
        scope=scope,
        offers=offers,
        refresh=any(o.making for o in offers),
        base=scope_path(scope),
        **more,
    )


def scope_path(scope: str) -> str:
    kind, _, name = scope.partition(":")
    return "/keep/library" if scope == store.LIBRARY else f"/keep/{kind}s/{name}"


@router.get("/keep/courses/{course_id}", response_class=HTMLResponse, dependencies=[LEARNING])
def keep_course(request: Request, course_id: str, hub: HubDep) -> HTMLResponse:
    detail = hub.course(course_id)
    if detail is None or store.scope_courses(hub.db, store.course_scope(course_id)) is None:
        return _not_found(request, gettext("There is no such course on this hub."))
    return _keep_page(
        request, hub, store.course_scope(course_id), detail.course.title, store.FORMATS,
        course=detail.course, audio=audio_files(detail.lessons),
    )  # fmt: skip


@router.get("/keep/pathways/{pathway_id}", response_class=HTMLResponse, dependencies=[LEARNING])
def keep_pathway(request: Request, pathway_id: int, hub: HubDep) -> HTMLResponse:
    pathway = get_pathway(hub.db, pathway_id)
    if pathway is None or store.scope_courses(hub.db, store.pathway_scope(pathway_id)) is None:
        return _not_found(request, gettext("There is no such pathway on this hub."))
    return _keep_page(request, hub, store.pathway_scope(pathway_id), pathway.title, (store.ZIM,))


@router.get("/keep/library", response_class=HTMLResponse, dependencies=[ADMIN])
def keep_library(request: Request, hub: HubDep) -> HTMLResponse:
    return _keep_page(request, hub, store.LIBRARY, gettext("The whole library"), (store.ZIM,))


def _ask(request: Request, hub: Hub, learner: object, scope: str, fmt: str) -> Response:
    if fmt not in EXTENSIONS or store.scope_courses(hub.db, scope) is None:
        return _not_found(request, gettext("There is nothing to make here."))
    if store.current(hub.db, hub.blobs, scope, fmt) is None:
        making.queue(hub.db, scope, fmt, address_for(request), getattr(learner, "id", None))
    return RedirectResponse(f"{scope_path(scope)}#{fmt}", status_code=303)


@router.post("/keep/courses/{course_id}/make", dependencies=[LEARNING])
async def make_course_file(
    request: Request, course_id: str, hub: HubDep, learner: CurrentLearner
) -> Response:
    fmt = str((await request.form()).get("format", ""))
    return _ask(request, hub, learner, store.course_scope(course_id), fmt)


@router.post("/keep/pathways/{pathway_id}/make", dependencies=[LEARNING])
def make_pathway_file(request: Request, pathway_id: int, hub: HubDep, learner: CurrentLearner) -> Response:
    return _ask(request, hub, learner, store.pathway_scope(pathway_id), store.ZIM)


@router.post("/keep/library/make", dependencies=[ADMIN])
def make_library_file(request: Request, hub: HubDep, learner: CurrentLearner) -> Response:
    return _ask(request, hub, learner, store.LIBRARY, store.ZIM)


def _download(request: Request, hub: Hub, scope: str, fmt: str, title: str) -> Response:
    kept = store.current(hub.db, hub.blobs, scope, fmt)
    if kept is None:
        return RedirectResponse(scope_path(scope), status_code=303)
    extension = EXTENSIONS[fmt]
    headers = {
        "Content-Disposition": attachment(
            download_name(title, extension), f"{slug(title, 'course')}.{extension}"
        ),
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{kept.sha256}"',
    }
    return FileResponse(hub.blobs.path(kept.sha256), media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/keep/courses/{course_id}/file/{fmt}", dependencies=[LEARNING])
def course_file(request: Request, course_id: str, fmt: str, hub: HubDep) -> Response:
    detail = hub.course(course_id)
    if detail is None or fmt not in EXTENSIONS:
        return _not_found(request, gettext("There is no such course on this hub."))
    return _download(request, hub, store.course_scope(course_id), fmt, detail.course.title)


@router.get("/keep/pathways/{pathway_id}/file/zim", dependencies=[LEARNING])
def pathway_file(request: Request, pathway_id: int, hub: HubDep) -> Response:
    pathway = get_pathway(hub.db, pathway_id)
    if pathway is None:
        return _not_found(request, gettext("There is no such pathway on this hub."))
    return _download(request, hub, store.pathway_scope(pathway_id), store.ZIM, pathway.title)


@router.get("/keep/library/file/zim", dependencies=[ADMIN])
def library_file(request: Request, hub: HubDep) -> Response:
    return _download(request, hub, store.LIBRARY, store.ZIM, "Commons Hub library")


@router.get("/keep/courses/{course_id}/audio/{number}", dependencies=[LEARNING])
def audio_file(request: Request, course_id: str, number: int, hub: HubDep) -> Response:
    detail = hub.course(course_id)
    found = [a for a in audio_files(detail.lessons) if a.number == number] if detail else []
    if not found or not hub.blobs.has(found[0].file.sha256):
        return _not_found(request, gettext("There is no such recording on this hub."))
    audio, course = found[0], detail.course  # type: ignore[union-attr]
    extension = audio.file.name.rsplit(".", 1)[-1] if "." in audio.file.name else "audio"
    name = download_name(f"{audio.number:02d} {audio.lesson.title} - {course.title}", extension)
    fallback = f"{audio.number:02d}-{slug(audio.lesson.title, 'recording')}.{extension}"
    headers = {"Content-Disposition": attachment(name, fallback), "X-Content-Type-Options": "nosniff"}
    return FileResponse(hub.blobs.path(audio.file.sha256), media_type=audio.file.media_type, headers=headers)
