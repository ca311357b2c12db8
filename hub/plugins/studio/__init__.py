"""Built-in plugin: the tutor's authoring studio, video renditions, and learning pathways.

Tutors write courses in the browser as drafts (author folders under HUB_HOME/drafts/), preview
them as a resident would, and publish them as the next version of the course. Uploaded videos
get a small rendition and a poster from the background job "transcode".
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from hub.home import Hub
from hub.hookspecs import hookimpl
from hub.i18n import gettext
from hub.jobs import JobFunction
from hub.learners import Learner, Role
from hub.nav import NavItem
from hub.plugins.studio import pathway_routes, routes, transcode


@hookimpl
def hub_routers(hub: Hub) -> list[APIRouter]:
    return [routes.router, pathway_routes.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    learner: Learner | None = getattr(request.state, "learner", None)
    if learner is None or learner.effective_role.rank < Role.TUTOR.rank:
        return []
    return [NavItem(routes.BASE, gettext("Studio"), 45)]


@hookimpl
def hub_startup(hub: Hub) -> None:
    from hub.plugins.studio import drafts

    drafts.recover_interrupted_publishing(hub)


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    return {transcode.KIND: transcode.run}
