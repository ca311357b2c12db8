"""Built-in plugin: the tutor's import screen (/tutor/import), the "import" job and the jobs page."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.errors import ContentError
from content.writers import remove_abandoned
from hub import imports
from hub.hookspecs import OnDemand, hookimpl
from hub.jobs import JobError, JobFunction, Report

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub

STALE_UPLOAD_SECONDS = 24 * 3600


def _forget_upload(hub: Hub, params: dict[str, Any]) -> None:
    if params.get("upload"):
        shutil.rmtree(imports.upload_folder(hub) / params["upload"], ignore_errors=True)


def import_job(hub: Hub, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Import one source; safe to run twice (a course version replaces itself, work folders are fresh)."""
    try:
        results = imports.run_import(
            hub,
            Path(params["path"]),
            report,
            allow_unverified=bool(params.get("allow_unverified")),
            beside=bool(params.get("beside")),
        )
    except ContentError as error:
        _forget_upload(hub, params)
        raise JobError(f"{params['name']} was not imported: {error}") from None
    _forget_upload(hub, params)
    return {"courses": [{"id": r.course_id, "title": r.title, "version": r.version} for r in results]}


def clear_stale_uploads(hub: Hub) -> int:
    """Remove day-old uploads no waiting or running job needs (a preview nobody confirmed), and
    at once what a hub killed while receiving an upload left."""
    folder = imports.upload_folder(hub)
    if not folder.is_dir():
        return 0
    removed = remove_abandoned(folder / imports.INCOMING_FOLDER, hub.home, STALE_UPLOAD_SECONDS)
    wanted = {
        row[0]
        for row in hub.db.execute(
            "SELECT json_extract(params, '$.upload') FROM jobs WHERE state IN ('queued', 'running')"
        ).fetchall()
    }
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for upload in folder.iterdir():
        if upload.name not in {*wanted, imports.INCOMING_FOLDER} and upload.stat().st_mtime < cutoff:
            shutil.rmtree(upload, ignore_errors=True)
            removed += 1
    return removed


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("tutor",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.imports import routes

    return [routes.router]


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    return {"import": import_job}


@hookimpl
def hub_startup(hub: Hub) -> None:
    clear_stale_uploads(hub)
