"""Finding a request's route by its path's first segment, instead of trying every route in turn.

Starlette tries an app's routes one after another, a regular expression each. With every
plugin's routes in one list (about 190), a lesson page tried 168 before its own: 0.14 ms a
request, about 5 % of a lesson view's CPU time. `RouteIndex` sits first in the list and
tries only the routes that could match: those whose path begins with the same literal segment,
and those that begin with a parameter, in their original order, so the first route that
matches is the same one the full scan would find. When none of them matches completely it
declines, and the full scan behind it does what it always did (405 for a wrong method, a
redirect for a missing slash, 404).

The index also builds routes on demand. FastAPI analyses a route's signature when the route is
declared (1–2 ms each), and most of the hub's routes are staff pages a resident never opens:
declaring them all took 0.2 s of every start. A plugin returns its routers as `OnDemand`, with
the first segments their paths begin with; the app keeps a `DeferredRoutes` in their place, and
the first request under one of those segments builds them there, so the order, and with it
which route wins, is the same as if they had been declared at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from hub.hookspecs import OnDemand

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.datastructures import URLPath

_MATCHED = "hub.route_index.matched"
log = logging.getLogger(__name__)


class DeferredRoutes(BaseRoute):
    """Where an `OnDemand`'s routes go in the app's list once built; it matches nothing itself."""

    def __init__(self, on_demand: OnDemand) -> None:
        self.on_demand = on_demand

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("deferred routes are built before a request reaches them")

    def build(self) -> list[BaseRoute]:
        """Its routes, checked to lie under the segments it was declared with."""
        routes = [route for router in self.on_demand.routers() for route in router.routes]
        for route in routes:
            if _route_segment(route) not in self.on_demand.segments:
                path = getattr(route, "path", route)
                raise RuntimeError(
                    f"the route {path} is not under the segments its plugin declared for it "
                    f"({', '.join(sorted(self.on_demand.segments))}): add its first segment"
                )
        return routes


def _first_segment(path: str) -> str:
    return path.partition("/")[2].partition("/")[0]


def _route_segment(route: BaseRoute) -> str | None:
    """The literal first segment every path this route matches begins with; None if any may do."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    first = _first_segment(path)
    return None if "{" in first else first


@dataclass(frozen=True)
class _Groups:
    """The routes arranged by first segment, made whole and then put in place at once: requests
    on the loop read them while a worker thread (the API's schema page) may be building."""

    built_for: int  # how many routes they were made from
    by_segment: dict[str, list[BaseRoute]]
    anywhere: list[BaseRoute]  # routes that may match whatever the first segment
    deferred: dict[str, list[DeferredRoutes]]


class RouteIndex(BaseRoute):
    """The app's routes grouped by the first segment of their path (see the module's doc)."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes  # the router's own list, this index among them
        self._groups = _Groups(-1, {}, [], {})
        self._building = threading.Lock()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        groups = self._current()
        if scope.get("root_path"):  # a mounted app: the full scan knows, once every route is there
            if groups.deferred:
                self.build_deferred([d for ds in groups.deferred.values() for d in ds])
            return Match.NONE, {}
        first = _first_segment(scope["path"])
        if first in groups.deferred:
            self.build_deferred(groups.deferred[first])
            groups = self._groups
        for route in groups.by_segment.get(first, groups.anywhere):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return Match.FULL, {**child_scope, _MATCHED: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[_MATCHED].handle(scope, receive, send)

    def build_deferred(self, deferred: Iterable[DeferredRoutes]) -> None:
        """Build these deferred routes in their places (once: a later caller finds them gone).

        At a segment's first request this runs on the event loop: importing a plugin's route
        modules holds every request up once, for tens of milliseconds. A plugin whose routes
        cannot be built is logged and left out; the others, and the rest of the hub, serve."""
        with self._building:
            for placeholder in deferred:
                at = next((i for i, route in enumerate(self._routes) if route is placeholder), None)
                if at is None:
                    continue
                try:
                    routes = placeholder.build()
                except Exception:
                    log.exception("the routes of a plugin could not be built; its pages are left out")
                    routes = []
                self._routes[at : at + 1] = routes
            self._groups = self._arranged()

    def _current(self) -> _Groups:
        """The groups, made again when routes were added since (a test or plugin adding one late)."""
        groups = self._groups
        if groups.built_for != len(self._routes):
            with self._building:
                groups = self._groups = self._arranged()
        return groups

    def _arranged(self) -> _Groups:
        deferred: dict[str, list[DeferredRoutes]] = {}
        segments = []
        for route in self._routes:
            if isinstance(route, DeferredRoutes):
                for segment in route.on_demand.segments:
                    deferred.setdefault(segment, []).append(route)
            elif route is not self:
                segments.append((route, _route_segment(route)))
        by_segment: dict[str, list[BaseRoute]] = {first: [] for _, first in segments if first is not None}
        for route, first in segments:  # in the routes' own order, so precedence is kept
            for group in by_segment.values() if first is None else (by_segment[first],):
                group.append(route)
        anywhere = [route for route, first in segments if first is None]
        return _Groups(len(self._routes), by_segment, anywhere, deferred)


def every_route(app: Starlette) -> list[BaseRoute]:
    """The app's routes with every deferred one built: for the API's schema and the routes table."""
    routes = app.router.routes
    deferred = [route for route in routes if isinstance(route, DeferredRoutes)]
    if deferred:
        index = next(route for route in routes if isinstance(route, RouteIndex))
        index.build_deferred(deferred)
    return routes
