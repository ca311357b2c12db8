"""Who may call each route, and CSRF protection for everything that changes state.

Every route declares one of ANYONE, LEARNER, TUTOR or ADMIN in its `dependencies`; a test
walks the app and fails for a route without one, and `hub routes` prints the table.
A state-changing request from a browser (one that sends cookies) must echo the CSRF
cookie in a form field or an `X-CSRF-Token` header (the double-submit pattern). Signing in
and making a profile (SIGNING_IN) need the token even without cookies: otherwise another
site could post a form that signs the visitor's browser into an account the site controls,
and read what she then learns (login CSRF). The sign-in page sets the cookie and the field,
so it works without JavaScript.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from hub.deps import CSRF_COOKIE, SESSION_COOKIE, CurrentLearner
from hub.i18n import N_
from hub.learners import Role

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORGED = N_("This form has expired or did not come from this hub. Please go back, reload and try again.")


class AccessDenied(Exception):
    """A request refused for who is asking (401/403) or a missing CSRF token (403)."""

    def __init__(self, status: int, message: str, sign_in: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.sign_in = sign_in


async def check_csrf(request: Request, strict: bool = False) -> None:
    """Refuse a state change whose CSRF token does not match its cookie.

    A request with no cookie at all has no session to ride on and passes, unless `strict`: a form
    that grants a session or more (signing in, making a profile, first-run setup) must come from
    this hub's own page, with the token and from this hub's origin when the browser says where it
    comes from.
    """
    expected = request.cookies.get(CSRF_COOKIE)
    if strict:
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.url.netloc:
            raise AccessDenied(403, FORGED)
    elif not request.cookies:
        return  # no cookie, no session to ride on: not a browser request to forge
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise AccessDenied(403, FORGED)


async def require_csrf(request: Request) -> None:
    await check_csrf(request, strict=True)


FROM_THIS_HUB = Depends(require_csrf)  # with ANYONE: the form must come from this hub's own page


ONLY_FOR = {
    Role.LEARNER: N_("This page is for learners with a profile on this hub."),
    Role.TUTOR: N_("This page is only for the hub's tutors."),
    Role.ADMIN: N_("This page is only for the hub's admins."),
}


def allow(role: Role, unless_setting: str = "", then: Role = Role.GUEST, signs_in: bool = False) -> Any:
    """A route dependency: at least `role` may call the route.

    With `unless_setting`, the hub setting of that name being off raises the bar to `then`
    (guests learn only while the admin lets them). A route that `signs_in` a browser needs
    the CSRF token even from a browser with no cookies.
    """

    async def check(request: Request, who: CurrentLearner) -> None:
        needed = role
        if unless_setting and not getattr(request.app.state.settings, unless_setting):
            needed = then
        have = who.effective_role if who else Role.GUEST
        if have.rank >= needed.rank:
            # The CSRF token may sit in a form body: read it only for someone allowed here, so
            # a stranger cannot make the hub take in a 4 GB upload just to refuse it.
            if request.method not in SAFE_METHODS:
                await check_csrf(request, strict=signs_in)
            return
        if have == Role.GUEST:
            message = (
                N_("Your session has ended or is not valid. Please sign in again.")
                if request.cookies.get(SESSION_COOKIE) and who is None
                else N_("Please sign in to see this page.")
            )
            raise AccessDenied(401, message, sign_in=True)
        raise AccessDenied(403, ONLY_FOR[needed])

    check.required_role = role  # type: ignore[attr-defined]
    check.stricter_role = then if unless_setting else role  # type: ignore[attr-defined]
    return Depends(check)


ANYONE = allow(Role.GUEST)
SIGNING_IN = allow(Role.GUEST, signs_in=True)
LEARNER = allow(Role.LEARNER)
LEARNING = allow(Role.GUEST, unless_setting="guests_may_learn", then=Role.LEARNER)
TUTOR = allow(Role.TUTOR)
ADMIN = allow(Role.ADMIN)


def required_role(route: APIRoute) -> Role | None:
    """The role a route declares, or None when it declares none (a bug a test catches)."""
    for dependency in route.dependant.dependencies:
        role = getattr(dependency.call, "required_role", None)
        if role is not None:
            return role
    return None
