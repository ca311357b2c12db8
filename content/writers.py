"""Which process wrote a leftover file, and whether it still runs.

A part file or a work folder is named with its writer's token. The token stands for a lock file
in `<root>/writers/` that the writing process holds (flock) while it writes: the kernel lets go
of it the moment the process dies, however it dies (SIGKILL; a power cut ends every lock). So
what a killed import left behind can go at the next start, at once, while what another process
(a `hub content import` beside the server) is still writing stays, however long it takes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no flock; callers fall back to the files' age
    fcntl = None  # type: ignore[assignment]

WRITERS_FOLDER = "writers"


@dataclass
class _Held:
    token: str
    handle: IO[bytes]
    users: int = 0


_held: dict[tuple[Path, int], _Held] = {}  # (root, pid) -> this process's claim while it writes
_lock = threading.Lock()


def _lock_path(root: Path, token: str) -> Path:
    return root / WRITERS_FOLDER / f"{token}.lock"


def _take(root: Path) -> _Held:
    token = f"{os.getpid()}x{secrets.token_hex(6)}"
    path = _lock_path(root, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Locked under another name, then renamed: a sweeper never sees the lock file unheld.
    claiming = path.with_name(path.name + ".new")
    handle = claiming.open("wb")
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(claiming, path)  # a new name: nothing to replace
    return _Held(token, handle)


class WriterClaim:
    """`with WriterClaim(root) as token:` this process's token below `root`, its lock held for the
    block (shared by every block of the process running at the time, let go when the last ends)."""

    def __init__(self, root: Path) -> None:
        self._key = (root, os.getpid())  # a forked child is a writer of its own

    def __enter__(self) -> str:
        with _lock:
            held = _held.get(self._key)
            if held is None:
                held = _held[self._key] = _take(self._key[0])
            held.users += 1
            return held.token

    def __exit__(self, *exc: object) -> None:
        with _lock:
            held = _held[self._key]
            held.users -= 1
            if held.users == 0:
                del _held[self._key]
                _lock_path(self._key[0], held.token).unlink(missing_ok=True)
                held.handle.close()


def writer_alive(root: Path, token: str) -> bool | None:
    """Whether the process that took `token` still runs; None where the system cannot tell (no flock)."""
    if fcntl is None:
        return None
    held = _held.get((root, os.getpid()))
    if held is not None and held.token == token:
        return True
    try:
        with _lock_path(root, token).open("rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except (FileNotFoundError, IsADirectoryError):
        return False  # its lock was swept already, or the name was never a token


def forget_gone_writers(root: Path) -> None:
    """Remove the lock files of writers that have ended (after their leftovers were swept)."""
    folder = root / WRITERS_FOLDER
    if fcntl is None or not folder.is_dir():
        return
    for path in folder.glob("*.lock"):
        if writer_alive(root, path.stem) is False:
            path.unlink(missing_ok=True)


def abandoned(path: Path, root: Path, token: str, cutoff: float) -> bool:
    """Whether `path`, written by `token`'s process, is a leftover: its writer has ended (or, where
    the system cannot tell, it was last touched before `cutoff`)."""
    alive = writer_alive(root, token)
    return alive is False or (alive is None and path.stat().st_mtime < cutoff)


def remove_abandoned(folder: Path, root: Path, older_than: float) -> int:
    """Remove the entries of `folder` named `<writer token>.<anything>` that are leftovers
    (see `abandoned`). Returns how many."""
    if not folder.is_dir():
        return 0
    cutoff, removed = time.time() - older_than, 0
    for entry in folder.iterdir():
        try:
            if not abandoned(entry, root, entry.name.split(".")[0], cutoff):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed
