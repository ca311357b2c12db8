"""Built-in plugin: the tutor's authoring studio, video renditions, and learning pathways.

Tutors write courses in the browser as drafts (author folders under HUB_HOME/drafts/), preview
them as a resident would, and publish them as the next version of the course. Uploaded videos
get a small rendition and a poster from the background job "transcode".

Like every built-in plugin, it imports its routes (and FastAPI) inside the hooks, so the `hub`
command line, which loads every plugin to collect their commands, starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext
from hub.learners import Learner, Role
from hub.nav import NavItem

if TYPE_CHECKING:
    from fastapi import APIRouter, Request

    from hub.home import Hub
    from hub.jobs import JobFunction

STUDIO = "/tutor/studio"  # where the studio's pages live


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("tutor",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.studio import item_routes, pathway_routes, routes, translate_routes

    return [routes.router, item_routes.router, pathway_routes.router, translate_routes.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    learner: Learner | None = getattr(request.state, "learner", None)
    if learner is None or learner.effective_role.rank < Role.TUTOR.rank:
        return []
    return [NavItem(STUDIO, gettext("Studio"), 45)]


@hookimpl
def hub_startup(hub: Hub) -> None:
    from hub.plugins.studio import drafts

    drafts.recover_interrupted_publishing(hub)


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    from hub.plugins.studio import transcode

    return {transcode.KIND: transcode.run}
