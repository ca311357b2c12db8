"""Which version of each course the index holds, kept in a small file beside it.

The writer thread needs this map at every start to see what changed in the library since. Read
from the index itself it means reading every course's stored document: 0.4 s at 10,000 courses,
growing with the library, while the hub answers its first pages. The file is written after each
commit and names the index generation it describes; a file for another generation (a crash
between the commit and the write, another program's write), or one that cannot be read, is
ignored and the map is read from the index as before, so the file can be stale but never wrong.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from content.author_writer import write_atomic

RECORD_FILE = "indexed-courses.json"

log = logging.getLogger(__name__)


def read_record(folder: Path, generation: int) -> dict[str, str] | None:
    """The course id → manifest sha256 map written for this index generation, or None."""
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        if record["generation"] != generation:
            return None
        courses = record["courses"]
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in courses.items()):
            return None
        return courses
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_record(folder: Path, generation: int, courses: dict[str, str]) -> None:
    """Keep the map for this generation, whole or not at all."""
    path = folder / RECORD_FILE
    try:
        write_atomic(path, json.dumps({"generation": generation, "courses": courses}))
    except OSError as error:  # only the next start is slower: it reads the map from the index
        log.warning("could not keep %s: %s", path, error)
