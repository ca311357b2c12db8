"""What a phone on a slow Wi-Fi does not have to fetch twice.

- Pages answer `HEAD` like `GET` (without the body) and carry a weak ETag of their HTML, with
  `Cache-Control: private, no-cache`: the phone asks again each time (a page shows progress and
  the language chosen) and gets `304 Not Modified`, no body, when nothing changed.
- Static files are linked under content-hashed names (`style.3f2a9c1d0b.css`, see `static_url`)
  and cached for a year; the plain name still works and is revalidated each time.
- Responses are compressed (gzip) except media, archives and partial (Range) answers, which
  Starlette's GZipMiddleware already leaves alone; PDFs and raw blobs are left alone too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PAGE_CACHE = "private, no-cache"
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf", "application/octet-stream")
HASH_LENGTH = 10
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[A-Za-z0-9]+)$")
_hashes: dict[tuple[Path, int, int], str] = {}


def file_hash(path: Path) -> str:
    """The first characters of a file's SHA-256, remembered while its size and time stay the same."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _hashes:
        _hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
    return _hashes[key]


def hashed_name(name: str, digest: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


class HashedStaticFiles(StaticFiles):
    """StaticFiles that also answers `name.<hash>.ext`, cached for a year when the hash is current."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        match = _HASHED.match(path)
        if match is None:
            response = await super().get_response(path, scope)
            response.headers.setdefault("cache-control", REVALIDATE)
            return response
        plain = match["stem"] + match["suffix"]
        response = await super().get_response(plain, scope)
        full_path, _ = self.lookup_path(plain)
        current = full_path is not None and file_hash(Path(full_path)) == match["hash"]
        response.headers["cache-control"] = YEAR if current else REVALIDATE
        return response


class StaticUrls:
    """`static_url("hub", "style.css")` in templates: the address with the file's content hash.

    Each address is worked out once: static files are the installed package's and do not change
    under a running hub (a new version comes with a restart). Looking at the files for every link
    of every page was 3 % of a lesson view.
    """

    def __init__(self) -> None:
        self.folders: dict[str, Path] = {}
        self._urls: dict[tuple[str, str], str] = {}

    def __call__(self, mount: str, name: str) -> str:
        url = self._urls.get((mount, name))
        if url is None:
            url = self._urls[mount, name] = self._url(mount, name)
        return url

    def _url(self, mount: str, name: str) -> str:
        folder = self.folders.get(mount)
        if folder is None or not (folder / name).is_file():
            return f"/static/{mount}/{name}"
        return f"/static/{mount}/{hashed_name(name, file_hash(folder / name))}"


class PageCacheMiddleware:
    """HEAD answered as GET without the body; HTML pages get an ETag and a 304 when unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        asked = Headers(scope=scope).get("if-none-match", "")
        start: Message | None = None
        body: list[bytes] = []

        async def respond(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                is_page = (
                    message["status"] == 200
                    and headers.get("content-type", "").startswith("text/html")
                    and "etag" not in headers
                    and "cache-control" not in headers
                )
                if is_page:
                    start = message  # held until the whole page is known
                    return
                await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                if not head:
                    await send(message)
                elif not message.get("more_body", False):  # HEAD: the headers and an empty body
                    await send({**message, "body": b""})
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_page(send, start, b"".join(body), asked, head)

        await self.app(scope, receive, respond)


async def _send_page(send: Send, start: Message, page: bytes, asked: str, head: bool) -> None:
    etag = 'W/"' + hashlib.sha256(page).hexdigest()[:20] + '"'
    headers = MutableHeaders(raw=list(start.get("headers", [])))
    headers["etag"] = etag
    headers["cache-control"] = PAGE_CACHE
    if etag in (tag.strip() for tag in asked.split(",")):
        del headers["content-length"]
        await send({**start, "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": b"" if head else page})
