"""Periodic work of a running hub: each task a daemon thread calling `work(hub)` every few seconds.

A task holds its hub weakly and ends when the server stops (`stop_all`, from the app's lifespan),
when the hub is gone or when its folder is removed. A thread that held its hub for ever would keep
it, and every other thread that follows it, alive for ever: a test run that starts hundreds of
hubs ended with thousands of threads polling their databases.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.home import Hub

log = logging.getLogger(__name__)
Work = Callable[["Hub"], object]


class Task:
    """One periodic task of one hub (see the module's doc)."""

    def __init__(self, hub: Hub, name: str, seconds: float, work: Work, at_start: bool) -> None:
        self._hub = weakref.ref(hub)
        self._seconds, self._work, self._at_start = seconds, work, at_start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"hub-{name}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        if not self._at_start and self._stop.wait(self._seconds):
            return
        while True:
            hub = self._hub()
            if hub is None or not hub.home.is_dir():
                return
            try:
                self._work(hub)
            except Exception:
                log.exception("the background task %s stumbled; it goes on", self._thread.name)
            del hub
            if self._stop.wait(self._seconds):
                return

    def stop(self) -> None:
        self._stop.set()


_tasks: weakref.WeakKeyDictionary[Hub, dict[str, Task]] = weakref.WeakKeyDictionary()
_tasks_lock = threading.Lock()


def every(hub: Hub, name: str, seconds: float, work: Work, *, at_start: bool = True) -> None:
    """Call `work(hub)` every `seconds` (first at once, unless not `at_start`) until the server
    stops; once per hub and name in this process."""
    with _tasks_lock:
        started = _tasks.setdefault(hub, {})
        if name not in started:
            started[name] = Task(hub, name, seconds, work, at_start)


def stop_all(hub: Hub) -> None:
    """Stop every task of this hub (its server stops); a later start begins them again."""
    with _tasks_lock:
        tasks = _tasks.pop(hub, {})
    for task in tasks.values():
        task.stop()
