"""The offline app's routes: its worker and manifest, the plan of a course, and its two pages."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

import hub as hub_package
from hub import retractions
from hub.access import ANYONE
from hub.catalogue import page_number, page_of
from hub.deps import HubDep
from hub.home import Hub
from hub.pages import render
from hub.plugins.offline import is_secure
from hub.plugins.offline.plan import Plan, plan_for

router = APIRouter(tags=["offline app"], include_in_schema=False)
STATIC = Path(__file__).parent / "static"
COURSES_CACHE = "commons-hub-courses-v1"  # saved courses; its own version, so a hub update keeps them
NO_STORE = {"Cache-Control": "no-cache"}
SAVABLE_PAGE_SIZE = 20


def offline_plan(request: Request, course_id: str) -> Plan | None:
    """What saving a course takes (for keep_offline_app.html); None when it cannot be saved."""
    return _plan(request.app.state.hub, course_id)


def _plan(hub_: Hub, course_id: str) -> Plan | None:
    detail = hub_.course(course_id)
    if detail is None or retractions.notice(hub_.db, course_id):
        return None
    return plan_for(detail)


@cache
def _worker_source() -> str:
    return (STATIC / "worker.js").read_text(encoding="utf-8")


def shell_urls(request: Request) -> list[str]:
    """What the worker keeps from its install on: the pages and files any saved page needs."""
    static_url = request.app.state.templates.globals["static_url"]
    return ["/offline", "/offline/kept", static_url("hub", "style.css"), static_url("offline", "store.js"),
            static_url("offline", "offline.js"), static_url("offline", "icon.svg")]  # fmt: skip


@router.get("/sw.js", dependencies=[ANYONE])
def worker(request: Request) -> Response:
    """The service worker, at the root so its scope is the whole hub. Its caches are named with
    the hub's version and a hash of what it keeps, so a new hub version's worker replaces them."""
    shell = shell_urls(request)
    source = _worker_source()
    digest = hashlib.sha256("\n".join([source, *shell]).encode()).hexdigest()[:10]
    static_url = request.app.state.templates.globals["static_url"]
    script = (
        source.replace("__VERSION__", f"{hub_package.__version__}-{digest}")
        .replace("__COURSES__", COURSES_CACHE)
        .replace("__SHELL_URLS__", json.dumps(shell))
        .replace("__STORE__", static_url("offline", "store.js"))
    )
    headers = {**NO_STORE, "Service-Worker-Allowed": "/"}
    return Response(script, media_type="text/javascript", headers=headers)


@router.get("/manifest.webmanifest", dependencies=[ANYONE])
def manifest(request: Request) -> Response:
    """The web app manifest: the hub's name, its icon, and that it opens like an app."""
    static_url = request.app.state.templates.globals["static_url"]
    language = request.scope.get("state", {}).get("language", "en")
    body = {
        "name": request.app.state.hub_name, "short_name": request.app.state.hub_name[:12],
        "start_url": "/", "scope": "/", "display": "standalone", "lang": language,
        "dir": "rtl" if language == "ar" else "ltr", "background_color": "#ffffff", "theme_color": "#1d5c4d",
        "icons": [{"src": static_url("offline", "icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }  # fmt: skip
    return JSONResponse(body, media_type="application/manifest+json", headers=NO_STORE)


@router.get("/api/v1/offline/courses/{course_id}", dependencies=[ANYONE])
def course_plan(course_id: str, hub: HubDep) -> dict[str, object]:
    """The addresses a phone keeps to open a course away from the hub, with their sizes."""
    if retractions.notice(hub.db, course_id):
        raise HTTPException(410, "This course was withdrawn by its publisher.")
    plan = _plan(hub, course_id)
    if plan is None:
        raise HTTPException(404, "There is no such course on this hub.")
    return {**plan.as_json(), "cache": COURSES_CACHE}


@router.get("/offline", response_class=HTMLResponse, dependencies=[ANYONE])
def on_this_phone(request: Request, hub: HubDep, page: str = "") -> HTMLResponse:
    """Courses saved on this phone, and the courses in the resident's language she may save,
    SAVABLE_PAGE_SIZE a page (each card works out what saving its course takes)."""
    language = request.scope.get("state", {}).get("language", "en")
    catalogue = hub.catalogue()
    shown = page_of(catalogue.chosen(language) or catalogue.cards, page_number(page), SAVABLE_PAGE_SIZE)
    return render(request, "offline.html", courses=shown.cards, shown=shown, secure=is_secure(request))


@router.get("/offline/kept", response_class=HTMLResponse, dependencies=[ANYONE])
def kept(request: Request) -> HTMLResponse:
    """What the phone shows after an answer made away from the hub was kept for later."""
    return render(request, "offline_kept.html")
