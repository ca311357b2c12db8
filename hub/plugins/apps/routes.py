"""Serving an HTML5 app's files from its zip: /apps/<hash>/<path>, each with the app's sandbox.

`OpenZips` and `zip_file` serve H5P activities' files too (hub/plugins/h5p/routes.py)."""

from __future__ import annotations

import mimetypes
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from content.appzip import AppZip, CheckedZip
from content.errors import ContentError
from content.model import Lesson
from hub.access import ANYONE
from hub.deps import HubDep
from hub.home import Hub
from hub.i18n import gettext
from hub.pages import render
from hub.plugins.media.routes import IMMUTABLE, stored_file

router = APIRouter(tags=["apps"], include_in_schema=False)
PREFIX = "/apps"
STREAMED_BYTES = 1024 * 1024  # a file larger than this is sent in pieces, not read whole
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
}


def app_url(request: Request, lesson: Lesson) -> str | None:
    """Where an app lesson's index.html is served (the frame's address and the full-screen link);
    None while its zip is not in the hub's store (a studio draft's preview)."""
    sha256 = lesson.media[0].sha256
    return f"{PREFIX}/{sha256}/" if stored_file(request.app.state.hub, sha256) else None


def app_policy(own_folder: str) -> str:
    """The Content-Security-Policy of every file of an app served from `own_folder` (an absolute URL).

    `sandbox allow-scripts` gives the app an opaque origin (no cookies, no storage, no same-origin
    reads) and no top navigation, forms or pop-ups; everything it loads must come from its own folder;
    `connect-src 'none'` stops fetch, XMLHttpRequest, WebSocket and EventSource.
    """
    own = f"{own_folder} 'unsafe-inline'"
    return (
        "sandbox allow-scripts; "
        f"default-src 'none'; script-src {own} 'unsafe-eval'; style-src {own}; "
        f"img-src {own_folder} data: blob:; media-src {own_folder} data: blob:; font-src {own_folder} data:; "
        f"frame-src {own_folder}; connect-src 'none'; worker-src 'none'; object-src 'none'; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
    )


def media_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class OpenZips:
    """The lesson zips opened lately, kept open so a zip's list of files is read once, not per request.

    At most `size`; the oldest is closed to make room, and so is any whose blob was removed (a
    removed course's disk space comes back). Closing is safe while a file is still being sent:
    zipfile keeps the file open until its last reader is done. `opener` checks a zip as it opens
    it (AppZip for apps, H5pZip for H5P activities).
    """

    def __init__(self, opener: Callable[[Path], CheckedZip] = AppZip, size: int = 16) -> None:
        self.opener = opener
        self.size = size
        self._open: OrderedDict[Path, CheckedZip] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> CheckedZip:
        with self._lock:
            if path in self._open:
                self._open.move_to_end(path)
                return self._open[path]
        opened = self.opener(path)  # outside the lock: opening checks every member
        with self._lock:
            for gone in [p for p in self._open if not p.exists()]:
                self._open.pop(gone).close()
            if path in self._open:  # another request opened it meanwhile
                opened.close()
                return self._open[path]
            self._open[path] = opened
            while len(self._open) > self.size:
                self._open.popitem(last=False)[1].close()
            return opened

    def __len__(self) -> int:
        return len(self._open)


OPEN_APPS = OpenZips(AppZip)


@router.get(PREFIX + "/{sha256}", dependencies=[ANYONE])
def app_start(sha256: str) -> Response:
    """The app's address without its trailing slash: the app's relative links need the slash."""
    return RedirectResponse(f"{PREFIX}/{sha256}/", status_code=308)


def zip_file(
    request: Request, hub: Hub, zips: OpenZips, sha256: str, path: str, policy: str, missing: str
) -> Response:
    """A file of a lesson zip this hub holds, with `policy` as its Content-Security-Policy, or a
    404 page saying `missing` (shut in as tightly)."""
    info = stored_file(hub, sha256)
    try:
        opened = zips.get(hub.blobs.path(sha256)) if info else None  # the opener checks it again
        found = opened.find(path) if opened else None
    except ContentError:
        opened = found = None
    if opened is None or found is None:
        response = render(request, "not_found.html", status_code=404, message=missing)
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'self'"
        return response
    etag = f'"{sha256}:{found.name}"'
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Access-Control-Allow-Origin": "*",  # the zip's opaque origin loads its own modules and fonts
        "Cache-Control": IMMUTABLE,
        "ETag": etag,
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    kind = media_type(found.name)
    if found.size > STREAMED_BYTES:
        return StreamingResponse(opened.chunks(found.name), media_type=kind,
                                 headers=headers | {"Content-Length": str(found.size)})  # fmt: skip
    return Response(opened.read(found.name), media_type=kind, headers=headers)


@router.get(PREFIX + "/{sha256}/{path:path}", dependencies=[ANYONE])
def app_file(request: Request, sha256: str, path: str, hub: HubDep) -> Response:
    """A file of an HTML5 app this hub holds, sandboxed (see the plugin's docstring)."""
    policy = app_policy(f"{request.base_url}{PREFIX[1:]}/{sha256}/")
    return zip_file(
        request, hub, OPEN_APPS, sha256, path, policy, gettext("There is no such file in this app.")
    )
