"""The join page's route."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from hub.access import ANYONE
from hub.address import hub_url, qr_svg
from hub.pages import render

router = APIRouter(tags=["join"], include_in_schema=False)


def address_for(request: Request) -> str:
    """The address residents should open: where the server listens, else what this browser used."""
    secure = request.url.scheme == "https"
    listen = getattr(request.app.state, "listen", None)
    if listen:
        return hub_url(*listen, secure=secure)
    server = request.scope.get("server") or ("127.0.0.1", 443 if secure else 80)
    return hub_url(server[0], server[1], secure)


@router.get("/join", response_class=HTMLResponse, dependencies=[ANYONE])
def join(request: Request) -> HTMLResponse:
    url = address_for(request)
    loopback_only = url.split("://", 1)[1].startswith(("127.", "localhost"))
    return render(request, "join.html", url=url, qr=Markup(qr_svg(url)), loopback_only=loopback_only)
