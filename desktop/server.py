"""The hub's web server in a background thread, so the window can own the main thread."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
import urllib.error
import urllib.request

import uvicorn

from hub.address import ALL_INTERFACES, hub_url
from hub.app import create_app
from hub.home import Hub

DEFAULT_PORT = 8080
START_SECONDS = 30
STOP_SECONDS = 10


class ServerError(Exception):
    """The server could not start: the message says why, in words for a tutor."""


def bind(host: str, port: int | None) -> socket.socket:
    """A socket bound to host:port, or to 8080 (else any free port) when port is None.

    Binding here, not in uvicorn, means the port is known and held before the server starts, and
    a busy port is an error we can explain.
    """
    try:
        return _bind(host, DEFAULT_PORT if port is None else port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise ServerError(f"Cannot listen on {host}: {error.strerror or error}") from None
        if port is not None:
            raise ServerError(
                f"Port {port} is already in use (is the hub already running?). "
                "Choose another with --port, or leave --port out to use a free one."
            ) from None
    try:
        return _bind(host, 0)
    except OSError as error:
        raise ServerError(f"Cannot listen on {host}: {error.strerror or error}") from None


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR would let two servers share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class HubServer:
    """uvicorn serving one hub on a socket of its own, started and stopped from the main thread."""

    def __init__(self, hub: Hub, host: str = "0.0.0.0", port: int | None = None) -> None:
        self.sock = bind(host, port)
        self.host = host
        self.port: int = self.sock.getsockname()[1]
        try:
            app = create_app(hub)
        except BaseException:
            self.sock.close()
            raise
        app.state.listen = (host, self.port)  # so /join shows the address phones use
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", access_log=False, timeout_graceful_shutdown=5
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, name="hub-server", daemon=True)
        self.error: BaseException | None = None

    @property
    def local_url(self) -> str:
        """The address this computer's window opens (loopback when listening everywhere)."""
        shown = ("[::1]" if self.host == "::" else "127.0.0.1") if self.host in ALL_INTERFACES else self.host
        shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
        return f"http://{shown}:{self.port}/"

    @property
    def public_url(self) -> str:
        """The address phones on the same network open."""
        return hub_url(self.host, self.port)

    def _serve(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as error:  # uvicorn exits with SystemExit when the app fails to start
            self.error = error

    def start(self, timeout: float = START_SECONDS) -> None:
        """Start serving and return once the home page answers."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not (self.server.started and _answers(self.local_url)):
            if not self.thread.is_alive():
                self.sock.close()
                raise ServerError(f"The hub's web server stopped while starting: {self.error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"The hub's web server did not answer within {timeout:.0f} s.")
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_SECONDS) -> bool:
        """Ask the server to finish its requests and close the port; True once it has."""
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(STOP_SECONDS)
        self.sock.close()  # uvicorn closes it too; closing twice is harmless
        return not self.thread.is_alive()


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if not with 200
    except OSError:
        return False
