"""The desktop app: the hub's server in a background thread, its pages in a pywebview window.

pywebview (Qt backend) must own the main thread. Closing the window ends `webview.start()`;
the server is then stopped, so the port is free and the process can exit 0. Ctrl+C or SIGTERM
in the terminal close the window the same way.

Call `checks.gui_problem()` first: importing this module needs pywebview.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import webbrowser
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("QT_API", "pyside6")  # qtpy (used by pywebview) would try PyQt5 first
# Qt prints every console message of the page to the terminal; pywebview's own injected helpers
# trip the hub's Content-Security-Policy on each page, which is harmless noise for a tutor.
os.environ.setdefault("QT_LOGGING_RULES", "js=false")
import webview
from webview.menu import Menu, MenuAction, MenuSeparator

from desktop.server import HubServer
from hub import first_run
from hub.home import Hub

TITLE = "Commons Hub"
FIRST_PAGE = "join"  # the address and QR code for phones; the window menu leads back to it
SELFTEST_ENV = "HUB_DESKTOP_SELFTEST"


def run(hub: Hub, host: str, port: int | None, on_ready: Callable[[HubServer], None] | None = None) -> bool:
    """Serve the hub and show it in a window until the window closes; True if the server stopped cleanly.

    Raises `desktop.server.ServerError` when the server cannot start.
    """
    server = HubServer(hub, host, port)
    server.start()
    code = first_run.setup_code(hub.db)  # no admin yet: the person at this computer sets the hub up
    try:
        window = webview.create_window(
            f"{TITLE} — {server.public_url}",
            server.local_url + (first_run.setup_path(code) if code else FIRST_PAGE),
            width=1100,
            height=800,
            min_size=(420, 360),
            menu=_menu(lambda: window, server),
        )
        func: Callable[..., Any] | None = None
        if os.environ.get(SELFTEST_ENV):
            from desktop import selftest

            func = selftest.prepare(window, server)
        if on_ready:
            on_ready(server)
        with _close_on_signals(window):
            webview.start(func, gui="qt")
    finally:
        stopped = server.stop()
    return stopped


def _menu(window: Callable[[], webview.Window], server: HubServer) -> list[Menu]:
    """The window's menu: the way back to the QR code page from anywhere, and a plain way out."""
    return [
        Menu(
            TITLE,
            [
                MenuAction(
                    "Address and QR code for phones", lambda: window().load_url(server.local_url + FIRST_PAGE)
                ),
                MenuAction("Home page", lambda: window().load_url(server.local_url)),
                MenuAction(
                    "Open in a web browser",
                    lambda: webbrowser.open(window().get_current_url() or server.local_url),
                ),
                MenuSeparator(),
                MenuAction("Stop the hub and close", lambda: window().destroy()),
            ],
        )
    ]


@contextlib.contextmanager
def _close_on_signals(window: webview.Window) -> Iterator[None]:
    """Close the window on Ctrl+C or SIGTERM, as if the tutor had closed it; a second one exits at once.

    Python runs signal handlers only between bytecodes of the main thread, which Qt's event loop
    keeps busy in C++. The wakeup fd is written at once, from C, so a thread watching it can act.
    """
    if os.name == "nt" or threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: None) for number in signals}
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def watch() -> None:
        wanted = {int(number) for number in signals}
        received = 0
        try:
            while byte := os.read(read_end, 1):  # b"" once the window has closed
                if byte[0] not in wanted:
                    continue
                received += 1
                if received > 1:  # a second Ctrl+C while closing: stop at once
                    os._exit(1)
                with contextlib.suppress(Exception):  # already closing
                    window.destroy()
        finally:
            os.close(read_end)

    threading.Thread(target=watch, name="close-on-signal", daemon=True).start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for number, handler in previous.items():
            signal.signal(number, handler)
        os.close(write_end)  # the watcher's read returns b"" and it ends
