"""Built-in plugin: the JSON API under /api/v1, described at /api/v1/openapi.json."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("api",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.api import routes

    return [routes.router, routes.docs_router]
