"""Stable ids for imported courses and lessons, whatever the script of their titles.

Learners' progress hangs on (course id, lesson id), so an id must come from what a source
itself keeps from one edition to the next (a ZIM's entry path, an EPUB's manifest ids and
unique identifier, a PDF's document id) and never from a title's position or its ASCII letters
alone: "فصل 4." and "4." once both became `4`. An id is readable when its key is plain ASCII
(`Malaria` → `malaria`); a key with letters slug() would drop (Arabic, Chinese…) gets a short
hash of the whole key (`فصل 4.` → `4-1c9e0b7a`), so two different keys never share an id.
"""

from __future__ import annotations

import hashlib
import unicodedata

from content.model import slug

HASH_CHARS = 8


def key_hash(key: str, chars: int = HASH_CHARS) -> str:
    """A short, stable hash of a key (NFC, so the same words typed two ways give one hash)."""
    return hashlib.blake2b(unicodedata.normalize("NFC", key).encode(), digest_size=16).hexdigest()[:chars]


def _ascii_only(key: str) -> bool:
    """Whether slug() keeps every letter and digit of `key` (accents aside)."""
    folded = unicodedata.normalize("NFKD", key)
    return all(ch.isascii() for ch in folded if unicodedata.category(ch)[0] in "LN")


def stable_id(key: str, max_length: int = 60) -> str:
    """A readable id for `key` when slug() keeps all its letters, else a slug with a hash of the key."""
    readable = slug(key, "", max_length=max_length)
    if readable and _ascii_only(key):
        return readable
    short = slug(key, "", max_length=max_length - HASH_CHARS - 1)
    return f"{short}-{key_hash(key)}" if short else key_hash(key)


def hashed_id(readable: str, identity: str, max_length: int = 60) -> str:
    """A readable slug of a title joined to a hash of the source's own identifier."""
    short = slug(readable, "", max_length=max_length - HASH_CHARS - 1)
    return f"{short}-{key_hash(identity)}" if short else key_hash(identity)


def stable_ids(keys: list[str]) -> list[str]:
    """stable_id() of each key; keys whose readable ids meet ("A" and "a") all get hashed ones,
    so each id depends only on its own key and on which keys it could be mistaken for."""
    ids = [stable_id(key) for key in keys]
    owners: dict[str, set[str]] = {}
    for key, found in zip(keys, ids, strict=True):
        owners.setdefault(found, set()).add(key)
    result = []
    for key, found in zip(keys, ids, strict=True):
        if len(owners[found]) > 1:
            found = hashed_id(key, key)
        result.append(found)
    seen: dict[str, int] = {}
    unique = []
    for found in result:  # the same key twice (a spine listing a chapter twice) stays unique
        seen[found] = seen.get(found, 0) + 1
        unique.append(found if seen[found] == 1 else f"{found[:70]}-{seen[found]}")
    return unique
