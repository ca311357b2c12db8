"""Built-in plugin: the offline web app, offered where the hub serves HTTPS.

Browsers give service workers only to secure contexts, so over plain HTTP this plugin adds no
script and its partial says why saving to the phone is not offered. Over HTTPS a resident saves
chosen courses on her phone (static/offline.js), reads them and takes their quizzes away from the
hub; what she answers is kept on the phone (IndexedDB) and sent, once, when she is next on the
hub's Wi-Fi (each quiz form carries an attempt id: hub/progress.attempt_id_for). The worker
(/sw.js, static/worker.js) names its caches with the hub's version and deletes older ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext
from hub.nav import NavItem

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import APIRouter, Request

    from hub.home import Hub


def is_secure(request: Request) -> bool:
    """Whether the phone sees this page in a secure context, where a service worker may run."""
    return request.scope["scheme"] == "https"  # what request.url says, without building a URL


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("api", "manifest.webmanifest", "offline", "sw.js"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.offline import routes

    return [routes.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    return [NavItem("/offline", gettext("On this phone"), 35)] if is_secure(request) else []


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.plugins.offline.routes import offline_plan

    return {"offline_plan": offline_plan, "offline_secure": is_secure}
