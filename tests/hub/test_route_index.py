"""The route index (hub/route_index.py) finds, for any request, the route the full scan would:
the first in the app's order that matches, or none, leaving 405s, redirects and 404s to the scan."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from hub.route_index import RouteIndex

PARAMETER = re.compile(r"\{[^}]+\}")


def sample_paths(app: FastAPI) -> set[str]:
    """Every route's path with its parameters filled in several ways, plus some no route has."""
    paths = {"/", "/nowhere", "/courses", "/courses/", "/static/hub/nothing.css", "/admin/x/y/z"}
    for route in app.router.routes:
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
