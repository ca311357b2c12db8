"""Built-in plugin: H5P activities, played offline by h5p-standalone and kept apart from the hub.

An H5P lesson is one `.h5p` file (content/h5p.py, checked at import). The lesson page shows a
small player page of the hub's in an `<iframe sandbox="allow-scripts">` without
`allow-same-origin`; that page runs the player (h5p-standalone, shipped in the package: see
setup.py) under a Content-Security-Policy that lets it load scripts, styles, fonts and pictures
only from the player's folder and the activity's own folder, and fetch only the activity's own
files (served from the .h5p zip as HTML5 apps' files are). The activity runs in an opaque origin:
no cookies, no storage, no hub pages or API. The scores it reports (xAPI) go to the lesson page by
postMessage, which records them as quiz attempts. See docs/h5p.md.
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
    return [OnDemand(("api", "h5p"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.h5p import routes

    return [routes.router, routes.api_router]


@hookimpl
def hub_lesson_viewers() -> dict[str, str]:
    return {"h5p": "lessons/h5p.html"}


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.plugins.h5p import routes

    return {"h5p_play_url": routes.play_url, "h5p_player_version": routes.player_version}
