"""Built-in plugin: lesson files, served by hash with Range, ETag and long cache headers.

A content-addressed file never changes, so browsers may keep it for a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("media",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.media import routes

    return [routes.router]
