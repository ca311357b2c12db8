"""ZIM pictures, videos, sounds and captions sent by nginx (issue 21), as lesson files are.

A ZIM keeps its entries compressed in clusters, which nginx cannot read. Behind nginx
(hub/nginx.py), the hub copies an entry it lets through into `zim-files/` in its data folder the
first time it is asked for, and from then on answers with an `X-Accel-Redirect` to that copy:
nginx sends it with Range (a video can be sought), sendfile and keep-alive, and Python neither
decompresses nor sends the bytes again. Articles stay with the hub: it sanitises them.

The copies are bounded, by HUB_ZIM_FILES_MB (256 by default): when a new copy takes them past it,
the least recently sent go first, down to 80 %. A copy's modification time is when it was last
sent. What a copy is (type, name) is remembered in a bounded cache; after a restart the first
request reads the entry once more to learn it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import posixpath
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from content.zim import ZimEntry
from hub.caches import LruCache
from hub.nginx import ZIM_COPIES, ZIM_INTERNAL_PREFIX

LIMIT_VARIABLE = "HUB_ZIM_FILES_MB"
DEFAULT_LIMIT_MB = 256


@dataclass(frozen=True)
class Copy:
    """An entry copied for nginx: where nginx finds it, and what it is."""

    location: str
    mimetype: str
    name: str


def limit_bytes() -> int:
    value = os.environ.get(LIMIT_VARIABLE, "")
    return (int(value) if value.isdigit() and int(value) >= 1 else DEFAULT_LIMIT_MB) * 1024**2


class ZimCopies:
    """The copies of one hub's ZIM entries (see the module's doc)."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self._known: LruCache[Copy] = LruCache.configured("ZIM_FILES")
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes kept, counted once, then kept up to date

    def known(self, zim_sha256: str, entry_path: str) -> Copy | None:
        """The copy of an entry made before, marked as just sent; None if there is none."""
        key = _key(zim_sha256, entry_path)
        copy = self._known.get(key)
        if copy is None:
            return None
        try:
            os.utime(self._path(key))
        except FileNotFoundError:  # made room for another since
            return None
        return copy

    def keep(self, zim_sha256: str, entry_path: str, entry: ZimEntry, mimetype: str) -> Copy:
        """Copy `entry`, read from `entry_path` of the ZIM whose hash is given, for nginx (once)."""
        key = _key(zim_sha256, entry_path)
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
                out.write(entry.content)
            os.replace(out.name, path)  # whole or not at all: nginx never sends half a copy
            self._added(len(entry.content))
        copy = Copy(ZIM_INTERNAL_PREFIX + path.relative_to(self.folder).as_posix(), mimetype,
                    posixpath.basename(entry.path))  # fmt: skip
        return self._known.put(key, copy)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _added(self, size: int) -> None:
        with self._lock:
            if self._total is None:
                self._total = sum(f.stat().st_size for f in self._files())
            else:
                self._total += size
            if self._total > self.limit:
                self._total = self._make_room()

    def _make_room(self) -> int:
        """Remove the least recently sent copies down to 80 % of the limit; the bytes left."""
        files = sorted(((f.stat(), f) for f in self._files()), key=lambda pair: pair[0].st_mtime)
        total = sum(stat.st_size for stat, _ in files)
        for stat, file in files:
            if total <= self.limit * 0.8:
                break
            file.unlink(missing_ok=True)
            total -= stat.st_size
        return total

    def _files(self) -> list[Path]:
        return [f for f in self.folder.glob("??/*") if f.is_file()]


@functools.lru_cache(maxsize=16)
def copies_in(home: Path) -> ZimCopies:
    """The ZIM entry copies of the hub whose data folder is `home`."""
    return ZimCopies(home / ZIM_COPIES, limit_bytes())


def _key(zim_sha256: str, entry_path: str) -> str:
    return hashlib.sha256(f"{zim_sha256}\0{entry_path}".encode()).hexdigest()
