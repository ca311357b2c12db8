"""Lessons that come as a zip: HTML5 apps (an `index.html` at the root or inside one top folder)
and H5P activities (content/h5p.py builds on `CheckedZip`).

An app zip comes from a publisher, an author or a tutor's upload, so it is checked before the
hub keeps it (`check_app_zip`): it must be a readable zip, small enough once unpacked, not a
zip bomb, without paths that climb out of it, symbolic links or encrypted members, with not too
many files, and with an index.html. The hub then serves its files from the zip as they are asked
for (`AppZip.read`), never unpacking it (see bench/apps/ for why).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Self

from content.errors import ContentError

INDEX = "index.html"
MAX_APP_FILES = 2_000
MAX_APP_BYTES = 256 * 1024**2  # everything, unpacked
MAX_APP_FILE_BYTES = 64 * 1024**2  # one file, unpacked
MAX_RATIO = 100  # unpacked / packed: text compresses 3 to 10 times, a zip bomb a thousand
_RATIO_FREE_BYTES = 256 * 1024  # a small file may compress as well as it likes
_JUNK = ("__MACOSX/",)  # what a Mac's "Compress" adds beside the folder
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError)


@dataclass(frozen=True)
class AppFile:
    """One file of an app (or an H5P activity): its name inside the zip and its size."""

    name: str
    size: int


def _member_name(info: zipfile.ZipInfo, noun: str) -> str:
    """A member's name, refusing one that would land outside the zip wherever it was unpacked."""
    name = info.filename
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/")[0]:
        raise ContentError(
            f"the {noun}'s file {name!r} has a name that is not allowed (it points outside the {noun})"
        )
    if ".." in PurePosixPath(name).parts:
        raise ContentError(f"the {noun}'s file {name!r} points outside the {noun} ('..' in its path)")
    return name


def _checked_members(archive: zipfile.ZipFile, noun: str) -> dict[str, zipfile.ZipInfo]:
    """Every file of the zip by name, once each is found safe to read (folders left out); `noun`
    names the zip in messages ("app", "H5P activity")."""
    infos = archive.infolist()
    if len(infos) > MAX_APP_FILES:
        raise ContentError(
            f"the {noun} holds {len(infos):,} files, more than the {MAX_APP_FILES:,} a lesson may hold"
        )
    files: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    total = packed = 0
    for info in infos:
        name = _member_name(info, noun)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ContentError(f"the {noun}'s file {name!r} is a symbolic link, which a lesson may not hold")
        if name.rstrip("/").casefold() in seen:
            raise ContentError(f"the {noun}'s file {name!r} appears twice in the zip")
        seen.add(name.rstrip("/").casefold())
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise ContentError(f"the {noun}'s file {name!r} is encrypted; a lesson may not have a password")
        if info.compress_type not in _READABLE:
            raise ContentError(f"the {noun}'s file {name!r} is compressed in a way this hub cannot read")
        if info.file_size > MAX_APP_FILE_BYTES:
            raise ContentError(
                f"the {noun}'s file {name!r} unpacks to {info.file_size:,} bytes, more than the "
                f"{MAX_APP_FILE_BYTES:,} one file may have"
            )
        if info.file_size > _RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ContentError(f"the {noun}'s file {name!r} is compressed suspiciously well (a zip bomb?)")
        total += info.file_size
        packed += info.compress_size
        if total > MAX_APP_BYTES:
            limit = f"{MAX_APP_BYTES:,}"
            raise ContentError(f"the {noun} unpacks to more than the {limit} bytes a lesson may have")
        files[name] = info
    if total > _RATIO_FREE_BYTES and total > MAX_RATIO * max(packed, 1):
        raise ContentError(f"the {noun}'s files are compressed suspiciously well (a zip bomb?)")
    return files


def app_root(names: list[str]) -> str:
    """Where index.html is: "" at the top, "folder/" when everything is inside one top folder."""
    if INDEX in names:
        return ""
    kept = [n for n in names if not n.startswith(_JUNK) and n.split("/")[-1] != ".DS_Store"]
    tops = {n.split("/", 1)[0] for n in kept}
    if len(tops) == 1 and all("/" in n for n in kept) and f"{next(iter(tops))}/{INDEX}" in kept:
        return f"{next(iter(tops))}/"
    raise ContentError(
        "the app has no index.html at its top: put index.html (the page that starts the app) at the top "
        "of the zip, or in its one top folder"
    )


class CheckedZip:
    """A lesson's zip, opened once and checked (see the module's docstring); its files are read by
    their path below its root. Subclasses say what the zip is and where its root is."""

    NOUN = "zip"  # how messages name it
    NOT_A_ZIP = "it is not a zip file"

    def __init__(self, path: Path | BinaryIO) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise ContentError(self.NOT_A_ZIP) from None
        try:
            self._files = _checked_members(self._zip, self.NOUN)
            self.root = self.find_root(list(self._files))
        except BaseException:
            self._zip.close()
            raise

    def find_root(self, names: list[str]) -> str:
        """The folder below which the lesson's files are found ("" for the top of the zip)."""
        return ""

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def files(self) -> list[AppFile]:
        """The files below the root, by their path there."""
        return [
            AppFile(name[len(self.root) :], info.file_size)
            for name, info in self._files.items()
            if name.startswith(self.root)
        ]

    def find(self, path: str) -> AppFile | None:
        """The file at `path` below the root ("" or a folder means its index.html), or None."""
        if path == "" or path.endswith("/"):
            path += INDEX
        info = self._files.get(self.root + path)
        return AppFile(path, info.file_size) if info else None

    def read(self, path: str) -> bytes:
        """The bytes of a file `find` found; a damaged member is told in words."""
        return self._read_member(self.root + path)

    def chunks(self, path: str, size: int = 256 * 1024) -> Iterator[bytes]:
        """The bytes of a file `find` found, piece by piece (a large video inside an app)."""
        try:
            with self._zip.open(self._files[self.root + path]) as handle:
                while chunk := handle.read(size):
                    yield chunk
        except _READ_ERRORS as error:
            raise ContentError(f"the {self.NOUN}'s file {path!r} is damaged ({error})") from None

    def _read_member(self, name: str) -> bytes:
        try:
            return self._zip.read(self._files[name])
        except _READ_ERRORS as error:
            raise ContentError(f"the {self.NOUN}'s file {name!r} is damaged ({error})") from None

    def read_everything(self) -> None:
        """Read every file once: a bad CRC or a broken deflate stream is refused now, not later."""
        for name in self._files:
            self._read_member(name)


class AppZip(CheckedZip):
    """An HTML5 app's zip: its root is where its index.html is."""

    NOUN = "app"
    NOT_A_ZIP = "it is not a zip file (an HTML5 app comes as a .zip with an index.html)"

    def find_root(self, names: list[str]) -> str:
        return app_root(names)


def check_app_zip(path: Path) -> None:
    """Refuse an app zip that is not safe or not usable (see the module's docstring)."""
    with AppZip(path) as app:
        app.read_everything()
