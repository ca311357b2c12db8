"""Per-request dependencies, as Annotated aliases routes can declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlite_utils import Database
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import learners
from hub.home import Hub
from hub.learners import Learner

SESSION_COOKIE = "hub_session"
SESSION_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at about 400 days


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_db(hub: HubDep) -> Database:
    return hub.db


Db = Annotated[Database, Depends(get_db)]


def current_learner(request: Request, db: Db) -> Learner | None:
    """The learner this browser's session cookie holds, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    learner = learners.learner_for_token(db, token) if token else None
    request.state.learner = learner
    return learner


CurrentLearner = Annotated[Learner | None, Depends(current_learner)]


def remember_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def learner_for_write(request: Request, db: Db, learner: CurrentLearner) -> Learner:
    """The current learner, or a new guest for someone saving progress.

    The new guest's cookie is added to whatever response the route returns by
    `NewSessionCookieMiddleware`, so routes returning their own Response keep it too.
    """
    if learner is not None:
        return learner
    learner, token = learners.create_guest(db)
    cookie = Response()
    remember_session(request, cookie, token)
    request.state.new_session_cookie = cookie.headers["set-cookie"]
    request.state.learner = learner
    return learner


WritingLearner = Annotated[Learner, Depends(learner_for_write)]


class NewSessionCookieMiddleware:
    """Adds the Set-Cookie of a guest created during the request to its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            cookie = scope.get("state", {}).get("new_session_cookie")
            if message["type"] == "http.response.start" and cookie:
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
