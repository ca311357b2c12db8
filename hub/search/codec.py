"""How the index is stored: a Whoosh codec that inlines short posting lists, files written
without a system call per block, and fast reads of postings and field lengths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PostingsWriter, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.util.numeric import byte_to_length


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, with inlining of short posting lists working.

    (whoosh-reloaded 2.7.5 calls ``terminfo.set_inline``, which does not exist, when inlining is on.)
    It also skips the per-posting type assertions, a sixth of the time spent writing postings.
    """

    def add_posting(self, id_: int, weight: float, vbytes: bytes, length: int | None = None) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def finish_postings(self) -> Any:
        terminfo = self._terminfo
        # Only postings that all carry a value are inlined: an inlined posting without one reads
        # back as "" (not b""), which Whoosh's merge then refuses (ID fields have no values).
        if not self.written() and len(self) < self._inlinelimit and len(self._values) == len(self._ids):
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            terminfo.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        self._terminfo = None
        return terminfo


class HubCodec(W3Codec):
    """Whoosh's W3 codec tuned for many small documents and many rare words.

    Posting lists of fewer than ``inlinelimit`` documents live in the term table (most words are
    rare: the spelling field's words have exactly one), and blocks are not zlib-compressed
    (compressing each tiny block cost a tenth of the build, and decompressing slowed queries).
    Blocks carry no field-length statistics (``length_stats``): gathering them read a column for
    every posting. Scores do not change; Whoosh only skips blocks a little less eagerly.
    """

    length_stats = False

    def __init__(self) -> None:
        super().__init__(blocklimit=128, compression=0, inlinelimit=8)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)  # fmt: skip


CODEC = HubCodec()


class _CountingFile:
    """A file being written that keeps its own position: Whoosh asks for it after every block,
    and each ``tell()`` on a real file is a system call."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._position = raw.tell()

    def write(self, data: Any) -> int:
        written = self._raw.write(data)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = self._raw.seek(offset, whence)
        return self._position

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class HubStorage(FileStorage):
    def __init__(self, path: str) -> None:
        super().__init__(path, supports_mmap=False)

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        structfile = super().create_file(name, excl=excl, mode=mode, **kwargs)
        if mode == "wb":
            structfile.file = _CountingFile(structfile.file)
        return structfile


def postings(leaf: Any, name: str, term: str) -> tuple[Sequence[int], Sequence[float]]:
    """The document numbers and weights of one term in one segment, a block at a time if possible."""
    matcher = leaf.postings(name, term)
    excluded: frozenset[int] = frozenset()
    if type(matcher).__name__ == "FilterMatcher":  # the segment has deleted documents
        excluded = frozenset(matcher._ids)
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_read_weights"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    if excluded:
        kept = [(d, w) for d, w in zip(ids, weights, strict=True) if d not in excluded]
        return [d for d, _ in kept], [w for _, w in kept]
    return ids, weights


def posting_arrays(leaf: Any, name: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """`postings` as arrays: each block's ids and weights decoded in one step where the codec
    allows (Whoosh decodes ids one by one in Python: most of a frequent word's scoring time)."""
    matcher = leaf.postings(name, term)
    if type(matcher).__name__ == "FilterMatcher" or not hasattr(matcher, "_read_data") or matcher._byteids:
        ids, weights = postings(leaf, name, term)  # deleted documents, inlined lists: the general way
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    id_blocks, weight_blocks = [], []
    while matcher.is_active():
        matcher._read_data()
        deltas, weights = matcher._data[0], matcher._data[1]  # as W3PostingsWriter minified them
        id_blocks.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights is None or isinstance(weights, float):
            weight_blocks.append(np.full(len(deltas), 1.0 if weights is None else weights))
        else:
            weight_blocks.append(np.asarray(weights, dtype=np.float64))
        matcher._next_block()
    if not id_blocks:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def is_live(reader: Any, name: str, term: str) -> bool:
    """True if some document that is not deleted holds the term (Whoosh keeps the terms of
    deleted documents in their segment until it is merged away)."""
    for leaf, _ in reader.leaf_readers():
        # With deletions, the postings matcher skips deleted documents: active means one is left.
        if (name, term) in leaf and (not leaf.has_deletions() or leaf.postings(name, term).is_active()):
            return True
    return False


def posting_ids(leaf: Any, name: str, term: str) -> Sequence[int]:
    return postings(leaf, name, term)[0]


def field_lengths(leaf: Any, name: str) -> list[int]:
    """Every document's length in a field of one segment, read in one go when possible."""
    count = leaf.doc_count_all()
    try:
        column = leaf._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        if column is None:
            return [1] * count
        raw = column._dbfile.get(column._basepos, column._count)
        lengths = [byte_to_length(b) or 1 for b in raw]
        return lengths + [1] * (count - len(lengths))
    except AttributeError:  # another codec: ask document by document
        return [leaf.doc_field_length(d, name, 1) or 1 for d in range(count)]
