"""Built-in plugin: lesson files, served by hash with Range, ETag and long cache headers.

A content-addressed file never changes, so browsers may keep it for a year.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from hub.access import ANYONE
from hub.deps import HubDep
from hub.home import Hub
from hub.hookspecs import hookimpl
from hub.library import file_info

router = APIRouter(tags=["media"])
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMMUTABLE = "public, max-age=31536000, immutable"


@router.get("/media/{sha256}/{name}", dependencies=[ANYONE])
def media(request: Request, sha256: str, name: str, hub: HubDep, download: bool = False) -> Response:
    info = file_info(hub.db, sha256) if _SHA256.match(sha256) else None
    if info is None or not hub.blobs.has(sha256):
        raise HTTPException(404, "No such file on this hub.")
    etag = f'"{sha256}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    _, media_type, stored_name = info
    disposition = "attachment" if download else "inline"
    return FileResponse(
        hub.blobs.path(sha256),
        media_type=media_type,
        headers={
            "ETag": etag,
            "Cache-Control": IMMUTABLE,
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored_name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@hookimpl
def hub_routers(hub: Hub) -> list[APIRouter]:
    return [router]
