"""Where an admin's USB stick may be, as the admin pages offer it.

The same folders the tutor's import page looks in (hub.imports.source_roots: /media, /run/media,
/mnt and the folders an admin added). Below the system's mount folders only drives are offered
(a mount point, as /media/<user>/<label>, or a folder already holding a bundle); a folder the
admin added is offered itself. A stick is named by (folder number, path inside it), never by a
path a browser sends, and no symbolic link is followed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from content.errors import ContentError
from hub import imports
from hub.home import Hub
from hub.settings import load_settings
from sync import bundle

MOUNT_DEPTH = 2  # /media/<label> or /media/<user>/<label>


@dataclass(frozen=True)
class Stick:
    root: int  # index into imports.source_roots()
    relative: str  # "" for the folder itself
    path: Path
    free_bytes: int
    folders: list[bundle.StickFolder]  # the hubs that wrote onto it

    @property
    def choice(self) -> str:
        return _choice(self.root, self.relative)


def _choice(root: int, relative: str) -> str:
    return f"{root}:{relative}"


def _is_stick(path: Path) -> bool:
    return os.path.ismount(path) or (path / bundle.ROOT).is_dir()


def _below(folder: Path, depth: int) -> list[Path]:
    """Sub-folders down to `depth` levels, in name order, none reached through a link."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name.lower())
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            found.append(Path(entry.path))
            if depth > 1:
                found += _below(Path(entry.path), depth - 1)
    return found


def _places(hub: Hub) -> Iterator[tuple[int, str, Path]]:
    """(folder number, path inside it, path) of every stick offered now; reads no stick's files."""
    roots = imports.source_roots(hub)
    added = {Path(name) for name in load_settings(hub).import_folders}
    for index, root in enumerate(roots):
        for path in [root, *_below(root, MOUNT_DEPTH)]:
            if (path == root and root in added) or _is_stick(path):
                yield index, "" if path == root else path.relative_to(root).as_posix(), path


def find_sticks(hub: Hub) -> list[Stick]:
    return [_stick(index, relative, path) for index, relative, path in _places(hub)]


def _stick(root: int, relative: str, path: Path) -> Stick:
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        free = 0
    return Stick(root, relative, path, free, bundle.folders_on(path))


def chosen_stick(hub: Hub, choice: str) -> Path:
    """The stick an admin picked ("<folder number>:<path inside it>") if the page offers it now;
    ContentError otherwise (pulled out, or the mount folders changed since the page was shown)."""
    for index, relative, path in _places(hub):
        if _choice(index, relative) == choice:
            return path
    raise ContentError("that USB stick is not offered any more (was it removed?); look at the list again")
