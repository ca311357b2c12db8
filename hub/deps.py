"""Per-request dependencies, as Annotated aliases routes can declare."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlite_utils import Database
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import i18n, interface_languages, learners
from hub.home import Hub, ThreadDatabase
from hub.learners import Learner

SESSION_COOKIE = "hub_session"
CSRF_COOKIE = "hub_csrf"
DEVICE_COOKIE = "hub_device"  # which accounts signed in on this browser before (hub/sign_in_limits.py)
SESSION_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at about 400 days


# These dependencies are `async def`: FastAPI runs a plain `def` dependency in a worker thread,
# and the hops there and back cost every request (0.3 ms of a 4.1 ms lesson view). They do no
# I/O but one indexed read (the session's learner), which in WAL mode never waits for a writer.
async def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def get_db(hub: HubDep) -> Database:
    return ThreadDatabase(hub)  # type: ignore[return-value]


Db = Annotated[Database, Depends(get_db)]


async def current_learner(request: Request) -> Learner | None:
    """The learner this browser's session cookie holds, if any. (It reads the hub's database
    itself, not through `Db`: every page asks for it, and FastAPI solving two more dependencies
    for it cost more than the lookup.)"""
    token = request.cookies.get(SESSION_COOKIE)
    learner = learners.learner_for_token(request.app.state.hub.db, token) if token else None
    request.state.learner = learner
    return learner


CurrentLearner = Annotated[Learner | None, Depends(current_learner)]


def queue_cookie(
    request: Request,
    name: str,
    value: str,
    *,
    httponly: bool = True,
    max_age: int = SESSION_MAX_AGE,
    path: str = "/",
) -> None:
    """Set a cookie on whatever response this request ends with (see ResponseHeadersMiddleware)."""
    carrier = Response()
    carrier.set_cookie(
        name, value, max_age=max_age, path=path, httponly=httponly, samesite="lax",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    request.state.pending_cookies = [
        *getattr(request.state, "pending_cookies", []),
        carrier.headers["set-cookie"],
    ]


def csrf_token(request: Request) -> str:
    """This browser's CSRF token, creating it (and its cookie, readable by scripts) on first use."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.state.csrf_token = secrets.token_urlsafe(24)
        queue_cookie(request, CSRF_COOKIE, token, httponly=False)
    return token


def remember_session(request: Request, token: str) -> None:
    """Hold a session in this browser, with the CSRF token its next form or call must echo."""
    queue_cookie(request, SESSION_COOKIE, token)
    csrf_token(request)


def learner_to_keep(request: Request, db: Database, learner: Learner | None) -> Learner:
    """The current learner, or a new guest now that there is something of theirs to keep.

    Call it once the request is known to be good, just before writing: a page view, a crawler or
    a refused request never makes an account, a session or a change that every hub would sync.
    """
    if learner is not None:
        return learner
    learner, token = learners.create_guest(db)
    remember_session(request, token)
    request.state.learner = learner
    return learner


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; media-src 'self'; "
     b"object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
]  # fmt: skip


class HttpMiddleware:
    """A pure-ASGI middleware: `handle` sees each HTTP request; lifespan and the rest pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class ResponseHeadersMiddleware(HttpMiddleware):
    """Adds security headers and the cookies a request queued to every HTTP response."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookies = scope.get("state", {}).get("pending_cookies", [])
                own = message.get("headers", [])
                # A route that sets one of these itself (lesson files, HTML5 apps) keeps its own: two
                # policies both apply, and the pages' policy would stop an app's inline scripts.
                set_by_route = {name.lower() for name, _ in own}
                message["headers"] = [
                    *own,
                    *(header for header in SECURITY_HEADERS if header[0] not in set_by_route),
                    *((b"set-cookie", cookie.encode()) for cookie in cookies),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LocaleMiddleware(HttpMiddleware):
    """Sets `current_locale` for each HTTP request from the languages the hub offers now."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        added = interface_languages.refresh(scope["app"].state)  # sets state.languages
        language = i18n.choose_language(
            connection.cookies.get(i18n.LANGUAGE_COOKIE),
            connection.headers.get("accept-language", ""),
            scope["app"].state.languages,
        )
        scope.setdefault("state", {})["language"] = language
        i18n.current_locale.set(language)
        i18n.current_translations.set(added.catalogs.get(language))
        await self.app(scope, receive, send)
