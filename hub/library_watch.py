"""Background work that follows the library: a daemon thread per hub and task that calls a
`queue_missing(hub)` function at start and whenever the library generation changes (an import, a
publish, a sync, a stick, a `hub content import` in another terminal). The function queues jobs for
what lacks its derived files (speech, text read from scanned pages); the job runner makes them.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from hub.library import library_generation

if TYPE_CHECKING:
    from hub.home import Hub

log = logging.getLogger(__name__)
WATCH_SECONDS = 2.0
QueueMissing = Callable[["Hub"], int]


class LibraryWatcher:
    """Calls `queue_missing` when the library changes; ends with its hub (it holds it weakly)."""

    def __init__(self, hub: Hub, name: str, queue_missing: QueueMissing) -> None:
        self._hub = weakref.ref(hub)
        self._queue_missing = queue_missing
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"hub-watch-{name}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        seen = -1
        while not self._stop.is_set():
            hub = self._hub()
            if hub is None or not hub.home.is_dir():
                return
            try:
                generation = library_generation(hub.db)
                if generation != seen:
                    self._queue_missing(hub)
                    seen = generation
            except Exception:
                log.exception("the %s watcher stumbled; it goes on", self._thread.name)
            del hub
            self._stop.wait(WATCH_SECONDS)

    def stop(self) -> None:
        self._stop.set()


_watchers: weakref.WeakKeyDictionary[Hub, dict[str, LibraryWatcher]] = weakref.WeakKeyDictionary()


def watch(hub: Hub, name: str, queue_missing: QueueMissing) -> None:
    """Start the watcher `name` for this hub in this process (once)."""
    started = _watchers.setdefault(hub, {})
    if name not in started:
        started[name] = LibraryWatcher(hub, name, queue_missing)


def stop_watching(hub: Hub) -> None:
    """Stop every watcher of this hub (the server stops); a later start watches again."""
    for watcher in _watchers.pop(hub, {}).values():
        watcher.stop()
