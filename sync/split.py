"""Files on a USB stick, split for FAT32 (no file of 4 GiB or more) and written safely.

A file larger than PART_SIZE is stored as `name.000`, `name.001`, … ; a smaller one under
its own name. Each part is written as `<part>.part`, flushed, then renamed, so a stick
pulled out mid-copy never shows a half-written part under its real name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

PART_SIZE = 4 * 1024**3 - 64 * 1024**2  # below FAT32's 4 GiB - 1 byte, with room to spare
CHUNK = 1024 * 1024


class StickFileError(Exception):
    """A file on the stick is missing or not what its bundle says; the message says which."""


def part_names(name: str, parts: int) -> list[str]:
    return [name] if parts == 1 else [f"{name}.{i:03d}" for i in range(parts)]


def write_parts(
    target: Path, chunks: Iterable[bytes], part_size: int = PART_SIZE
) -> tuple[int, str, list[int]]:
    """Write `chunks` to `target` (split when large); return size, sha256 and each part's size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, sizes, written = hashlib.sha256(), [0], []
    tmp = target.with_name(f"{target.name}.0.part")
    out = tmp.open("wb")
    try:
        for chunk in chunks:
            digest.update(chunk)
            while chunk:
                room = part_size - sizes[-1]
                if room == 0:
                    _close(out)
                    written.append(tmp)
                    tmp = target.with_name(f"{target.name}.{len(sizes)}.part")
                    out, sizes = tmp.open("wb"), [*sizes, 0]
                    room = part_size
                out.write(chunk[:room])
                sizes[-1] += len(chunk[:room])
                chunk = chunk[room:]
    finally:
        _close(out)
    written.append(tmp)
    for old in _stale_parts(target):
        old.unlink()
    for part, name in zip(written, part_names(target.name, len(written)), strict=True):
        os.replace(part, target.with_name(name))
    return sum(sizes), digest.hexdigest(), sizes


def _close(out: BinaryIO) -> None:
    if not out.closed:
        out.flush()
        os.fsync(out.fileno())
        out.close()


def _stale_parts(target: Path) -> list[Path]:
    """Earlier copies of `target` under any part naming (a rewrite may split differently)."""
    return [p for p in target.parent.glob(f"{target.name}*") if not p.name.endswith(".part")]


def copy_parts(source: Path, target: Path, size: int, part_size: int = PART_SIZE) -> tuple[list[int], int]:
    """Copy `source` (`size` bytes) to `target`, split when large, keeping what is already there.

    A part already on the stick at its full size is not copied again, and a `.part` left by a
    stick pulled out mid-copy is continued where it stopped. Nothing is hashed here: the
    importer checks every byte. Returns each part's size and how many bytes were copied.
    """
    sizes = [min(part_size, size - offset) for offset in range(0, size, part_size)] or [0]
    names = part_names(target.name, len(sizes))
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in _stale_parts(target):
        if old.name not in names:
            old.unlink()  # an earlier copy split another way
    copied = 0
    with source.open("rb") as handle:
        for index, (name, length) in enumerate(zip(names, sizes, strict=True)):
            final = target.with_name(name)
            if final.is_file() and final.stat().st_size == length:
                continue
            copied += _finish_part(handle, index * part_size, length, final.with_name(f"{name}.part"))
            os.replace(final.with_name(f"{name}.part"), final)
    return sizes, copied


def _finish_part(source: BinaryIO, start: int, length: int, part: Path) -> int:
    """Bring `part` to the `length` bytes of `source` from `start`, writing only what it lacks."""
    have = part.stat().st_size if part.is_file() else 0
    have = have if have <= length else 0
    with part.open("r+b" if have else "wb") as out:
        out.seek(have)
        out.truncate()
        source.seek(start + have)
        left = length - have
        while left:
            chunk = source.read(min(CHUNK, left))
            if not chunk:
                raise OSError(f"{part.name}: the source ended {left} bytes early")
            out.write(chunk)
            left -= len(chunk)
        _close(out)
    return length - have


def remove(target: Path) -> None:
    for old in _stale_parts(target):
        old.unlink()


def read_parts(target: Path, sizes: list[int], sha256: str | None, shown: str) -> Iterator[bytes]:
    """The bytes of a (split) file, checked against its bundle entry; StickFileError names the problem.

    The hash (unless None: the caller checks it) is checked at the end: read everything
    before trusting any of it.
    """
    digest = hashlib.sha256()
    for name, size in zip(part_names(target.name, len(sizes)), sizes, strict=True):
        path = target.with_name(name)
        if not path.is_file():
            raise StickFileError(f"{shown} is missing ({name}): the copy onto the stick did not finish")
        actual = path.stat().st_size
        if actual != size:
            raise StickFileError(
                f"{shown} is {'shorter' if actual < size else 'longer'} than its bundle says "
                f"({name}: {actual} bytes, not {size}): the copy did not finish or the file was changed"
            )
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                yield chunk
    if sha256 is not None and digest.hexdigest() != sha256:
        raise StickFileError(changed_message(shown))


def changed_message(shown: str) -> str:
    return f"{shown} was changed after it was written (its checksum does not match)"
