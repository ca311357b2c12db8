"""/admin/sync: enrol this hub, see how syncing goes, sync now; on a central server, enrolment tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlite_utils import Database

from hub.access import ADMIN
from hub.deps import HubDep
from hub.i18n import N_
from hub.pages import render
from hub.plugins import sync
from hub.plugins.sync import central, client
from hub.plugins.sync.paging import Page, one_page
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import share

router = APIRouter(tags=["admin pages"], include_in_schema=False)


def enrolled_page(db: Database, asked: str | None) -> Page[central.EnrolledHub]:
    """One page of the hubs enrolled here, by name (an index keeps the order: sync_hubs_order)."""
    total = db.execute("SELECT count(*) FROM sync_hubs").fetchone()[0]

    def fetch(limit: int, offset: int) -> list[central.EnrolledHub]:
        rows = db.execute(
            "SELECT device_id, name, enrolled_at, revoked_at, last_seen_at FROM sync_hubs"
            " ORDER BY lower(name), device_id LIMIT ? OFFSET ?",
            [limit, offset],
        ).fetchall()
        return [central.EnrolledHub(*row) for row in rows]

    return one_page(asked, total, fetch)


def sync_page(request: Request, hub: HubDep, status_code: int = 200, **extra: object) -> HTMLResponse:
    is_central = hub.setting(ROLE_SETTING) == CENTRAL_ROLE
    context = {"error": None, "token": None, "form": {}, **extra}
    return render(
        request,
        "sync.html",
        status_code=status_code,
        central=client.central(hub),
        status=client.status(hub),
        pending=client.pending_changes(hub),
        next_sync=sync.next_sync_at(hub),
        running=sync.sync_queued(hub),
        is_central=is_central,
        hubs=enrolled_page(hub.sync_db, request.query_params.get("hubs_page")) if is_central else None,
        sharing=share.policy(hub.sync_db),
        names_in_clear=share.names_in_clear_allowed(hub.sync_db),
        **context,
    )


@router.get("/admin/sync", response_class=HTMLResponse, dependencies=[ADMIN])
def sync_status(request: Request, hub: HubDep) -> HTMLResponse:
    return sync_page(request, hub)


@router.post("/admin/sync/enroll", response_class=HTMLResponse, dependencies=[ADMIN])
def sync_enroll(
    request: Request, hub: HubDep, url: Annotated[str, Form()] = "", token: Annotated[str, Form()] = ""
) -> Response:
    """Enrol this hub with a central server, then sync at once."""
    try:
        client.enroll(hub, url, token, request.app.state.hub_name)
    except client.SyncFailed as error:
        return sync_page(request, hub, 400, error=error.translated(), form={"url": url, "token": token})
    sync.queue_sync(hub, asked=True)
    return RedirectResponse("/admin/sync", status_code=303)


@router.post("/admin/sync/now", dependencies=[ADMIN])
def sync_now(request: Request, hub: HubDep) -> Response:
    """Queue a sync (the job runner does it; the page shows how it went)."""
    if client.central(hub) is None:
        return sync_page(request, hub, 400, error=client.SyncFailed(client.NOT_ENROLLED).translated())
    sync.queue_sync(hub, asked=True)
    return RedirectResponse("/admin/sync", status_code=303)


@router.post("/admin/sync/tokens", response_class=HTMLResponse, dependencies=[ADMIN])
def sync_token(request: Request, hub: HubDep, name: Annotated[str, Form()] = "") -> HTMLResponse:
    """Make a one-time enrolment token for a new hub (central server); it is shown once."""
    try:
        token = central.create_token(hub.sync_db, name)
    except central.Refused as error:
        return sync_page(request, hub, 400, error=error.translated(), form={"name": name})
    return sync_page(request, hub, token=token, form={"name": name})


@router.post("/admin/sync/share", response_class=HTMLResponse, dependencies=[ADMIN])
def sync_share(
    request: Request,
    hub: HubDep,
    sharing: Annotated[str, Form()] = "",
    names_over_plain_http: Annotated[bool, Form()] = False,
) -> Response:
    """Choose what this hub's progress carries when it leaves (from the next sync or stick on)."""
    if sharing not in share.CHOICES:
        error = client.SyncFailed(N_("Choose what this hub shares: nothing personal, or named profiles."))
        return sync_page(request, hub, 400, error=error.translated())
    hub.set_setting(share.SETTING, sharing)
    hub.set_setting(share.CLEAR_SETTING, names_over_plain_http)
    return RedirectResponse("/admin/sync", status_code=303)
