"""Built-in plugin: sync with a central server over HTTP (see hub/plugins/sync/client.py, docs/sync.md).

On a central server (`hub serve --role central`) it answers `/api/v1/sync/` and shows tutors the
progress from every hub (/tutor/hubs); on a hub enrolled
with one it syncs in the background every few minutes (a job, retried with back-off) and on
demand (`hub sync now`, the button on /admin/sync).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub import background, jobs
from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext, ngettext, when
from hub.learners import Role
from hub.nav import AdminPage, NavItem
from hub.settings import CENTRAL_ROLE, ROLE_SETTING

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter, Request

    from hub.home import Hub

JOB_KIND = "sync"
INTERVAL_SETTING = "sync_interval_minutes"
DEFAULT_INTERVAL_MINUTES = 15
RETRY_SECONDS = 30  # the first retry after a failure; doubled each time, up to the interval
CHECK_SECONDS = 5.0
JITTER = 0.1  # each wait between syncs is 90% to 110% of its nominal length


def sync_job(hub: Hub, params: dict[str, Any], report: jobs.Report) -> dict[str, Any]:
    from hub.plugins.sync import client

    try:
        result = client.sync_and_record(hub, report)
    except client.SyncFailed as error:
        raise jobs.JobError(error.translated()) from None
    return {"pushed": result.pushed, "pulled": result.pulled, "courses": result.courses}


def next_sync_at(hub: Hub) -> datetime | None:
    """When the background sync runs next (None: not enrolled), after a back-off on failures."""
    from hub.plugins.sync import client

    if client.central(hub) is None:
        return None
    state = client.status(hub)
    last = state.get("last_attempt_at")
    if not last:
        return datetime.now(UTC)
    interval = 60 * int(hub.setting(INTERVAL_SETTING) or DEFAULT_INTERVAL_MINUTES)
    failures = int(state.get("failures", 0))
    wait = min(interval, RETRY_SECONDS * 2 ** (failures - 1)) if failures else interval
    return datetime.fromisoformat(last) + timedelta(seconds=wait * _spread(hub.device.id, last))


def _spread(device: str, last_attempt: str) -> float:
    """A factor in [1 - JITTER, 1 + JITTER), the same for one hub and one attempt (the schedule is
    worked out anew every few seconds) but another for the next: hubs that synced together (power
    back across a city, a centre that was down) drift apart instead of all coming at once forever."""
    digest = hashlib.sha256(f"{device}\n{last_attempt}".encode()).digest()
    return 1 - JITTER + 2 * JITTER * int.from_bytes(digest[:4]) / 2**32


def sync_queued(hub: Hub, states: tuple[str, ...] = ("queued", "running")) -> bool:
    marks = ", ".join("?" * len(states))
    found = hub.db.execute(f"SELECT 1 FROM jobs WHERE kind = ? AND state IN ({marks})", [JOB_KIND, *states])
    return found.fetchone() is not None


def queue_sync(hub: Hub, created_by: str | None = None, *, asked: bool = False) -> None:
    """Queue a sync job unless one is already waiting (or, for the schedule, running).

    A person who `asked` while a sync runs gets another one after it: the running one may have
    sent its progress before what they just did.
    """
    if not sync_queued(hub, ("queued",) if asked else ("queued", "running")):
        jobs.submit(hub.db, JOB_KIND, {}, created_by)


def _queue_if_due(hub: Hub) -> None:
    """Queue a sync if one is due; the job runner does the work, the UI never waits for it."""
    due = next_sync_at(hub)
    if due is not None and due <= datetime.now(UTC):
        queue_sync(hub)


@hookimpl
def hub_startup(hub: Hub) -> None:
    from hub.plugins.sync import client
    from sync import ownership

    centre = client.centre_device(hub)
    if centre is not None:  # hubs enrolled before hand-overs by the centre learn whose to take
        hub.set_setting(ownership.AUTHORITY_SETTING, centre)
    background.every(hub, "sync-schedule", CHECK_SECONDS, _queue_if_due, at_start=False)


@hookimpl
def hub_job_kinds() -> dict[str, jobs.JobFunction]:
    return {JOB_KIND: sync_job}


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("admin", "api", "tutor"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.sync import admin, api, overview

    return [api.router, admin.router, overview.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    """A tutor on the central server reaches the progress from every hub."""
    learner = getattr(request.state, "learner", None)
    is_tutor = learner is not None and learner.effective_role.rank >= Role.TUTOR.rank
    if is_tutor and request.app.state.hub.setting(ROLE_SETTING) == CENTRAL_ROLE:
        return [NavItem("/tutor/hubs", gettext("Hubs"), 45)]
    return []


@hookimpl
def hub_admin_pages(hub: Hub) -> list[AdminPage]:
    """The sync page, with the last sync (a hub) or how many hubs are enrolled (the centre)."""
    from hub.plugins.sync import central, client

    label = gettext("Sync")
    if hub.setting(ROLE_SETTING) == CENTRAL_ROLE:
        count = sum(1 for enrolled in central.enrolled_hubs(hub.sync_db) if not enrolled.revoked_at)
        return [AdminPage("/admin/sync", label, 40, ngettext("%(num)d hub enrolled", "%(num)d hubs enrolled",
                                                              count) % {"num": count})]  # fmt: skip
    state = client.status(hub)
    if client.central(hub) is None:
        line = gettext("Not enrolled with a central server")
    elif state.get("last_error"):
        line = gettext("The last attempt failed: %(reason)s") % {"reason": state["last_error"]}
    elif state.get("last_success_at"):
        line = gettext("Last sync: %(time)s") % {"time": when(state["last_success_at"])}
    else:
        line = gettext("Not synced yet")
    return [AdminPage("/admin/sync", label, 40, line)]


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub.plugins.sync import commands

    cli.add_typer(commands.sync_app, name="sync")
