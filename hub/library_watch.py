"""Background work that follows the library: a task per hub (hub/background.py) that calls a
`queue_missing(hub)` function at start and whenever the library generation changes (an import, a
publish, a sync, a stick, a `hub content import` in another terminal). The function queues jobs for
what lacks its derived files (speech, text read from scanned pages); the job runner makes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hub import background
from hub.library import library_generation

if TYPE_CHECKING:
    from hub.home import Hub

WATCH_SECONDS = 2.0
QueueMissing = Callable[["Hub"], int]


def watch(hub: Hub, name: str, queue_missing: QueueMissing, available: Callable[[], bool]) -> None:
    """Start the watcher `name` for this hub in this process (once). Whether the machine can make
    what it queues (`available`: it may run a program, tesseract or espeak-ng, to find out) is
    asked in the watcher's thread, so a starting hub does not wait for it."""
    seen = {"generation": -1}

    def when_changed(hub: Hub) -> None:
        generation = library_generation(hub.db)
        if generation != seen["generation"]:
            if available():
                queue_missing(hub)
            seen["generation"] = generation

    background.every(hub, f"watch-{name}", WATCH_SECONDS, when_changed)
