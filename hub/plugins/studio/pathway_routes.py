"""Tutor pages for learning pathways (/tutor/pathways): create, order, remove."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import pathways
from hub.access import TUTOR
from hub.deps import Db, HubDep
from hub.home import Hub
from hub.i18n import gettext
from hub.pages import render
from hub.pathways import PathwayError

router = APIRouter(tags=["pathway pages"], include_in_schema=False)
BASE = "/tutor/pathways"


def _page(request: Request, hub: Hub, status_code: int = 200, **extra: object) -> HTMLResponse:
    titles = {c.id: c for c in hub.courses()}
    context = {"error": None, "title": "", **extra}
    return render(
        request, "pathways.html", status_code=status_code, pathways=pathways.list_pathways(hub.db),
        courses=titles, **context,
    )  # fmt: skip


@router.get(BASE, response_class=HTMLResponse, dependencies=[TUTOR])
def pathway_list(request: Request, hub: HubDep) -> HTMLResponse:
    return _page(request, hub)


@router.post(BASE, response_class=HTMLResponse, dependencies=[TUTOR])
async def create(request: Request, hub: HubDep) -> Response:
    title = str((await request.form()).get("title") or "")
    try:
        pathway_id = pathways.create_pathway(hub.db, title)
    except PathwayError as error:
        return _page(request, hub, 400, error=error.translated(), title=title)
    return RedirectResponse(f"{BASE}#pathway-{pathway_id}", status_code=303)


def _change(
    request: Request, hub: Hub, pathway_id: int, action: str, course_id: str = "", text: str = ""
) -> Response:
    if pathways.get_pathway(hub.db, pathway_id) is None:
        return render(
            request, "not_found.html", status_code=404, message=gettext("There is no such pathway.")
        )
    try:
        if action == "add":
            pathways.add_course(hub.db, pathway_id, course_id)
        elif action == "rename":
            pathways.rename_pathway(hub.db, pathway_id, text)
        elif action in ("up", "down"):
            pathways.move_course(hub.db, pathway_id, course_id, -1 if action == "up" else 1)
        elif action == "remove":
            pathways.remove_course(hub.db, pathway_id, course_id)
        else:
            pathways.delete_pathway(hub.db, pathway_id)
            return RedirectResponse(BASE, status_code=303)
    except PathwayError as error:
        return _page(request, hub, 400, error=error.translated())
    return RedirectResponse(f"{BASE}#pathway-{pathway_id}", status_code=303)


@router.post(f"{BASE}/{{pathway_id}}", response_class=HTMLResponse, dependencies=[TUTOR])
async def change(request: Request, pathway_id: int, hub: HubDep) -> Response:
    """One change to a pathway, named by the button pressed (`action`)."""
    form = await request.form()
    action = str(form.get("action") or "")
    return _change(
        request, hub, pathway_id, action, str(form.get("course_id") or ""), str(form.get("title") or "")
    )


@router.post(f"{BASE}/{{pathway_id}}/delete", dependencies=[TUTOR])
def delete(request: Request, pathway_id: int, hub: HubDep, db: Db) -> Response:
    return _change(request, hub, pathway_id, "delete")
