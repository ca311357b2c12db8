"""Background tasks (hub/background.py), the library watchers among them, run while the server runs
and stop with it."""

from __future__ import annotations

import threading
import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import library_watch
from hub.home import Hub
from hub.library import LIBRARY_GENERATION

BUMP = "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = ?"  # what an import does


def always() -> bool:
    return True


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_watcher_queues_at_start_and_on_each_change_of_the_library(hub: Hub, app: FastAPI):
    calls: list[int] = []
    with TestClient(app):
        library_watch.watch(hub, "test", lambda h: calls.append(1) or 0, always)
        library_watch.watch(hub, "test", lambda h: calls.append(2) or 0, always)  # once per hub and name
        _wait_for(lambda: len(calls) == 1)
        hub.db.execute(BUMP, [LIBRARY_GENERATION])
        _wait_for(lambda: len(calls) == 2)
        time.sleep(2.5)  # another look at an unchanged library queues nothing
    assert calls == [1, 1]


def test_a_watcher_on_a_machine_that_cannot_make_its_files_queues_nothing(hub: Hub, app: FastAPI):
    """No tesseract, say: asked in the watcher's thread at start and at each change, nothing queued."""
    asked: list[str] = []

    def unable() -> bool:
        asked.append("able?")
        return False

    with TestClient(app):
        library_watch.watch(hub, "test", lambda h: asked.append("queue") or 0, unable)
        _wait_for(lambda: asked == ["able?"])
        hub.db.execute(BUMP, [LIBRARY_GENERATION])
        _wait_for(lambda: len(asked) == 2)
    assert asked == ["able?", "able?"]


def test_every_background_task_of_a_hub_stops_with_its_server(hub: Hub, app: FastAPI):
    before = set(threading.enumerate())
    with TestClient(app):
        library_watch.watch(hub, "test", lambda h: 0, always)
        started = [t for t in set(threading.enumerate()) - before if t.name.startswith("hub-")]
        names = {t.name for t in started}
        assert {"hub-retention", "hub-sync-schedule", "hub-watch-test"} <= names
    for thread in started:
        thread.join(5)
    assert [t.name for t in started if t.is_alive()] == []
