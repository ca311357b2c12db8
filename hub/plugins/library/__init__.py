"""Built-in plugin: keeping the library on /admin/library: the storage view, removing a course (with
its confirmation) and choosing what comes from the central server (hub/library_keep.py,
hub/library_choice.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub import blob_refs, library_keep
from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import file_size, gettext
from hub.nav import AdminPage

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("admin",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.library import routes

    return [routes.router]


def storage_line(hub: Hub) -> str:
    """One line for the admin dashboard: what the courses take and what is free, warning when nearly full."""
    total, free = library_keep.disk_space(hub.home)
    courses = hub.db.execute("SELECT count(*) FROM courses").fetchone()[0]
    percent = round((1 - free / total) * 100) if total else 0
    line = gettext("%(used)s in %(count)s courses · %(free)s free (disk %(percent)s%% full)") % {
        "used": file_size(blob_refs.library_bytes(hub.db)), "count": courses, "free": file_size(free),
        "percent": percent,
    }  # fmt: skip
    if total and 1 - free / total >= library_keep.NEARLY_FULL:
        return gettext("Warning: the disk is nearly full.") + " " + line
    return line


@hookimpl
def hub_admin_pages(hub: Hub) -> list[AdminPage]:
    library_keep.ensure_counted(hub.db)
    return [AdminPage("/admin/library", gettext("Library and storage"), 25, storage_line(hub))]
