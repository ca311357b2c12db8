"""The hooks a plugin may implement. Each docstring is the contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter, Request

    from hub.home import Hub
    from hub.jobs import JobFunction
    from hub.nav import AdminPage, NavItem

hookspec = pluggy.HookspecMarker("hub")
hookimpl = pluggy.HookimplMarker("hub")


@dataclass(frozen=True)
class OnDemand:
    """A plugin's routers, built at the first request whose path begins with one of `segments`
    ("admin" for /admin/…); `routers` imports and returns them (hub/route_index.py)."""

    segments: tuple[str, ...]
    routers: Callable[[], list[APIRouter]]

    def __post_init__(self) -> None:
        segments = self.segments
        if not isinstance(segments, tuple) or not all(isinstance(s, str) and "/" not in s for s in segments):
            raise TypeError(f"OnDemand takes a tuple of path segments such as ('admin',), not {segments!r}")


@hookspec
def hub_routers(hub: Hub) -> list[APIRouter | OnDemand]:
    """Return the routers this plugin adds to the web app (OnDemand: built at their first request)."""


@hookspec
def hub_nav_items(request: Request) -> list[NavItem]:
    """Return the links this plugin adds to the main navigation for this request."""


@hookspec
def hub_admin_pages(hub: Hub) -> list[AdminPage]:
    """Return the admin-area pages this plugin adds, each with a one-line state for the dashboard."""


@hookspec
def hub_lesson_viewers() -> dict[str, str]:
    """Return the template that shows each lesson kind this plugin can display, by kind."""


@hookspec
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    """Return functions page templates may call (e.g. a lesson viewer's), by name."""


@hookspec
def hub_startup(hub: Hub) -> None:
    """Do work needed once when the hub starts (it runs before the first request)."""


@hookspec
def hub_prepare(hub: Hub) -> None:
    """Do slow one-time work in `hub init` or `hub serve` before the server starts (may print)."""


@hookspec
def hub_commands(cli: typer.Typer) -> None:
    """Add commands (or command groups) to the `hub` command line."""


@hookspec
def hub_job_kinds() -> dict[str, JobFunction]:
    """Return the background job kinds this plugin runs, by name; each must be safe to run twice."""
