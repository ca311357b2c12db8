"""Interface languages an admin adds from the browser (/admin/languages): hub/interface_languages.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import interface_languages as added_languages
from hub import po_files
from hub.access import ADMIN
from hub.deps import HubDep
from hub.i18n import available_languages
from hub.learners import LearnerError
from hub.pages import render

router = APIRouter(tags=["admin pages"], include_in_schema=False)
PER_PAGE = 25
PO_MEDIA = "text/x-gettext-translation; charset=utf-8"


def _list_page(request: Request, hub: HubDep, status_code: int = 200, **extra: object) -> HTMLResponse:
    context = {"error": None, "form": {}, **extra}
    return render(
        request, "added_languages.html", status_code=status_code, added=added_languages.languages(hub.db),
        shipped=available_languages(), **context,
    )  # fmt: skip


@router.get("/admin/languages", response_class=HTMLResponse, dependencies=[ADMIN])
def languages_page(request: Request, hub: HubDep) -> HTMLResponse:
    return _list_page(request, hub)


@router.get("/admin/languages/template.pot", dependencies=[ADMIN])
def template_file() -> Response:
    """The template a translator fills in (any .po editor reads it)."""
    return Response(
        po_files.template_bytes(), media_type=PO_MEDIA,
        headers={"Content-Disposition": 'attachment; filename="commons-hub.pot"'},
    )  # fmt: skip


@router.post("/admin/languages", response_class=HTMLResponse, dependencies=[ADMIN])
def add_language(
    request: Request,
    hub: HubDep,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    fallback: Annotated[str, Form()] = "en",
) -> Response:
    try:
        added = added_languages.add(hub, code, name, fallback)
    except LearnerError as error:
        form = {"code": code, "name": name, "fallback": fallback}
        return _list_page(request, hub, 400, error=error.translated(), form=form)
    return RedirectResponse(f"/admin/languages/{added.code}", status_code=303)


def _language_page(
    request: Request, hub: HubDep, code: str, status_code: int = 200, **extra: object
) -> HTMLResponse:
    try:
        added = added_languages.language(hub.db, code)
    except LearnerError as error:
        return render(request, "not_found.html", status_code=404, message=error.translated())
    context = {"error": None, "uploaded": None, "saved": False, **extra}
    return render(
        request,
        "added_language.html",
        status_code=status_code,
        added=added,
        shipped=available_languages(),
        **context,
    )


@router.get("/admin/languages/{code}", response_class=HTMLResponse, dependencies=[ADMIN])
def language_page(request: Request, hub: HubDep, code: str) -> HTMLResponse:
    return _language_page(request, hub, code)


@router.post("/admin/languages/{code}", response_class=HTMLResponse, dependencies=[ADMIN])
def change_language(
    request: Request,
    hub: HubDep,
    code: str,
    name: Annotated[str, Form()] = "",
    fallback: Annotated[str, Form()] = "en",
    enabled: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Rename it, choose its fallback, switch it on or off."""
    try:
        added_languages.change(hub, code, name, fallback, enabled == "on")
    except LearnerError as error:
        return _language_page(request, hub, code, 400, error=error.translated())
    return _language_page(request, hub, code, saved=True)


@router.post("/admin/languages/{code}/upload", response_class=HTMLResponse, dependencies=[ADMIN])
async def upload_po(
    request: Request, hub: HubDep, code: str, po_file: Annotated[UploadFile | None, File()] = None
) -> HTMLResponse:
    """Replace the translations with a filled-in .po file, if all of it checks out."""
    data = await po_file.read(po_files.MAX_PO_BYTES + 1) if po_file is not None else b""
    try:
        checked = added_languages.upload(hub, code, data)
    except LearnerError as error:
        return _language_page(request, hub, code, 400, error=error.translated())
    return _language_page(request, hub, code, uploaded=checked)


@router.get("/admin/languages/{code}/messages.po", dependencies=[ADMIN])
def download_po(request: Request, hub: HubDep, code: str) -> Response:
    try:
        po = added_languages.po_of(hub.db, code)
    except LearnerError as error:
        return render(request, "not_found.html", status_code=404, message=error.translated())
    return Response(
        po, media_type=PO_MEDIA, headers={"Content-Disposition": f'attachment; filename="{code}.po"'}
    )


def _strings(hub: HubDep, code: str, page: int, untranslated: bool) -> tuple[list[dict[str, object]], int]:
    """The template's messages of one page, each with its index, English and translation."""
    catalog = po_files.stored(added_languages.po_of(hub.db, code))
    translations = {m.id: m.string for m in catalog if m.id}
    plurals = catalog.num_plurals
    rows = []
    for index, message in enumerate(m for m in po_files.template() if m.id):
        plural = isinstance(message.id, (tuple, list))
        current = translations.get(message.id, ("",) * plurals if plural else "")
        if untranslated and (all(current) if plural else current):
            continue
        forms = list(current) if plural else [current]
        rows.append({"index": index, "id": message.id, "plural": plural, "forms": forms})
    pages = max(1, -(-len(rows) // PER_PAGE))
    return rows[(page - 1) * PER_PAGE : page * PER_PAGE], pages


@router.get("/admin/languages/{code}/strings", response_class=HTMLResponse, dependencies=[ADMIN])
def strings_page(
    request: Request, hub: HubDep, code: str, page: int = 1, untranslated: bool = False, saved: bool = False
) -> HTMLResponse:
    """The strings to translate, the English beside each, a page at a time."""
    try:
        added = added_languages.language(hub.db, code)
    except LearnerError as error:
        return render(request, "not_found.html", status_code=404, message=error.translated())
    rows, pages = _strings(hub, code, max(page, 1), untranslated)
    return render(
        request, "added_language_strings.html", added=added, rows=rows, page=min(max(page, 1), pages),
        pages=pages, untranslated=untranslated, saved=saved, error=None,
    )  # fmt: skip


@router.post("/admin/languages/{code}/strings", response_class=HTMLResponse, dependencies=[ADMIN])
async def save_strings(request: Request, hub: HubDep, code: str) -> Response:
    form = await request.form()
    page = int(str(form.get("page") or 1)) if str(form.get("page") or "1").isdigit() else 1
    untranslated = form.get("untranslated") == "1"
    messages = [m for m in po_files.template() if m.id]
    changes: dict[str | tuple[str, ...], str | tuple[str, ...]] = {}
    for index, message in enumerate(messages):
        if isinstance(message.id, (tuple, list)):
            forms = form.getlist(f"s-{index}")
            if forms:
                changes[message.id] = tuple(str(f).strip() for f in forms)
        elif f"s-{index}" in form:
            changes[message.id] = str(form.get(f"s-{index}") or "").strip()
    try:
        added_languages.translate(hub, code, changes)
    except LearnerError as error:
        try:
            added = added_languages.language(hub.db, code)
        except LearnerError:
            return render(request, "not_found.html", status_code=404, message=error.translated())
        rows, pages = _strings(hub, code, page, untranslated)
        for row in rows:  # what was typed stays in the boxes, to be corrected
            typed = [str(value) for value in form.getlist(f"s-{row['index']}")]
            if typed:
                row["forms"] = typed
        return render(
            request, "added_language_strings.html", status_code=400, added=added, rows=rows, page=page,
            pages=pages, untranslated=untranslated, saved=False, error=error.translated(),
        )  # fmt: skip
    query = f"page={page}&saved=1" + ("&untranslated=1" if untranslated else "")
    return RedirectResponse(f"/admin/languages/{code}/strings?{query}", status_code=303)
