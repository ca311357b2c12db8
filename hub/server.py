"""The long-running web server process, kept lean.

`hub serve` prepares the hub (first-run import, the address to print) with the CLI's
libraries loaded, then replaces itself with this module, so the process that runs for
weeks on a Raspberry Pi carries only what serving needs (about 8 MB less resident memory
than keeping Typer, Rich and the CLI commands loaded).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

# How many worker processes serve (`hub serve --workers`; a central server on PostgreSQL only),
# and, for each worker uvicorn starts, the hub it serves and where it listens.
WORKERS_VARIABLE = "HUB_SERVER_WORKERS"
_HOME_VARIABLE, _LISTEN_VARIABLE = "HUB_SERVER_HOME", "HUB_SERVER_LISTEN"


def run(home: Path, host: str, port: int, certfile: str | None = None, keyfile: str | None = None) -> None:
    """Serve the hub; over HTTPS when given a certificate and its key (PEM files)."""
    import uvicorn

    options = {"host": host, "port": port, "log_level": "warning", "access_log": False,
               "ssl_certfile": certfile, "ssl_keyfile": keyfile}  # fmt: skip
    workers = int(os.environ.get(WORKERS_VARIABLE) or 1)
    if workers > 1:  # each worker process makes its own app (worker_app) on the one socket
        os.environ[_HOME_VARIABLE], os.environ[_LISTEN_VARIABLE] = str(home), f"{host} {port}"
        uvicorn.run("hub.server:worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        return
    uvicorn.run(_app(home, host, port), **options)  # type: ignore[arg-type]


def worker_app() -> FastAPI:
    """The app of one of several worker processes (uvicorn calls it in each)."""
    host, port = os.environ[_LISTEN_VARIABLE].split(" ")
    return _app(Path(os.environ[_HOME_VARIABLE]), host, int(port))


def _app(home: Path, host: str, port: int) -> FastAPI:
    from hub.app import create_app
    from hub.home import Hub

    app = create_app(Hub(home))
    app.state.listen = (host, port)
    return app


if __name__ == "__main__":  # python -m hub.server HOME HOST PORT [CERTFILE KEYFILE]
    run(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), *sys.argv[4:6])
