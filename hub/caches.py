"""Bounded caches: every cache the server keeps has a size limit and evicts the least recently used.

A cache that grows with the library (one entry per course, per language) would make memory grow
with it too; one that is emptied whole when full makes every reader pay for re-rendering at once
(four readers in four languages thrashed a clear-all card cache at 1,000 courses). Each cache's
size comes from configuration, the environment variable `HUB_CACHE_<NAME>` (a number of entries),
read when the cache is made, so a Pi with little memory can keep them small (docs/scale.md).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

# Entries each cache keeps unless HUB_CACHE_<NAME> says otherwise.
DEFAULT_SIZES = {
    "CARDS": 2048,  # rendered course cards: (course, version, language, size) -> HTML
    "COURSES": 256,  # opened courses (their manifest and lessons), most recently opened kept
    "LESSON_HTML": 512,  # lessons' Markdown rendered to HTML, per lesson text
    "SPEECH_PARTS": 512,  # the parts of a lesson the hub reads aloud, per lesson text
    "SEARCH": 256,  # search results, per query, filters, reader's language and page
    "ZIM_FILES": 4096,  # what each ZIM entry copied for nginx is (hub/plugins/zim/copies.py)
    "POSTINGS": 64,  # long posting lists decoded for scoring (at most about 100 KB each at 10,000 courses)
}


def configured_size(name: str) -> int:
    """The size of cache `name`: HUB_CACHE_<NAME> if it is a whole number >= 1, else the default."""
    value = os.environ.get(f"HUB_CACHE_{name}", "")
    return int(value) if value.isdigit() and int(value) >= 1 else DEFAULT_SIZES[name]


class LruCache(Generic[V]):
    """A thread-safe mapping of at most `size` entries, dropping the least recently used first."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def configured(cls, name: str) -> LruCache[V]:
        return cls(configured_size(name))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The cached value, or `make()`'s (made outside the lock: two threads may both make it)."""
        value = self.get(key)
        return self.put(key, make()) if value is None else value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
