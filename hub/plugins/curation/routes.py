"""The lifecycle pages: updates waiting for approval, courses past review, retractions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from content.errors import ContentError
from content.retraction import MAX_BYTES, MAX_REASON, RetractionError
from hub import retractions, reviews, updates
from hub.access import ADMIN, TUTOR
from hub.deps import CurrentLearner, HubDep
from hub.home import Hub
from hub.i18n import N_, gettext
from hub.learners import Role
from hub.pages import render
from hub.trust import own_key

router = APIRouter(tags=["tutor pages"], include_in_schema=False)
RETRACTED = N_(
    "Retracted: %(course)s is hidden on this hub now, and goes to the other hubs with the next sync or stick."
)


def updates_page(request: Request, hub: Hub, who: CurrentLearner, status_code: int = 200,
                 **extra: object) -> HTMLResponse:  # fmt: skip
    is_admin = who is not None and who.effective_role == Role.ADMIN
    return render(
        request, "updates.html", status_code=status_code, pending=updates.pending(hub.db),
        policy=updates.policy(hub), is_admin=is_admin, **{"error": None, "message": None, **extra},
    )  # fmt: skip


@router.get("/tutor/updates", response_class=HTMLResponse, dependencies=[TUTOR])
def pending_updates(request: Request, hub: HubDep, who: CurrentLearner) -> HTMLResponse:
    """New versions that wait for a tutor's or an admin's approval, with what changed."""
    return updates_page(request, hub, who)


@router.post(
    "/tutor/updates/{course_id}/{version}/approve", response_class=HTMLResponse, dependencies=[TUTOR]
)
def approve(request: Request, course_id: str, version: int, hub: HubDep, who: CurrentLearner) -> HTMLResponse:
    try:
        result = updates.approve(hub, course_id, version)
    except ContentError as error:
        reason = {"reason": str(error)}
        return updates_page(
            request, hub, who, 409, error=gettext("The update was not applied: %(reason)s") % reason
        )
    shown = {"title": result.title, "version": result.version}
    return updates_page(
        request, hub, who, message=gettext("%(title)s is now at version %(version)d.") % shown
    )


@router.post(
    "/tutor/updates/{course_id}/{version}/decline", response_class=HTMLResponse, dependencies=[TUTOR]
)
def decline(request: Request, course_id: str, version: int, hub: HubDep, who: CurrentLearner) -> HTMLResponse:
    try:
        updates.decline(hub, course_id, version)
    except ContentError:
        return updates_page(request, hub, who, 409, error=gettext("This version is not waiting any more."))
    return updates_page(request, hub, who, message=gettext("Declined: residents keep the version they have."))


@router.post("/admin/updates/policy", dependencies=[ADMIN])
def set_policy(hub: HubDep, policy: Annotated[str, Form()] = updates.AUTOMATIC) -> Response:
    """Whether new versions from the centre and from sticks replace the current one at once."""
    updates.set_policy(hub, policy if policy in updates.POLICIES else updates.AUTOMATIC)
    return RedirectResponse("/tutor/updates", status_code=303)


@router.get("/tutor/reviews", response_class=HTMLResponse, dependencies=[TUTOR])
def past_review(request: Request, hub: HubDep) -> HTMLResponse:
    """Courses whose "review by" date has passed: their guidance may no longer be true."""
    return render(request, "reviews.html", due=reviews.past_review(hub.db), today=reviews.today())


def retractions_page(request: Request, hub: Hub, status_code: int = 200, **extra: object) -> HTMLResponse:
    held = hub.db.execute(
        "SELECT r.course_id, coalesce(c.title, r.course_id), r.version, r.reason, r.signed_as, r.issued_at"
        " FROM retractions r LEFT JOIN courses c ON c.id = r.course_id ORDER BY r.received_at DESC"
    ).fetchall()
    return render(
        request, "retractions.html", status_code=status_code, held=held, courses=hub.courses(),
        has_key=own_key(hub.home) is not None, max_reason=MAX_REASON,
        **{"error": None, "message": None, "form": {}, **extra},
    )  # fmt: skip


@router.get("/admin/retractions", response_class=HTMLResponse, dependencies=[ADMIN])
def retractions_list(request: Request, hub: HubDep) -> HTMLResponse:
    return retractions_page(request, hub)


def _refused(
    request: Request, hub: Hub, error: Exception, form: dict[str, str] | None = None
) -> HTMLResponse:
    message = gettext("The retraction was refused, nothing was changed: %(reason)s") % {"reason": str(error)}
    return retractions_page(request, hub, 400, error=message, form=form or {})


@router.post("/admin/retractions", response_class=HTMLResponse, dependencies=[ADMIN])
def retract(
    request: Request,
    hub: HubDep,
    course_id: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "version",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Sign a retraction with this hub's key (the centre's content key, on the central server)."""
    form = {"course_id": course_id, "scope": scope, "reason": reason}
    key = own_key(hub.home)
    if key is None:
        message = gettext("Make this hub's signing key first (Signing keys).")
        return retractions_page(request, hub, 400, form=form, error=message)
    row = hub.db.execute("SELECT version FROM courses WHERE id = ?", [course_id]).fetchone()
    if row is None:
        return retractions_page(request, hub, 400, form=form, error=gettext("Choose a course of this hub."))
    if not reason.strip():
        return retractions_page(request, hub, 400, form=form,
                                error=gettext("Say why, in words residents will read."))  # fmt: skip
    try:
        retracted, _ = retractions.retract(
            hub, course_id, row[0] if scope == "version" else None, reason, key
        )
    except RetractionError as error:
        return _refused(request, hub, error, form)
    return retractions_page(request, hub, message=gettext(RETRACTED) % {"course": retracted.course_id})


@router.post("/admin/retractions/file", response_class=HTMLResponse, dependencies=[ADMIN])
async def take_file(
    request: Request, hub: HubDep, retraction_file: Annotated[UploadFile | None, File()] = None
) -> HTMLResponse:
    """Take a retraction file a publisher made (`hub content retract … -o FILE`)."""
    data = await retraction_file.read(MAX_BYTES + 1) if retraction_file is not None else b""
    try:
        if not data:
            raise RetractionError("choose the retraction file first")
        retracted, new = retractions.take(hub, data)
    except RetractionError as error:
        return _refused(request, hub, error)
    if not new:
        return retractions_page(request, hub, message=gettext("This hub already had this retraction."))
    return retractions_page(request, hub, message=gettext(RETRACTED) % {"course": retracted.course_id})


@router.get("/admin/retractions/{course_id}/{version}.json", dependencies=[ADMIN])
def download(course_id: str, version: int, hub: HubDep) -> Response:
    """A retraction as it travels, to carry to a hub by hand."""
    row = hub.db.execute(
        "SELECT document FROM retractions WHERE course_id = ? AND version = ?", [course_id, version]
    ).fetchone()
    if row is None:
        return Response(gettext("There is no such retraction on this hub."), status_code=404)
    name = f"retraction-{course_id}-{version or 'all'}.json"
    return Response(bytes(row[0]), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
