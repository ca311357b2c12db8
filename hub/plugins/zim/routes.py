"""Showing ZIM articles: the lesson viewer's article and the /zim/<hash>/<path> route."""

from __future__ import annotations

import posixpath

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from content.model import Lesson
from content.zim import ZIM_MEDIA_TYPE, ZimEntry, article_html, article_language, entry_url, read_entry
from hub.access import LEARNING
from hub.deps import HubDep
from hub.home import Hub
from hub.i18n import gettext, text_direction
from hub.nginx import behind_nginx
from hub.pages import render
from hub.plugins.media.routes import IMMUTABLE, file_headers, stored_file
from hub.plugins.zim.copies import copies_in

router = APIRouter(tags=["zim"], include_in_schema=False)
SERVED_TYPES = ("image/", "video/", "audio/", "text/vtt")  # what an article shows from its ZIM


def zim_prefix(sha256: str) -> str:
    return f"/zim/{sha256}"


def zim_entry(hub: Hub, sha256: str, entry_path: str) -> ZimEntry | None:
    """An entry of a ZIM this hub holds (by the ZIM's hash), or None."""
    info = stored_file(hub, sha256)
    if info is None or info[1] != ZIM_MEDIA_TYPE:
        return None
    return read_entry(hub.blobs.path(sha256), entry_path)


def _language(entry: ZimEntry) -> tuple[str, str]:
    """The language and direction of an article: its own <html lang dir>, else its ZIM's language."""
    language, direction = article_language(entry.content, entry.language)
    return language, direction or text_direction(language)


def lesson_html(hub: Hub, lesson: Lesson) -> str | None:
    """A zim lesson's article as safe HTML (following one redirect), or None if it is not there."""
    sha256 = lesson.media[0].sha256
    entry = zim_entry(hub, sha256, lesson.entry)
    if entry is not None and entry.redirect_to:
        entry = zim_entry(hub, sha256, entry.redirect_to)
    if entry is None or not entry.mimetype.startswith("text/html"):
        return None
    html = article_html(entry.content, entry.path, zim_prefix(sha256))
    if not entry.language and b"<html" not in entry.content[:4096].lower():
        return html
    language, direction = _language(entry)
    return str(Markup('<div lang="{}" dir="{}">').format(language, direction)) + html + "</div>"


def lesson_article(request: Request, lesson: Lesson) -> Markup:
    """The article for a zim lesson's page."""
    html = lesson_html(request.app.state.hub, lesson)
    if html is None:
        return Markup("<p>{}</p>").format(gettext("This article cannot be found in its ZIM file."))
    return Markup(html)


@router.get("/zim/{sha256}/{entry_path:path}", dependencies=[LEARNING])
def zim_page(request: Request, sha256: str, entry_path: str, hub: HubDep) -> Response:
    """An article of a stored ZIM as a page, in its own language and direction, or one of its
    images, videos, sounds or caption files (sent by nginx when the hub is behind it)."""
    copies = copies_in(hub.home) if behind_nginx() else None
    if copies and (copy := copies.known(sha256, entry_path)) and stored_file(hub, sha256):
        return _sent_by_nginx(copy.location, copy.mimetype, copy.name)
    entry = zim_entry(hub, sha256, entry_path)
    if entry is not None and entry.redirect_to:
        return RedirectResponse(entry_url(zim_prefix(sha256), entry.redirect_to), status_code=302)
    mimetype = entry.mimetype.split(";")[0].strip() if entry else ""
    if entry is not None and mimetype == "text/html":
        html = Markup(article_html(entry.content, entry.path, zim_prefix(sha256)))
        language, direction = _language(entry)
        return render(request, "zim_article.html", title=entry.title or entry.path, article=html,
                      article_lang=language, article_dir=direction)  # fmt: skip
    if entry is not None and mimetype.startswith(SERVED_TYPES):
        if copies:
            copy = copies.keep(sha256, entry_path, entry, mimetype)
            return _sent_by_nginx(copy.location, copy.mimetype, copy.name)
        media_type, headers = file_headers(mimetype, posixpath.basename(entry.path))
        return Response(entry.content, media_type=media_type, headers=headers | {"Cache-Control": IMMUTABLE})
    message = gettext("There is no such article on this hub.")
    return render(request, "not_found.html", status_code=404, message=message)


def _sent_by_nginx(location: str, mimetype: str, name: str) -> Response:
    media_type, headers = file_headers(mimetype, name)
    headers |= {"Cache-Control": IMMUTABLE, "X-Accel-Redirect": location}
    return Response(media_type=media_type, headers=headers)
