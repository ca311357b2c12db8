"""The long-running web server process, kept lean.

`hub serve` prepares the hub (first-run import, the address to print) with the CLI's
libraries loaded, then replaces itself with this module, so the process that runs for
weeks on a Raspberry Pi carries only what serving needs (about 8 MB less resident memory
than keeping Typer, Rich and the CLI commands loaded).
"""

from __future__ import annotations

import sys
from pathlib import Path


def run(home: Path, host: str, port: int, certfile: str | None = None, keyfile: str | None = None) -> None:
    """Serve the hub; over HTTPS when given a certificate and its key (PEM files)."""
    import uvicorn

    from hub.app import create_app
    from hub.home import Hub

    app = create_app(Hub(home))
    app.state.listen = (host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                ssl_certfile=certfile, ssl_keyfile=keyfile)  # fmt: skip


if __name__ == "__main__":  # python -m hub.server HOME HOST PORT [CERTFILE KEYFILE]
    run(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), *sys.argv[4:6])
