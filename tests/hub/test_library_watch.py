"""Library watchers (hub/library_watch.py) follow the library while the server runs, and stop with it."""

from __future__ import annotations

import threading
import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import library_watch
from hub.home import Hub
from hub.library import LIBRARY_GENERATION


def _watcher_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "hub-watch-test"]


def test_a_watcher_queues_at_start_and_on_each_change_and_stops_with_the_server(hub: Hub, app: FastAPI):
    calls: list[int] = []
    with TestClient(app):
        library_watch.watch(hub, "test", lambda h: calls.append(1) or 0)
        library_watch.watch(hub, "test", lambda h: calls.append(2) or 0)  # once per hub and name
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        bump = "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = ?"
        hub.db.execute(bump, [LIBRARY_GENERATION])
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert calls == [1, 1]
        assert len(_watcher_threads()) == 1
    for thread in _watcher_threads():
        thread.join(5)
    assert _watcher_threads() == []
