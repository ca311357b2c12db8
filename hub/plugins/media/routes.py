"""Serving lesson files by hash: the route and the headers every lesson file gets."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from hub.access import ANYONE
from hub.deps import HubDep
from hub.home import Hub
from hub.library import file_info
from hub.nginx import accel_location

router = APIRouter(tags=["media"])
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMMUTABLE = "public, max-age=31536000, immutable"

# A file's type comes from whoever made the package, so only types a browser displays without
# running anything are served as they are; anything else (HTML, scripts, unknown) downloads as
# bytes. Every file, a PDF too, also carries a sandbox policy without allow-scripts, so even an
# SVG or a PDF opened on its own cannot run script on the hub's origin (Chromium still shows a
# sandboxed PDF). A browser's PDF viewer runs the PDF's own JavaScript whatever the policy says,
# so the hub keeps no PDF that holds any (content/pdfcheck.py, checked at import).
_DISPLAYED = re.compile(r"^(video|audio)/[\w.+-]+$|^image/(png|jpeg|gif|webp|avif|svg\+xml)$|^text/vtt$")
_PDF = "application/pdf"
SANDBOX = (
    "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def file_headers(media_type: str, name: str, *, download: bool = False) -> tuple[str, dict[str, str]]:
    """The type to send and the headers for a lesson file a package or a tutor provided."""
    media_type = media_type.split(";")[0].strip().lower()
    shown = media_type == _PDF or bool(_DISPLAYED.match(media_type))
    headers = {
        "Content-Disposition": f"{'inline' if shown and not download else 'attachment'};"
        f" filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
    }
    return (media_type if shown else "application/octet-stream"), headers


def stored_file(hub: Hub, sha256: str) -> tuple[int, str, str] | None:
    """(size, media type, name) of a blob this hub holds, from a hash a URL gave; None otherwise.

    The pattern check comes first: the hash becomes a path in the blob store."""
    info = file_info(hub.db, sha256) if _SHA256.match(sha256) else None
    return info if info is not None and hub.blobs.has(sha256) else None


@router.get("/media/{sha256}/{name}", dependencies=[ANYONE])
def media(request: Request, sha256: str, name: str, hub: HubDep, download: bool = False) -> Response:
    info = stored_file(hub, sha256)
    if info is None:
        raise HTTPException(404, "No such file on this hub.")
    etag = f'"{sha256}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    _, stored_type, stored_name = info
    media_type, headers = file_headers(stored_type, stored_name, download=download)
    headers |= {"ETag": etag, "Cache-Control": IMMUTABLE}
    if accel := accel_location(sha256):  # nginx in front sends the bytes (hub/nginx.py)
        return Response(media_type=media_type, headers=headers | {"X-Accel-Redirect": accel})
    return FileResponse(hub.blobs.path(sha256), media_type=media_type, headers=headers)
