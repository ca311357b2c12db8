"""Built-in plugin: the pages residents use to find courses, learn and keep their progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext
from hub.nav import NavItem

if TYPE_CHECKING:
    from fastapi import APIRouter, Request

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("", "courses", "language", "me", "signin", "signout"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.resident import learning, profile

    return [learning.router, profile.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    return [
        NavItem("/", gettext("Home"), 10),
        NavItem("/courses", gettext("Courses"), 20),
        NavItem("/me", gettext("My learning"), 30),
    ]


@hookimpl
def hub_lesson_viewers() -> dict[str, str]:
    kinds = ("article", "video", "audio", "pdf", "images", "quiz")
    return {kind: f"lessons/{kind}.html" for kind in kinds}
