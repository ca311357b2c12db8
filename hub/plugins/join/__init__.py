"""Built-in plugin: the join page, with the hub's address and a QR code for phones to scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("join",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.join import routes

    return [routes.router]
