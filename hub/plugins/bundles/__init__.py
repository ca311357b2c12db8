"""Built-in plugin: carry progress and courses between hubs on a USB stick (sync/bundle.py, docs/sync.md).

Adds `hub bundle export DIR`, `hub bundle import DIR [--trust-device ID]`, `hub device show`
(this hub's device id, which another hub's admin checks before trusting it) and the same
buttons on /admin/bundles, where the work runs as background jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.home import Hub
from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext
from hub.nav import AdminPage

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from hub.jobs import JobFunction


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("admin",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.bundles import routes

    return [routes.router]


@hookimpl
def hub_admin_pages(hub: Hub) -> list[AdminPage]:
    return [AdminPage("/admin/bundles", gettext("USB sticks"), 45)]


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    from hub.plugins.bundles import carry

    return {carry.EXPORT_JOB: carry.export_job, carry.IMPORT_JOB: carry.import_job}


def stick_name(path: str | Path) -> str:
    """What the admin calls a stick: the name of the folder it is mounted at ("usb0"), not its path."""
    return Path(path).name or str(path)


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    return {"stick_name": stick_name}


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub.plugins.bundles import commands

    cli.add_typer(commands.bundle_app, name="bundle")
    cli.add_typer(commands.device_app, name="device")
