"""Built-in plugin: "Keep this course": a booklet (PDF), the audio files and a Kiwix (ZIM) file of a
course, a ZIM of a pathway or the whole library (hub/keep/), made by background jobs and kept as blobs
per course version; `hub content zim OUT.zim` writes the library's from the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from hub.home import Hub
    from hub.jobs import JobFunction


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("keep",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.keep import routes

    return [routes.router]


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    from hub.keep import making

    return {making.KIND: making.run}


@hookimpl
def hub_startup(hub: Hub) -> None:
    from hub.keep import store

    store.forget_stale(hub.db, hub.blobs)


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub.plugins.keep import commands

    commands.register()
