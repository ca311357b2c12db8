"""Built-in plugin: HTML5 app lessons, played in isolation.

An app is a zip with an index.html (content/appzip.py, checked at import). The lesson page shows
it in an `<iframe sandbox="allow-scripts">` without `allow-same-origin`, and every file of the
app is served from /apps/<hash>/ with its own Content-Security-Policy: `sandbox allow-scripts`
(so an app opened straight from its address is just as shut in), scripts, styles and pictures
only from its own folder, and no connections at all. The app runs in an opaque origin: it cannot
read the hub's cookies or storage, cannot fetch the hub's pages or API, cannot open a WebSocket,
and cannot navigate the lesson page. See docs/html5-apps.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("apps",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.apps import routes

    return [routes.router]


@hookimpl
def hub_lesson_viewers() -> dict[str, str]:
    return {"html5": "lessons/html5.html"}


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.plugins.apps import routes

    return {"app_url": routes.app_url}
