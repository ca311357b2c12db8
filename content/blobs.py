"""The content-addressed blob store: blobs/sha256/ab/<hash>, shared by every course.

A blob is written as <hash>.<random>.part and verified, flushed to disk, then renamed into
place (and its folder flushed too), so a power cut never leaves a half-written file under a
real name. An import writes all its blobs through one `BlobBatch`, which flushes them together
(one `os.sync`, one flush per touched folder) instead of waiting for the disk twice per file.
Each writer has its own part file: two imports of packages that share a blob must not
write into one file, or the first rename could publish the second writer's half-written copy.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from content.errors import ContentError
from content.writers import WriterClaim, abandoned, forget_gone_writers

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


def _check_hash(found: str, sha256: str) -> None:
    if found != sha256:
        raise ContentError(f"file for {sha256[:12]}… does not match its hash (damaged?)")


class _NoLink(Exception):
    """A hard link cannot be made here: copy instead."""


class BlobBatch:
    """Blobs written and verified one by one, then made durable and published together.

    `add_stream` writes a part file and checks its size and hash without flushing it. `publish`
    flushes every part with one `os.sync` (faster than an fsync per part, even from a pool of
    threads: see bench/import/README.md), renames them all into place and flushes each touched
    folder once: about 250 waits for the disk for 2,000 blobs instead of 4,000.
    After a power cut at any moment, a real blob name holds only flushed, verified bytes; parts
    left behind are swept by `BlobStore.remove_stale_parts` once their writer has ended. Parts not
    published when the batch closes (a refused blob, an error) are deleted.
    """

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self._parts: dict[Path, Path] = {}  # real name -> verified part file
        self._claim = WriterClaim(store.root)
        self._writer = ""  # this process's token while the batch is open: parts are named with it

    def __enter__(self) -> BlobBatch:
        self._writer = self._claim.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for part in self._parts.values():
            part.unlink(missing_ok=True)
        self._parts.clear()
        self._writer = ""
        self._claim.__exit__()

    def add_stream(self, chunks: Iterable[bytes], sha256: str, size: int) -> None:
        """Write bytes that must hash to `sha256` and be `size` long; refuse them otherwise."""
        with self._new_part(sha256) as part:
            if part is None:
                return
            digest, written = hashlib.sha256(), 0
            with part.open("xb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if written > size:
                        raise ContentError(f"file for {sha256[:12]}… is larger than the manifest says")
                    digest.update(chunk)
                    out.write(chunk)
            if written != size:
                raise ContentError(f"file for {sha256[:12]}… has {written} bytes, the manifest says {size}")
            _check_hash(digest.hexdigest(), sha256)

    def add_file(self, handle: BinaryIO, sha256: str, size: int) -> None:
        """Like `add_stream`, from an open file; a plain file on disk is copied by the kernel."""
        if not isinstance(handle, io.BufferedReader) or not hasattr(os, "sendfile"):
            self.add_stream(iter(lambda: handle.read(CHUNK), b""), sha256, size)
            return
        if (found := os.fstat(handle.fileno()).st_size) != size:
            raise ContentError(f"file for {sha256[:12]}… has {found} bytes, the manifest says {size}")
        with self._new_part(sha256) as part:
            if part is None:
                return
            with part.open("xb") as out:
                # sendfile copies inside the kernel (as cp does): no trip through Python's buffers.
                # The hash is then taken of the part itself, so what is checked is what is kept.
                copied = 0
                while copied < size:
                    sent = os.sendfile(out.fileno(), handle.fileno(), copied, min(size - copied, 1 << 30))
                    if sent == 0:
                        break
                    copied += sent
            if part.stat().st_size != size:
                raise ContentError(f"file for {sha256[:12]}… was cut short while it was copied")
            with part.open("rb") as written:
                _check_hash(hashlib.file_digest(written, "sha256").hexdigest(), sha256)

    def adopt_file(self, path: Path, sha256: str, size: int) -> None:
        """Take a file the hub's own import just wrote into its work folder (on the store's disk,
        removed when the import ends) by a hard link instead of a copy; its size and hash are
        checked as a copy's are. Copies where no link can be made (another disk, no links).
        Never for a tutor's own files: a link would share their bytes with the store."""
        try:
            with self._new_part(sha256) as part:
                if part is None:
                    return
                if path.is_symlink():
                    raise _NoLink
                try:
                    os.link(path, part, follow_symlinks=False)
                except OSError:
                    raise _NoLink from None
                if part.stat().st_size != size:
                    raise ContentError(f"file for {sha256[:12]}… has {part.stat().st_size} bytes, "
                                       f"the manifest says {size}")  # fmt: skip
                with part.open("rb") as written:
                    _check_hash(hashlib.file_digest(written, "sha256").hexdigest(), sha256)
            return
        except _NoLink:
            pass
        with path.open("rb") as handle:
            self.add_file(handle, sha256, size)

    @contextmanager
    def _new_part(self, sha256: str) -> Iterator[Path | None]:
        """A fresh part file's name for a blob, kept for `publish` if the block ends without an error
        and removed otherwise; None when the store or this batch already holds the blob."""
        target = self.store.path(sha256)
        if target in self._parts or target.is_file():
            yield None
            return
        target.parent.mkdir(parents=True, exist_ok=True)  # flushed by the os.sync in `publish`
        if not self._writer:
            raise RuntimeError("a BlobBatch writes inside its `with` block only")
        part = target.with_name(f"{target.name}.{self._writer}.{secrets.token_hex(6)}{PART_SUFFIX}")
        try:
            yield part
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        self._parts[target] = part

    def path_of(self, sha256: str) -> Path:
        """Where a blob this batch wrote (not yet published), or the store holds, can be read."""
        target = self.store.path(sha256)
        return self._parts.get(target, target)

    def publish(self) -> None:
        """Flush every part, rename each into place, flush every touched folder once."""
        if not self._parts:
            return
        if hasattr(os, "sync"):
            os.sync()  # the parts' bytes and the folders made for them
        else:  # Windows has no sync: flush each part
            for part in self._parts.values():
                with part.open("rb+") as handle:
                    os.fsync(handle.fileno())
        folders = set()
        for target, part in self._parts.items():
            os.replace(part, target)
            folders.add(target.parent)
        self._parts.clear()
        for folder in folders:
            _fsync_dir(folder)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / blob_relpath(sha256)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def batch(self) -> BlobBatch:
        return BlobBatch(self)

    def put_stream(self, chunks: Iterable[bytes], sha256: str, size: int) -> Path:
        """Store one blob that must hash to `sha256` and be `size` long; refuse it otherwise."""
        with self.batch() as batch:
            batch.add_stream(chunks, sha256, size)
            batch.publish()
        return self.path(sha256)

    def remove_stale_parts(self, older_than: float = 24 * 3600.0) -> int:
        """Delete part files a killed writer left behind (a crash or power cut mid-copy).

        A part is named with its writer's token (content/writers.py): it goes as soon as that
        process has ended, and stays while it runs, however long its import takes (a WikiMed ZIM
        from a slow stick takes hours). Where the system cannot tell (no flock), a part goes once
        untouched for `older_than` seconds. Returns how many were removed.
        """
        cutoff, removed = time.time() - older_than, 0
        for part in (self.root / "blobs" / "sha256").glob(f"*/*{PART_SUFFIX}"):
            try:
                if abandoned(part, self.root, _writer_of(part), cutoff):
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        forget_gone_writers(self.root)
        return removed


def _writer_of(part: Path) -> str:
    """The writer token in a part's name, <hash>.<writer>.<random>.part ("" for a name without one)."""
    pieces = part.name.split(".")
    return pieces[1] if len(pieces) == 4 else ""
