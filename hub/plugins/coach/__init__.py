"""Built-in plugin: coaching — classes, their learners and sign-in cards, assignments, class quizzes,
and "For you" on a learner's home page (hub/coaching holds the rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext
from hub.learners import Learner, Role
from hub.nav import NavItem

if TYPE_CHECKING:
    from fastapi import APIRouter, Request

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("classes", "me", "tutor"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.coach import assigning, classes, reports, roster, taking

    return [classes.router, roster.router, assigning.router, taking.router, reports.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    learner: Learner | None = getattr(request.state, "learner", None)
    if learner is not None and learner.effective_role.rank >= Role.TUTOR.rank:
        return [NavItem("/tutor/classes", gettext("Classes"), 35)]
    return []


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.coaching.for_you import due_day, next_for_you

    return {"next_for_you": next_for_you, "due_day": due_day}
