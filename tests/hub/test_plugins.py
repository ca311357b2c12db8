"""Plugins: built-ins are plugins, and an inline plugin can add routes, nav items and viewers."""

from pathlib import Path
from typing import ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.home import Hub
from hub.hookspecs import hookimpl
from hub.library import import_package
from hub.nav import NavItem
from hub.plugins import (
    BUILTIN_PLUGINS,
    ENABLED_SETTING,
    build_manager,
    enabled_plugins,
    installed_plugins,
    manager_for,
    switch_plugin,
)


class GreetingPlugin:
    router = APIRouter()

    @staticmethod
    @router.get("/hello", response_class=PlainTextResponse)
    def hello() -> str:
        return "hello from a plugin"

    @hookimpl
    def hub_routers(self, hub: Hub) -> list[APIRouter]:
        return [self.router]

    @hookimpl
    def hub_nav_items(self, request: Request) -> list[NavItem]:
        return [NavItem("/hello", "Greeting", 99)]

    started: ClassVar[list[Hub]] = []

    @hookimpl
    def hub_startup(self, hub: Hub) -> None:
        self.started.append(hub)


def test_an_inline_plugin_adds_a_route_a_nav_item_and_startup_work(hub: Hub, course_folder: Path):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    plugins = {**installed_plugins(load_entry_points=False), "greeting": GreetingPlugin()}
    with TestClient(create_app(hub, build_manager(plugins))) as client:
        assert client.get("/hello").text == "hello from a plugin"
        assert '<a href="/hello">Greeting</a>' in client.get("/").text
    assert GreetingPlugin.started == [hub]


def test_disabled_builtin_is_not_served(hub: Hub):
    for name, _ in BUILTIN_PLUGINS:
        if name not in ("api", "media"):
            switch_plugin(hub, name, False)
    with TestClient(create_app(hub, manager_for(hub, load_entry_points=False))) as client:
        assert client.get("/").status_code == 404
        assert client.get("/api/v1/courses").json() == []


def test_every_builtin_is_enabled_on_a_fresh_hub(hub: Hub):
    manager = manager_for(hub, load_entry_points=False)
    assert {name for name, _ in manager.list_name_plugin()} == {name for name, _ in BUILTIN_PLUGINS}


def test_a_builtin_plugin_a_later_version_adds_is_on_where_an_admin_switched_others(hub: Hub):
    """Only the switches are kept: a new built-in is not off because it was not in a saved list."""
    switch_plugin(hub, "coach", False)
    switch_plugin(hub, "a-third-party-plugin", True)
    assert hub.setting("plugins_switched") == {"coach": False, "a-third-party-plugin": True}
    builtins = {name for name, _ in BUILTIN_PLUGINS}
    assert enabled_plugins(hub) == builtins - {"coach"} | {"a-third-party-plugin"}


def test_an_older_hubs_list_of_enabled_plugins_is_read_as_switches(hub: Hub):
    hub.set_setting(ENABLED_SETTING, ["api", "media", "a-third-party-plugin"])
    assert enabled_plugins(hub) == {"api", "media", "a-third-party-plugin"}
    switch_plugin(hub, "search", True)
    assert enabled_plugins(hub) == {"api", "media", "search", "a-third-party-plugin"}
