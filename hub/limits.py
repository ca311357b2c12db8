"""How big a request body each route may send, refused before any of it is read.

Every body is bounded: DEFAULT_BODY_LIMIT for forms and JSON, BODY_LIMITS for the routes that
take more (uploads, a page of sync changes). A body announced as bigger (Content-Length) is
answered 413 before the hub reads a byte of it; a body without a length (chunked) is counted
as it arrives and refused the moment it passes the limit. So one request can never make the
hub hold more than its route's limit in memory, whatever the route does with it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import Message, Receive, Scope, Send

from hub.deps import HttpMiddleware
from hub.i18n import N_, gettext
from hub.pages import render
from sync import protocol

KB, MB, GB = 1024, 1024**2, 1024**3
DEFAULT_BODY_LIMIT = 64 * KB
FORM_SLACK = MB  # the other fields and multipart boundaries around an uploaded file
STUDIO_UPLOAD = GB + FORM_SLACK  # hub/plugins/studio/drafts.py MAX_UPLOAD_BYTES, plus the form
IMPORT_UPLOAD = 4 * GB + FORM_SLACK  # hub/plugins/imports/routes.py MAX_UPLOAD_BYTES, plus the form
STUDIO_TEXT = 4 * MB  # a lesson's text (200,000 characters), percent-encoded

_LESSON = "/tutor/studio/drafts/{course_id}/lessons/{lesson_id}"

# Route path (as the route declares it) → the most bytes its request body may have.
BODY_LIMITS: dict[str, int] = {
    f"{protocol.API}/progress/push": protocol.MAX_PAGE_BYTES,  # one page of changes, gzip-compressed
    f"{protocol.API}/progress/pull": protocol.MAX_PAGE_BYTES,  # a knowledge vector, which grows with hubs
    f"{protocol.API}/enroll": protocol.MAX_REQUEST_BYTES,
    "/tutor/import/upload": IMPORT_UPLOAD,
    "/admin/languages/{code}/upload": 4 * MB + FORM_SLACK,  # hub/po_files.py MAX_PO_BYTES, plus the form
    "/tutor/studio/new": STUDIO_UPLOAD,
    "/tutor/studio/drafts/{course_id}": STUDIO_UPLOAD,
    _LESSON: STUDIO_UPLOAD,
    f"{_LESSON}/images": STUDIO_UPLOAD,
    f"{_LESSON}/captions": STUDIO_UPLOAD,
    f"{_LESSON}/questions": STUDIO_TEXT,
    "/tutor/studio/preview": STUDIO_TEXT,
    # A class list (hub/coaching/bulk.py reads at most 256 KB of it): a bigger file still gets there,
    # to be told how many names a batch may have rather than only a size.
    "/tutor/classes/{class_id}/learners/new": 8 * MB,
}

_PATTERNS = [(compile_path(path)[0], limit) for path, limit in BODY_LIMITS.items() if "{" in path]


def body_limit(path: str) -> int:
    """The most bytes a request to `path` may send."""
    exact = BODY_LIMITS.get(path)
    if exact is not None:
        return exact
    return next((limit for pattern, limit in _PATTERNS if pattern.match(path)), DEFAULT_BODY_LIMIT)


TOO_LARGE = N_("This request is larger than the hub accepts here (at most %(size)s).")


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (413); raised while the body is being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, TOO_LARGE % {"size": _size(limit)})
        self.limit = limit


def _size(count: int) -> str:
    """The limit in plain units, without hub.i18n.file_size: that loads Babel's locale data (about
    5 MB), which a refusal meant to keep memory down should not pull in."""
    return f"{count // MB} MB" if count >= MB else f"{count // KB} KB"


def too_large(request: Request, error: Exception) -> Response:
    """413 as JSON for the API and sync, as a page for people."""
    assert isinstance(error, BodyTooLarge)
    message = gettext(TOO_LARGE) % {"size": _size(error.limit)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=413, headers={"connection": "close"})
    response = render(request, "denied.html", status_code=413, message=message, sign_in=False)
    response.headers["connection"] = "close"
    return response


class BodyLimitMiddleware(HttpMiddleware):
    """Bounds every HTTP request body by its route's limit (pure ASGI: nothing is buffered here)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:  # the server refuses a malformed length itself
            await too_large(Request(scope), BodyTooLarge(limit))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)  # the app's handler for BodyTooLarge answers 413
