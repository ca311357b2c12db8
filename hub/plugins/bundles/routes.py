"""/admin/bundles: the admin's buttons for USB sticks (what `hub bundle export|import` does).

The page lists the sticks it finds and the hubs that wrote onto each; a button queues the work
as a background job (the hub keeps serving phones meanwhile) and the page shows how it went.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from content.errors import ContentError
from hub import jobs
from hub.access import ADMIN
from hub.deps import CurrentLearner, HubDep
from hub.home import Hub
from hub.i18n import gettext
from hub.pages import render
from hub.plugins.bundles import carry, sticks
from sync import bundle

router = APIRouter(tags=["admin pages"], include_in_schema=False)

KINDS = (carry.EXPORT_JOB, carry.IMPORT_JOB)


class StickRefused(Exception):
    """A choice the page cannot act on; the message is for the admin."""


def bundles_page(request: Request, hub: Hub, status_code: int = 200, error: str = "") -> HTMLResponse:
    recent = jobs.recent_jobs(hub.db, KINDS, limit=10)
    return render(
        request, "bundles.html", status_code=status_code, error=error, sticks=sticks.find_sticks(hub),
        device_id=hub.device.id, introduced=bundle.known_devices(hub.sync_db)[1], jobs=recent,
        running=any(not job.finished for job in recent),
        state_label=lambda state: gettext(jobs.STATE_LABELS[state]),
    )  # fmt: skip


def _chosen(hub: Hub, choice: str) -> Path:
    """The path of the stick an admin picked, refused when it is gone or work with a stick is under way."""
    if any(not job.finished for job in jobs.recent_jobs(hub.db, KINDS, limit=10)):
        raise StickRefused(gettext("Work with a stick is under way. Wait until it has finished."))
    try:
        return sticks.chosen_stick(hub, choice)
    except ContentError as error:
        reason = {"reason": str(error)}
        raise StickRefused(gettext("This stick cannot be used: %(reason)s") % reason) from None


@router.get("/admin/bundles", response_class=HTMLResponse, dependencies=[ADMIN])
def bundles(request: Request, hub: HubDep) -> HTMLResponse:
    return bundles_page(request, hub)


@router.post("/admin/bundles/export", dependencies=[ADMIN])
def export(
    request: Request, hub: HubDep, learner: CurrentLearner, stick: Annotated[str, Form()] = ""
) -> Response:
    """Queue writing this hub's new progress and the courses other hubs may lack onto the stick."""
    try:
        path = _chosen(hub, stick)
    except StickRefused as error:
        return bundles_page(request, hub, 400, str(error))
    jobs.submit(hub.db, carry.EXPORT_JOB, {"stick": str(path)}, created_by=learner.id if learner else None)
    return RedirectResponse("/admin/bundles", status_code=303)


@router.post("/admin/bundles/import", dependencies=[ADMIN])
def import_(
    request: Request,
    hub: HubDep,
    learner: CurrentLearner,
    stick: Annotated[str, Form()] = "",
    trust: Annotated[list[str] | None, Form()] = None,
    allow_unverified: Annotated[bool, Form()] = False,
) -> Response:
    """Queue taking in what the stick carries, then writing this hub's answer back onto it.

    `trust` holds the device ids the admin checked on their hubs; `allow_unverified` is the
    admin's choice to take courses nobody this hub trusts signed (marked as not verified).
    """
    try:
        path = _chosen(hub, stick)
        on_stick = {folder.device for folder in bundle.folders_on(path)}
        if not on_stick - {hub.device.id}:
            raise StickRefused(gettext("No other hub has written onto this stick: nothing to import."))
        if not set(trust or ()) <= on_stick:
            raise StickRefused(gettext("Only hubs whose folders are on this stick can be trusted here."))
    except StickRefused as error:
        return bundles_page(request, hub, 400, str(error))
    params = {"stick": str(path), "trust": sorted(set(trust or ())), "allow_unverified": allow_unverified}
    jobs.submit(hub.db, carry.IMPORT_JOB, params, created_by=learner.id if learner else None)
    return RedirectResponse("/admin/bundles", status_code=303)
