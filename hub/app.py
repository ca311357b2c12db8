"""The app factory: a FastAPI app built from a hub and a plugin manager."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import pluggy
from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.middleware.gzip import GZipMiddleware

from hub import __version__, background, i18n, jobs
from hub.access import AccessDenied
from hub.deps import LocaleMiddleware, ResponseHeadersMiddleware
from hub.home import Hub
from hub.hookspecs import OnDemand
from hub.http_cache import NOT_COMPRESSED, HashedStaticFiles, PageCacheMiddleware
from hub.learners import count_admins
from hub.limits import BodyLimitMiddleware, BodyTooLarge, too_large
from hub.pages import build_environment, render
from hub.plugins import manager_for, plugin_folder
from hub.route_index import DeferredRoutes, RouteIndex, every_route
from hub.settings import HubSettings, load_settings

CORE_STATIC = Path(__file__).parent / "static"
COMPILED_TEMPLATES = "compiled-templates"  # in the hub's data folder (hub/pages.py)
DEFAULT_WORKER_THREADS = 12


def apply_settings(app: FastAPI, settings: HubSettings) -> None:
    """Make saved settings take effect for the next request."""
    app.state.settings = settings
    app.state.languages = settings.offered_languages()
    app.state.hub_name = settings.hub_name


def access_denied(request: Request, error: Exception) -> Response:
    """401/403 as JSON for the API, as a page (with a way to sign in) for people."""
    assert isinstance(error, AccessDenied)
    message = i18n.gettext(error.message)
    if error.sign_in and request.url.path.startswith("/admin") and not count_admins(request.app.state.hub.db):
        return RedirectResponse("/admin/setup", status_code=303)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=error.status)
    return render(request, "denied.html", status_code=error.status, message=message, sign_in=error.sign_in)


async def invalid_request(request: Request, error: Exception) -> Response:
    """422 saying what is wrong where, without echoing the input back: it may be large, or a NaN,
    which JSON cannot carry (FastAPI's own answer then failed with a 500)."""
    assert isinstance(error, RequestValidationError)
    errors = [{key: e[key] for key in ("type", "loc", "msg") if key in e} for e in error.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def worker_threads() -> int:
    """How many requests' route functions run at once: HUB_WORKER_THREADS, else 12.

    Plain `def` routes run in worker threads, and each thread that served a request keeps its own
    SQLite connection and search reader. Starlette's default of 40 threads cost a 10,000-course hub
    tens of MB under load for no more throughput on a Pi's cores (bench/library_scale).
    """
    value = os.environ.get("HUB_WORKER_THREADS", "")
    return int(value) if value.isdigit() and int(value) >= 1 else DEFAULT_WORKER_THREADS


def create_app(hub: Hub, plugins: pluggy.PluginManager | None = None) -> FastAPI:
    manager = plugins or manager_for(hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads()
        manager.hook.hub_startup(hub=hub)
        functions = jobs.job_functions(manager)
        runner = jobs.start_runner(hub, functions) if functions else None
        yield
        if runner:
            runner.stop()
        background.stop_all(hub)  # what hub_startup hooks began (hub/background.py)

    app = FastAPI(
        title="Commons Hub",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.hub = hub
    app.state.plugins = manager
    app.state.templates = build_environment(manager, hub.home / COMPILED_TEMPLATES)
    apply_settings(app, load_settings(hub))
    # A kind whose plugin is switched off shows its text version (every media lesson has one).
    app.state.lesson_viewers = defaultdict(
        lambda: "lesson_switched_off.html",
        {
            kind: template
            for viewers in reversed(manager.hook.hub_lesson_viewers())
            for kind, template in viewers.items()
        },
    )
    # The routers' routes, not the routers: FastAPI analyses each route's signature when it is
    # declared, and an included router's routes all over again at the first request (0.12 s of
    # a warm start, and a second copy of every route in memory). Plugin routers carry no prefix,
    # dependencies or tags of their own at inclusion, so their routes serve as declared. Routers
    # a plugin returns OnDemand are declared at the first request that needs them (route_index).
    for routers in manager.hook.hub_routers(hub=hub):
        for router in routers:
            if isinstance(router, OnDemand):
                app.router.routes.append(DeferredRoutes(router))
            else:
                app.router.routes.extend(router.routes)
    static_url = app.state.templates.globals["static_url"]
    app.mount("/static/hub", HashedStaticFiles(directory=CORE_STATIC), name="static")
    static_url.folders["hub"] = CORE_STATIC
    for name, plugin in manager.list_name_plugin():
        folder = plugin_folder(plugin, "static")
        if folder:
            app.mount(f"/static/{name}", HashedStaticFiles(directory=folder), name=f"static-{name}")
            static_url.folders[name] = Path(folder)
    app.router.routes.insert(0, RouteIndex(app.router.routes))

    def openapi_of_every_route() -> dict[str, Any]:
        every_route(app)  # the schema lists routes nobody has asked for yet too
        return FastAPI.openapi(app)

    app.openapi = openapi_of_every_route  # type: ignore[method-assign]
    app.add_middleware(BodyLimitMiddleware)  # inside the others, so its 413 page gets their headers
    app.add_middleware(ResponseHeadersMiddleware)
    app.add_exception_handler(AccessDenied, access_denied)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(PageCacheMiddleware)  # outside the others: ETags and HEAD for every page
    app.add_middleware(GZipMiddleware, minimum_size=1000, exclude_content_types=NOT_COMPRESSED)
    return app
