"""The tutor's import flow: choose (USB stick, offered folder, upload) → preview → confirm → job."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from content.errors import ContentError
from content.importers import SOURCE_SUFFIXES
from content.writers import WriterClaim
from hub import imports, jobs
from hub.access import TUTOR, AccessDenied
from hub.deps import CurrentLearner, HubDep
from hub.home import Hub
from hub.i18n import N_, gettext
from hub.learners import Learner
from hub.pages import render
from hub.settings import load_settings

router = APIRouter(tags=["import pages"], include_in_schema=False)

MAX_UPLOAD_BYTES = 4 * 1024**3
_UPLOAD_TOKEN = re.compile(r"^[0-9a-f]{32}$")
JOB_LABELS = {"import": N_("Import"), "transcode": N_("Video or sound for phones")}


class ImportRefused(Exception):
    """A choice that cannot be previewed or imported; the message is for the tutor."""


def upload_limit(request: Request) -> None:
    """Refuse an upload by its announced length before any of it is read (the body cannot exceed it)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise AccessDenied(411, N_("The browser did not say how big the file is. Please try again."))
    if int(length) > MAX_UPLOAD_BYTES:
        raise AccessDenied(
            413,
            N_(
                "This file is too large to upload (the limit is 4 GB). "
                "Copy it to a USB stick and import it from there."
            ),
        )
    hub: Hub = request.app.state.hub
    if int(length) + imports.MARGIN_BYTES > imports.free_bytes(hub.home):
        raise AccessDenied(413, N_("There is not enough free disk space on the hub for this file."))


MEDIA_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv", ".avi", ".wmv", ".mp3", ".m4a",
                            ".wav", ".wma", ".ogg", ".opus", ".flac", ".amr", ".aac"})  # fmt: skip
CAPTION_SUFFIXES = frozenset({".srt", ".vtt", ".ass", ".ssa", ".sbv", ".ttml", ".smi"})


def _safe_name(filename: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", Path(filename.replace("\\", "/")).name).strip(" .")[-100:]
    suffix = Path(name).suffix.lower()
    if suffix in MEDIA_SUFFIXES:
        raise ImportRefused(
            gettext(
                "%(name)s is a video or a sound recording, not a course. Make it a lesson in the Studio "
                "(Studio → a course → Add a lesson → Video or Sound): the hub makes a copy every phone plays."
            )
            % {"name": name}
        )
    if suffix in CAPTION_SUFFIXES:
        raise ImportRefused(
            gettext(
                "%(name)s is a caption file. Add it to its video in the Studio "
                "(the video's lesson → Captions)."
            )
            % {"name": name}
        )
    if suffix not in SOURCE_SUFFIXES:
        raise ImportRefused(
            gettext(
                "%(name)s is not something the hub imports. Choose a Commons Hub package (.zip), a ZIM, "
                "an EPUB, a PDF or an H5P file."
            )
            % {"name": name}
        )
    return name


def _uploaded(hub: Hub, token: str) -> Path:
    folder = imports.upload_folder(hub) / token
    files = sorted(folder.iterdir()) if _UPLOAD_TOKEN.match(token) and folder.is_dir() else []
    if len(files) != 1:
        raise ImportRefused(gettext("That upload is not on the hub any more. Please upload the file again."))
    return files[0]


def _chosen(hub: Hub, root: int | None, path: str, upload: str) -> Path:
    """The file or folder a tutor chose, never outside the offered folders or the uploads."""
    if upload:
        return _uploaded(hub, upload)
    if root is None or not path:
        raise ImportRefused(gettext("Choose a file or folder to import first."))
    try:
        return imports.resolve_source(imports.source_roots(hub), root, path)
    except ContentError as error:
        raise ImportRefused(gettext("This cannot be imported: %(reason)s") % {"reason": str(error)}) from None


def _import_page(
    request: Request, hub: Hub, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    roots = imports.source_roots(hub)
    return render(
        request, "import.html", status_code=status_code, error=error, roots=roots,
        sources=imports.find_sources(roots), max_upload_gb=MAX_UPLOAD_BYTES // 1024**3,
    )  # fmt: skip


@router.get("/tutor/import", response_class=HTMLResponse, dependencies=[TUTOR])
def import_page(request: Request, hub: HubDep) -> HTMLResponse:
    """Files and folders found on USB sticks and offered folders, and an upload form."""
    return _import_page(request, hub)


@router.post("/tutor/import/upload", response_class=HTMLResponse, dependencies=[Depends(upload_limit), TUTOR])
async def upload(request: Request, hub: HubDep, learner: CurrentLearner) -> Response:
    """Keep an uploaded file in the hub's uploads folder, then show its preview; a video or sound
    becomes a draft course in the Studio instead, where the tutor writes its text version."""
    form = await request.form()
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise ImportRefused(gettext("Choose a file to upload first."))
        if Path(file.filename).suffix.lower() in MEDIA_SUFFIXES and request.app.state.plugins.get_plugin(
            "studio"
        ):
            return await _media_to_studio(hub, file, learner)
        name = _safe_name(file.filename)
    except ImportRefused as error:
        return _import_page(request, hub, 400, str(error))
    token = secrets.token_hex(16)
    await run_in_threadpool(_keep, hub, file, token, name)  # a big copy must not stall other phones
    return RedirectResponse(f"/tutor/import/preview?upload={token}", status_code=303)


async def _media_to_studio(hub: Hub, file: UploadFile, learner: Learner | None) -> Response:
    from hub.plugins.studio import STUDIO
    from hub.plugins.studio.drafts import DraftProblem, StudioError
    from hub.plugins.studio.media import draft_from_media

    settings = load_settings(hub)
    try:
        draft, lesson = await run_in_threadpool(  # a big copy must not stall other phones
            draft_from_media, hub, file.file, file.filename or "", settings.default_language,
            settings.hub_name, learner.id if learner else None,
        )  # fmt: skip
    except StudioError as error:
        raise ImportRefused(error.translated()) from None
    except DraftProblem as error:
        raise ImportRefused(str(error)) from None
    return RedirectResponse(
        f"{STUDIO}/drafts/{draft.course_id}/lessons/{lesson.id}?from_import=1", status_code=303
    )


def _keep(hub: Hub, file: UploadFile, token: str, name: str) -> None:
    """Copy an upload into the incoming folder under its writer's name, then move it into its own
    folder: no half file is ever offered, and one a killed hub left goes at the next start."""
    incoming = imports.upload_folder(hub) / imports.INCOMING_FOLDER
    incoming.mkdir(parents=True, exist_ok=True)
    with WriterClaim(hub.home) as writer:
        part = incoming / f"{writer}.{token}.part"
        try:
            with part.open("wb") as out:
                shutil.copyfileobj(file.file, out, 1024 * 1024)
            (imports.upload_folder(hub) / token).mkdir()
            part.replace(imports.upload_folder(hub) / token / name)
        finally:
            part.unlink(missing_ok=True)


@router.get("/tutor/import/preview", response_class=HTMLResponse, dependencies=[TUTOR])
def preview(request: Request, hub: HubDep, pick: str = "", upload: str = "") -> Response:
    """What the chosen source brings in, its size, whether it fits; a button to import it.

    `pick` is "<folder number>:<path inside it>" from the list of sources; `upload` an upload's token.
    """
    root_text, _, path = pick.partition(":")
    root = int(root_text) if root_text.isdigit() else None
    try:
        source = _chosen(hub, root, path, upload)
    except ImportRefused as error:
        return _import_page(request, hub, 400, str(error))
    try:
        checked = imports.preview_import(hub, source)
    except Exception as error:
        _forget(hub, upload)  # a refused upload is never kept, whatever refused it
        if not isinstance(error, ContentError):
            raise
        message = gettext("%(name)s cannot be imported: %(reason)s") % {
            "name": source.name,
            "reason": str(error),
        }
        return _import_page(request, hub, 400, message)
    return render(
        request, "import_preview.html", checked=checked, preview=checked.preview, name=source.name,
        choice={"root": "" if root is None else root, "path": path, "upload": upload},
    )  # fmt: skip


def _forget(hub: Hub, upload: str) -> None:
    if _UPLOAD_TOKEN.match(upload):
        shutil.rmtree(imports.upload_folder(hub) / upload, ignore_errors=True)


@router.post("/tutor/import/start", response_class=HTMLResponse, dependencies=[TUTOR])
def start(
    request: Request,
    hub: HubDep,
    learner: CurrentLearner,
    root: Annotated[str, Form()] = "",
    path: Annotated[str, Form()] = "",
    upload: Annotated[str, Form()] = "",
    allow_unverified: Annotated[bool, Form()] = False,
    beside: Annotated[bool, Form()] = False,
) -> Response:
    """Check once more (the disk may have filled), then queue the import as a background job.

    Content nobody trusted signed goes ahead only when the tutor pressed the button that says
    it will be marked as not verified (`allow_unverified`). A course whose id a different course
    holds replaces it only when the tutor pressed "Replace"; "Import beside" keeps both (`beside`).
    """
    try:
        source = _chosen(hub, int(root) if root.isdigit() else None, path, upload)
        imports.check_importable(imports.preview_import(hub, source, beside=beside))
    except ImportRefused as error:
        return _import_page(request, hub, 400, str(error))
    except ContentError as error:
        return _import_page(
            request, hub, 400, gettext("This cannot be imported: %(reason)s") % {"reason": str(error)}
        )
    params = {
        "path": str(source),
        "name": source.name,
        "upload": upload if upload else "",
        "allow_unverified": allow_unverified,
        "beside": beside,
    }
    jobs.submit(hub.db, "import", params, created_by=learner.id if learner else None)
    return RedirectResponse("/tutor/jobs", status_code=303)


@router.post("/tutor/import/cancel", dependencies=[TUTOR])
def cancel(hub: HubDep, upload: Annotated[str, Form()] = "") -> Response:
    """Drop an uploaded file the tutor decided not to import."""
    _forget(hub, upload)
    return RedirectResponse("/tutor/import", status_code=303)


@router.get("/tutor/jobs", response_class=HTMLResponse, dependencies=[TUTOR])
def jobs_page(request: Request, hub: HubDep) -> HTMLResponse:
    """A tutor's background work (imports, video conversions) with progress; refreshes itself while any
    runs. The admin's work (syncs, sticks) shows on the admin's pages."""
    recent = jobs.recent_jobs(hub.db, JOB_LABELS)
    return render(
        request, "jobs.html", jobs=recent, running=any(not job.finished for job in recent),
        job_label=lambda kind: gettext(JOB_LABELS[kind]),
        state_label=lambda state: gettext(jobs.STATE_LABELS[state]),
    )  # fmt: skip
