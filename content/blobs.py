"""The content-addressed blob store: blobs/sha256/ab/<hash>, shared by every course.

A blob is written as <hash>.<random>.part, flushed to disk, then renamed into place (and
the folder flushed too), so a power cut never leaves a half-written file under a real name.
Each writer has its own part file: two imports of packages that share a blob must not
write into one file, or the first rename could publish the second writer's half-written copy.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from content.errors import ContentError

CHUNK = 1024 * 1024


def blob_relpath(sha256: str) -> str:
    """Where a blob lives below a store or package root."""
    return f"blobs/sha256/{sha256[:2]}/{sha256}"


def hash_file(path: Path) -> tuple[str, int]:
    """The sha256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


PART_SUFFIX = ".part"


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a new name, a rename) to disk; POSIX only."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / blob_relpath(sha256)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_stream(self, chunks: Iterable[bytes], sha256: str, size: int) -> Path:
        """Store bytes that must hash to `sha256` and be `size` long; refuse them otherwise."""
        target = self.path(sha256)
        if target.is_file():
            return target
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            _fsync_dir(target.parent.parent)
        part = target.with_name(f"{target.name}.{secrets.token_hex(6)}{PART_SUFFIX}")
        digest, written = hashlib.sha256(), 0
        try:
            with part.open("xb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if written > size:
                        raise ContentError(f"file for {sha256[:12]}… is larger than the manifest says")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if written != size:
                raise ContentError(f"file for {sha256[:12]}… has {written} bytes, the manifest says {size}")
            if digest.hexdigest() != sha256:
                raise ContentError(f"file for {sha256[:12]}… does not match its hash (damaged?)")
            os.replace(part, target)
            _fsync_dir(target.parent)
        finally:
            part.unlink(missing_ok=True)
        return target

    def put_file(self, handle: BinaryIO, sha256: str, size: int) -> Path:
        return self.put_stream(iter(lambda: handle.read(CHUNK), b""), sha256, size)

    def remove_stale_parts(self, older_than: float = 3600.0) -> int:
        """Delete part files a killed writer left behind (a crash or power cut mid-copy).

        Only parts untouched for `older_than` seconds go, so a copy still running elsewhere
        (another import, a sync) keeps its file. Returns how many were removed.
        """
        cutoff, removed = time.time() - older_than, 0
        for part in (self.root / "blobs" / "sha256").glob(f"*/*{PART_SUFFIX}"):
            try:
                if part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
