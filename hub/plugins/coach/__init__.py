"""Built-in plugin: coaching. (A minimal stand-in registering the reports' router only: coaching
part 1 brings the real one, and the lead merges the reports' router into it.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[APIRouter]:
    from hub.plugins.coach import reports

    return [reports.router]
