"""Built-in plugin: search every course and lesson, in every language (see the hub.search package).

Adds a search box to every page's header, the page ``/search`` (works without JavaScript),
``GET /api/v1/search``, and the commands ``hub search "words"`` and ``hub search rebuild``.
When the hub starts, the index is opened (or rebuilt in the background) and a writer thread
keeps it in step with the library, including imports made from another terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.home import Hub
from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def hub_startup(hub: Hub) -> None:
    from hub.search import index_for

    index_for(hub)  # opens or rebuilds the index in its writer thread; the hub keeps serving


@hookimpl
def hub_prepare(hub: Hub) -> None:
    """Build a missing index here, so the server starts with search ready and without the
    PDF-reading libraries indexing needs (about 20 MB the serving process would keep). An index
    on disk is read back and checked once, by its writer thread while the hub already serves
    (checking it here too made every start wait as long as the library is large); one found
    damaged there is rebuilt there."""
    from hub.plugins.search import commands
    from hub.search import index_for

    index = index_for(hub, start=False)
    if not index.on_disk():
        commands.rebuild_with_progress(index, hub)


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("api", "search"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.search import routes

    return [routes.router, routes.api_router]


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub.plugins.search import commands

    cli.add_typer(commands.search_app, name="search")
