"""The route index (hub/route_index.py) finds, for any request, the route the full scan would:
the first in the app's order that matches, or none, leaving 405s, redirects and 404s to the scan.
It builds a plugin's routes at the first request under their segments, in their declared places."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match

from hub.app import create_app
from hub.home import Hub
from hub.hookspecs import OnDemand, hookimpl
from hub.plugins import build_manager, installed_plugins
from hub.route_index import RouteIndex, every_route

PARAMETER = re.compile(r"\{[^}]+\}")


def sample_paths(app: FastAPI) -> set[str]:
    """Every route's path with its parameters filled in several ways, plus some no route has."""
    paths = {"/", "/nowhere", "/courses", "/courses/", "/static/hub/nothing.css", "/admin/x/y/z"}
    for route in every_route(app):
        path = getattr(route, "path", "")
        for filler in ("new", "sample-course", "a/b", "0" * 64):
            paths.add(PARAMETER.sub(filler, path) or "/")
    return paths


def full_scan(app: FastAPI, scope: dict) -> object | None:
    for route in app.router.routes[1:]:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
    return None


def test_the_index_finds_the_route_the_full_scan_finds(app: FastAPI):
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    checked = 0
    for path in sample_paths(app):
        for method in ("GET", "POST", "HEAD"):
            scope = {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}
            match, child_scope = index.matches(scope)
            expected = full_scan(app, scope)
            found = child_scope.get("hub.route_index.matched") if match == Match.FULL else None
            assert found is expected, (method, path)
            checked += 1
    assert checked > 500


def test_wrong_methods_and_unknown_pages_are_answered_as_before(app: FastAPI):
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        assert client.get("/courses/sample-course").status_code == 200
        assert client.delete("/courses/sample-course").status_code == 405
        assert client.get("/no/such/page").status_code == 404


def declared_routes(app: FastAPI) -> list[APIRoute]:
    return [route for route in app.router.routes if isinstance(route, APIRoute)]


def test_a_hub_starts_with_no_plugin_route_declared_and_builds_a_segment_at_its_first_request(
    app: FastAPI,
):
    assert declared_routes(app) == []
    with TestClient(app) as client:
        assert client.get("/admin/users", follow_redirects=False).status_code == 303  # to set-up
        built = {route.path for route in declared_routes(app)}
        assert "/admin/users" in built
        assert "/tutor" in built  # the admin plugin declares /admin and /tutor together
        assert not any(path.startswith("/tutor/studio") for path in built)  # the studio's: only /tutor
        assert "/" not in built
        assert client.get("/tutor/studio", follow_redirects=False).status_code in (303, 401)
        assert "/tutor/studio" in {route.path for route in declared_routes(app)}


def test_routes_built_in_any_order_stand_where_they_were_declared(app: FastAPI):
    with TestClient(app) as client:
        for path in ("/tutor", "/api/v1/courses", "/me", "/courses/sample-course", "/"):
            client.get(path, follow_redirects=False)
    declared = [
        route
        for items in app.state.plugins.hook.hub_routers(hub=app.state.hub)
        for on_demand in items
        for router in on_demand.routers()
        for route in router.routes
    ]
    assert [id(route) for route in declared_routes(app)] != [
        id(route) for route in declared
    ]  # some still to do
    assert [id(route) for route in every_route(app) if isinstance(route, APIRoute)] == [
        id(route) for route in declared
    ]


def test_the_api_schema_lists_routes_nobody_has_asked_for_yet(app: FastAPI):
    with TestClient(app) as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/courses" in paths
    assert "/media/{sha256}/{name}" in paths  # the media plugin's, under /media


class MisdeclaredPlugin:
    router = APIRouter()

    @staticmethod
    @router.get("/elsewhere", response_class=PlainTextResponse)
    def elsewhere() -> str:
        return "not under /here"

    @hookimpl
    def hub_routers(self, hub: Hub) -> list[OnDemand]:
        return [OnDemand(("here", "admin"), lambda: [self.router])]


def test_a_plugin_whose_routes_cannot_be_built_is_logged_and_left_out_and_the_rest_serve(
    hub: Hub, caplog: pytest.LogCaptureFixture
):
    plugins = {**installed_plugins(load_entry_points=False), "misdeclared": MisdeclaredPlugin()}
    app = create_app(hub, build_manager(plugins))
    with TestClient(app) as client:
        assert client.get("/admin/users", follow_redirects=False).status_code == 303  # the admin's own
        assert "/elsewhere is not under the segments its plugin declared" in caplog.text
        assert client.get("/elsewhere").status_code == 404
        assert client.get("/").status_code == 200
    assert "/elsewhere" not in {getattr(route, "path", "") for route in every_route(app)}


def test_segments_must_be_a_tuple_not_a_string_that_would_read_as_letters():
    with pytest.raises(TypeError, match="tuple of path segments"):
        OnDemand("admin", list)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple of path segments"):
        OnDemand(("admin/users",), list)


def test_the_first_request_under_a_segment_gets_its_405_or_redirect_as_before(app: FastAPI):
    with TestClient(app) as client:
        assert client.delete("/admin/users").status_code == 405
        slash = client.get("/search/", follow_redirects=False)
        assert slash.status_code == 307 and slash.headers["location"].endswith("/search")


def test_a_hub_mounted_under_a_prefix_builds_its_routes_too(app: FastAPI):
    """Under a root path the index steps aside for the full scan, which then finds every route built."""
    outer = FastAPI()
    outer.mount("/hub", app)
    with TestClient(outer) as client:
        assert client.get("/hub/search?q=soap").status_code == 200
        assert client.get("/hub/courses/sample-course").status_code == 200
