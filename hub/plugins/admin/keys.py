"""Signing keys (/admin/keys) and course packages for tutors to take to another hub."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from content.package import zip_chunks
from hub import library, trust
from hub.access import ADMIN, TUTOR
from hub.deps import HubDep
from hub.i18n import gettext
from hub.learners import LearnerError
from hub.pages import render
from hub.sources import trusted_keys

router = APIRouter(tags=["admin pages"], include_in_schema=False)
MAX_KEY_FILE = 4096  # a minisign .pub file is about 120 bytes


def keys_page(request: Request, hub: HubDep, status_code: int = 200, **extra: object) -> HTMLResponse:
    own = trust.own_key(hub.home)
    context = {"error": None, "message": None, "form": {}, **extra}
    return render(
        request, "keys.html", status_code=status_code, own=own.public if own else None,
        keys=trusted_keys(hub.db), **context,
    )  # fmt: skip


@router.get("/admin/keys", response_class=HTMLResponse, dependencies=[ADMIN])
def keys(request: Request, hub: HubDep) -> HTMLResponse:
    return keys_page(request, hub)


@router.post("/admin/keys/own", response_class=HTMLResponse, dependencies=[ADMIN])
def make_own_key(request: Request, hub: HubDep) -> HTMLResponse:
    """Make this hub's signing key; from then on what its tutors publish is signed with it."""
    trust.ensure_own_key(hub.home, hub.db, request.app.state.hub_name)
    return keys_page(request, hub)


@router.post("/admin/keys", response_class=HTMLResponse, dependencies=[ADMIN])
async def add_key(
    request: Request,
    hub: HubDep,
    name: Annotated[str, Form()] = "",
    key_text: Annotated[str, Form()] = "",
    key_file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Trust a publisher's key, pasted or uploaded as a .pub file."""
    uploaded = await key_file.read(MAX_KEY_FILE + 1) if key_file is not None else b""
    try:
        if len(uploaded) > MAX_KEY_FILE:
            raise trust.TrustError(trust.NOT_A_KEY)
        key = trust.read_public_key(uploaded or key_text)
        added = trust.trust_key(hub.db, key, name)
    except LearnerError as error:
        form = {"name": name, "key_text": key_text}
        return keys_page(request, hub, 400, error=error.translated(), form=form)
    return keys_page(request, hub, message=added.name)


@router.post("/admin/keys/{key_id}/delete", response_class=HTMLResponse, dependencies=[ADMIN])
def remove_key(request: Request, hub: HubDep, key_id: str) -> HTMLResponse:
    try:
        removed = trust.untrust_key(hub.db, key_id)
    except LearnerError as error:
        return keys_page(request, hub, 400, error=error.translated())
    return keys_page(request, hub, removed=removed.name)


@router.get("/tutor/courses/{course_id}/package.zip", dependencies=[TUTOR])
def download_package(request: Request, course_id: str, hub: HubDep) -> Response:
    """The course as it came in (manifest, signature, files), streamed as a zip."""
    stored = library.stored_package(hub.db, hub.blobs, course_id)
    if stored is None:
        message = gettext("There is no such course on this hub.")
        return render(request, "not_found.html", status_code=404, message=message)
    if not all(path.is_file() for path in stored.files.values()):
        message = gettext("Some files of this course are missing on this hub, so it cannot be exported.")
        return render(request, "not_found.html", status_code=409, message=message)
    card = next(c for c in hub.courses() if c.id == course_id)
    return StreamingResponse(
        zip_chunks(stored.manifest_raw, stored.signature, stored.files),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{course_id}-v{card.version}.zip"'},
    )
