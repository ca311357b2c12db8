"""/admin/library: what the courses take on disk, removing one, and what comes from the centre."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import library_choice, library_keep
from hub.access import ADMIN
from hub.catalogue import page_number
from hub.deps import HubDep
from hub.home import Hub
from hub.i18n import gettext
from hub.pages import render
from hub.topics import topic_label

router = APIRouter(tags=["admin pages"], include_in_schema=False)


def library_page(request: Request, hub: Hub, status_code: int = 200, **extra: object) -> HTMLResponse:
    page = page_number(request.query_params.get("page"))
    view = library_keep.storage(hub.db, hub.home, page)
    context = {"removed": None, "error": None, **extra}
    return render(request, "library.html", status_code=status_code, view=view, **context)


@router.get("/admin/library", response_class=HTMLResponse, dependencies=[ADMIN])
def library(request: Request, hub: HubDep) -> HTMLResponse:
    """Every course with its size (media other courses share counted once, and shown as shared)."""
    return library_page(request, hub)


def _no_such_course(request: Request) -> HTMLResponse:
    message = gettext("There is no such course on this hub.")
    return render(request, "not_found.html", status_code=404, message=message)


@router.get("/admin/library/{course_id}/remove", response_class=HTMLResponse, dependencies=[ADMIN])
def confirm_removal(request: Request, hub: HubDep, course_id: str) -> HTMLResponse:
    """What removing the course would free, and what stays, before anything happens."""
    plan = library_keep.removal_plan(hub.db, course_id)
    if plan is None:
        return _no_such_course(request)
    return render(request, "library_remove.html", plan=plan)


@router.post("/admin/library/{course_id}/remove", response_class=HTMLResponse, dependencies=[ADMIN])
def remove(request: Request, hub: HubDep, course_id: str) -> HTMLResponse:
    """Remove the course; a sync does not bring it back unless the admin chooses it again."""
    removed = library_keep.remove_course(hub.db, hub.blobs, course_id)
    if removed is None:
        return _no_such_course(request)
    library_choice.decline(hub, course_id)
    library_keep.refresh_search(hub)
    return library_page(request, hub, removed=removed)


# Choosing what comes from the centre ---------------------------------------------------------


def centre_page(request: Request, hub: Hub, status_code: int = 200, **extra: object) -> HTMLResponse:
    seen = library_choice.seen_catalog(hub)
    choice = library_choice.load_choice(hub)
    offers = library_choice.offered(hub, seen, choice)
    _, free = library_keep.disk_space(hub.home)
    languages = sorted({o.course.language.split("-")[0] for o in offers})
    topics = sorted({t for o in offers for t in o.course.topics}, key=topic_label)
    sizes = {o.course.id: o.course.bytes or 0 for o in offers}
    coming = library_choice.coming_bytes(offers)
    too_big = bool(coming) and library_keep.room_refusal("", coming, free) is not None
    pathway_bytes = {p.id: sum(sizes.get(c, 0) for c in p.courses) for p in seen.pathways}
    return render(
        request, "library_centre.html", status_code=status_code, seen=seen, choice=choice, offers=offers,
        free=free, coming=coming, too_big=too_big, centre_languages=languages, topics=topics,
        topic_label=topic_label, pathway_bytes=pathway_bytes, **extra,
    )  # fmt: skip


@router.get("/admin/library/centre", response_class=HTMLResponse, dependencies=[ADMIN])
def centre(request: Request, hub: HubDep) -> HTMLResponse:
    """The centre's courses and pathways, each with its size against free disk; what the hub takes."""
    return centre_page(request, hub, saved=request.query_params.get("saved") == "1")


@router.post("/admin/library/centre", dependencies=[ADMIN])
async def choose(request: Request, hub: HubDep) -> Response:
    """Keep the admin's choice; the next sync brings what it wants and leaves the rest listed."""
    form = await request.form()
    seen = library_choice.seen_catalog(hub)
    known_courses = {c.id for c in seen.courses}
    known_pathways = {p.id for p in seen.pathways}
    languages = {c.language.split("-")[0] for c in seen.courses}
    topics = {t for c in seen.courses for t in c.topics}
    courses = tuple(sorted({str(c) for c in form.getlist("courses")} & known_courses))
    before = library_choice.load_choice(hub)
    choice = library_choice.Choice(
        everything=form.get("everything") == "on",
        languages=tuple(sorted({str(v) for v in form.getlist("languages")} & languages)),
        topics=tuple(sorted({str(v) for v in form.getlist("topics")} & topics)),
        courses=courses,
        pathways=tuple(sorted({str(p) for p in form.getlist("pathways")} & known_pathways)),
        declined=tuple(
            c for c in before.declined if c not in courses
        ),  # ticking a removed course asks for it again
    )
    library_choice.save_choice(hub, choice)
    return RedirectResponse("/admin/library/centre?saved=1", status_code=303)
