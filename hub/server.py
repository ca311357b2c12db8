"""The web server: `hub serve` prepares the hub and calls `run` in the same process.

One process imports everything once: handing over to a fresh `python -m hub.server` (as the
hub once did, to shed Typer and Rich) imported the hub's libraries twice, and cost a warm
start more than the memory it saved (issue 21). `python -m hub.server HOME HOST PORT` remains
for tests that start a bare server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hub.home import Hub

if TYPE_CHECKING:
    from fastapi import FastAPI

# For each worker process uvicorn starts (`hub serve --workers`), the hub it serves and where.
_HOME_VARIABLE, _LISTEN_VARIABLE = "HUB_SERVER_HOME", "HUB_SERVER_LISTEN"


def run(
    hub: Hub, host: str, port: int, certfile: str | None = None, keyfile: str | None = None, workers: int = 1
) -> None:
    """Serve the hub; over HTTPS when given a certificate and its key (PEM files).

    Several worker processes (a central server on PostgreSQL only) each open the hub themselves.
    """
    import uvicorn

    options = {"host": host, "port": port, "log_level": "warning", "access_log": False,
               "ssl_certfile": certfile, "ssl_keyfile": keyfile}  # fmt: skip
    if workers > 1:  # each worker process makes its own app (worker_app) on the one socket
        os.environ[_HOME_VARIABLE], os.environ[_LISTEN_VARIABLE] = str(hub.home), f"{host} {port}"
        uvicorn.run("hub.server:worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        return
    uvicorn.run(_app(hub, host, port), **options)  # type: ignore[arg-type]


def worker_app() -> FastAPI:
    """The app of one of several worker processes (uvicorn calls it in each)."""
    host, port = os.environ[_LISTEN_VARIABLE].split(" ")
    return _app(Hub(Path(os.environ[_HOME_VARIABLE])), host, int(port))


def _app(hub: Hub, host: str, port: int) -> FastAPI:
    from hub.app import create_app

    app = create_app(hub)
    app.state.listen = (host, port)
    return app


if __name__ == "__main__":  # python -m hub.server HOME HOST PORT [CERTFILE KEYFILE]
    run(Hub(Path(sys.argv[1])), sys.argv[2], int(sys.argv[3]), *sys.argv[4:6])
