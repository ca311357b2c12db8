"""The app factory: a FastAPI app built from a hub and a plugin manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pluggy
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hub import __version__, i18n
from hub.deps import NewSessionCookieMiddleware
from hub.home import Hub
from hub.pages import build_environment
from hub.plugins import (
    ENABLED_SETTING,
    build_manager,
    default_enabled,
    installed_plugins,
    plugin_folder,
)

CORE_STATIC = Path(__file__).parent / "static"


def manager_for(hub: Hub, load_entry_points: bool = True) -> pluggy.PluginManager:
    """The plugin manager holding the plugins this hub has enabled."""
    enabled = set(hub.setting(ENABLED_SETTING) or default_enabled())
    installed = installed_plugins(load_entry_points)
    return build_manager({name: p for name, p in installed.items() if name in enabled})


def create_app(hub: Hub, plugins: pluggy.PluginManager | None = None) -> FastAPI:
    manager = plugins or manager_for(hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        manager.hook.hub_startup(hub=hub)
        yield

    app = FastAPI(
        title="Commons Hub",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    languages = i18n.available_languages()
    app.state.hub = hub
    app.state.plugins = manager
    app.state.templates = build_environment(manager)
    app.state.languages = languages
    app.state.hub_name = hub.setting("hub_name", "Commons Hub")
    app.state.lesson_viewers = {
        kind: template
        for viewers in reversed(manager.hook.hub_lesson_viewers())
        for kind, template in viewers.items()
    }
    for routers in manager.hook.hub_routers(hub=hub):
        for router in routers:
            app.include_router(router)
    app.mount("/static/hub", StaticFiles(directory=CORE_STATIC), name="static")
    for name, plugin in manager.list_name_plugin():
        folder = plugin_folder(plugin, "static")
        if folder:
            app.mount(f"/static/{name}", StaticFiles(directory=folder), name=f"static-{name}")
    app.add_middleware(NewSessionCookieMiddleware)
    app.add_middleware(i18n.LocaleMiddleware, offered=languages)
    return app
