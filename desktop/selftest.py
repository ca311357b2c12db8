"""A test hook: with HUB_DESKTOP_SELFTEST=1, a test drives the open window through stdin and stdout.

Once the page has loaded, one `ready` event is printed. Then each line read from stdin is a command:

    api               run fetch('/api/v1/courses') in the page; report how many courses it got
    screenshot PATH   save the window, as drawn, to a PNG file
    load PATH         open one of the hub's pages; report the address once it has changed
    menu TITLE        choose the window menu's item of that title; report the address as for load
    submit SCRIPT     run a script in the page (one that sends a form); report the address as for load
    close             close the window, as the tutor would
    (end of input)    close the window

Events go to stdout, one a line, as `HUB_DESKTOP_SELFTEST {json}`. Only imported when the variable
is set; it needs PySide6, the backend the desktop extra installs.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import webview
from PySide6 import QtCore

from desktop.server import HubServer

PREFIX = "HUB_DESKTOP_SELFTEST"
WAIT_SECONDS = 20
API_SCRIPT = "fetch('/api/v1/courses').then(r => r.json()).then(courses => courses.length)"


def emit(event: str, **fields: Any) -> None:
    print(PREFIX, json.dumps({"event": event, **fields}), flush=True)


class QtBridge(QtCore.QObject):
    """Runs work on the Qt thread, where widgets and the page may be touched, for the driving thread."""

    grab_requested = QtCore.Signal(str)
    script_requested = QtCore.Signal(str)
    menu_requested = QtCore.Signal(str)

    def __init__(self, window: webview.Window) -> None:
        super().__init__()  # made on the main thread, so the signals are delivered there
        self.window = window
        self.done = threading.Event()
        self.result: dict[str, Any] = {}
        self.grab_requested.connect(self._grab)
        self.script_requested.connect(self._run_script)
        self.menu_requested.connect(self._choose)

    @QtCore.Slot(str)
    def _grab(self, path: str) -> None:
        try:
            picture = self.window.native.grab()
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.result = {"saved": picture.save(path, "PNG"), "size": [picture.width(), picture.height()]}
        except Exception as error:  # reported to the test rather than lost on the Qt thread
            self.result = {"saved": False, "error": repr(error)}
        self.done.set()

    @QtCore.Slot(str)
    def _run_script(self, script: str) -> None:
        def finished(value: Any) -> None:
            self.result = {"value": value}
            self.done.set()

        self.window.native.webview.page().runJavaScript(script, 0, finished)

    @QtCore.Slot(str)
    def _choose(self, title: str) -> None:
        pending = list(self.window.native.menuBar().actions())
        while pending:
            action = pending.pop()
            if action.menu():
                pending.extend(action.menu().actions())
            elif action.text() == title:
                action.trigger()
                self.result = {"chosen": True}
                break
        else:
            self.result = {"chosen": False}
        self.done.set()

    def choose(self, title: str) -> bool:
        return bool(self._call(self.menu_requested, title).get("chosen"))

    def _call(self, signal: Any, argument: str) -> dict[str, Any]:
        self.done.clear()
        self.result = {}
        signal.emit(argument)
        return self.result if self.done.wait(WAIT_SECONDS) else {"error": "timed out"}

    def grab(self, path: str) -> dict[str, Any]:
        return self._call(self.grab_requested, path)

    def run_script(self, script: str) -> Any:
        return self._call(self.script_requested, script).get("value")

    def evaluate_async(self, expression: str) -> Any:
        """What a promise resolves to, run as the page's own script (under the hub's CSP).

        Not `window.evaluate_js`: pywebview wraps scripts in eval(), which the hub's CSP forbids.
        Qt hands back numbers and strings but not objects, hence the JSON.
        """
        self.run_script(
            "window.__selftest = {done: false};"
            f"Promise.resolve({expression}).then("
            " v => { window.__selftest = {done: true, value: v}; },"
            " e => { window.__selftest = {done: true, error: String(e)}; });"
        )
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            outcome = json.loads(self.run_script("JSON.stringify(window.__selftest)") or "{}")
            if outcome.get("done"):
                return outcome.get("value", outcome.get("error"))
            time.sleep(0.05)
        return None


def prepare(window: webview.Window, server: HubServer) -> Callable[[], None]:
    """Set up on the main thread; return what `webview.start()` runs in its background thread."""
    bridge = QtBridge(window)

    def start() -> None:  # a daemon thread: a test that closes the window some other way is not kept waiting
        threading.Thread(target=_drive, args=(window, server, bridge), name="selftest", daemon=True).start()

    return start


def _drive(window: webview.Window, server: HubServer, bridge: QtBridge) -> None:
    if not window.events.loaded.wait(WAIT_SECONDS):
        emit("error", message="the page did not load")
    emit("ready", host=server.host, port=server.port, url=window.get_current_url(), pid=os.getpid(),
         public_url=server.public_url)  # fmt: skip
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "api":
            emit("api", courses=bridge.evaluate_async(API_SCRIPT))
        elif command == "screenshot":
            emit("screenshot", path=argument, **bridge.grab(argument))
        elif command in ("load", "menu", "submit"):
            before = window.get_current_url()
            if command == "load":
                window.load_url(server.local_url + argument.lstrip("/"))
            elif command == "submit":
                bridge.run_script(argument)
            elif not bridge.choose(argument):
                emit("error", message=f"no menu item {argument!r}")
                continue
            emit("url", url=_changed_url(window, before))
        elif command == "close":
            break
        elif command:
            emit("error", message=f"unknown command {command!r}")
    emit("closing")
    window.destroy()


def _changed_url(window: webview.Window, before: str | None) -> str | None:
    deadline = time.monotonic() + WAIT_SECONDS
    while (url := window.get_current_url()) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    return url
