"""Built-in plugin: reading ZIM articles (Kiwix's offline Wikipedia, WikiMed) on the hub.

A zim lesson names one article inside a ZIM file the hub keeps whole as a blob (see
content/importers/zim.py for why). The lesson page shows the article sanitised; /zim/<hash>/<path>
serves any other article of the same ZIM as a page, and its images, so links inside work.
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
    return [OnDemand(("zim",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.zim import routes

    return [routes.router]


@hookimpl
def hub_lesson_viewers() -> dict[str, str]:
    return {"zim": "lessons/zim.html"}


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.plugins.zim import routes

    return {"zim_article": routes.lesson_article}
