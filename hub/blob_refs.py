"""Which course uses which blob: the reference counts that let a removal free only what nobody uses.

`course_files` lists each course's blobs; triggers (migration 19) keep `files.users`, the number
of courses using each blob. A blob whose count falls to zero is released: its `files` row goes and
its hash is listed in `freed_blobs`, in the same transaction; hub/library_keep.py deletes the file
afterwards. Each course keeps its size and the part of it other courses share (`courses.size_bytes`,
`courses.shared_bytes`), and the library its total (settings `library_bytes`), all worked out here at
every change, so the storage view reads them instead of adding up blobs per request.

Every function runs inside the caller's write transaction (hub.db.transaction).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

from sqlite_utils import Database

from content.model import FileRef

LIBRARY_BYTES = "library_bytes"


def json_list(values: Collection[str]) -> str:
    return json.dumps(sorted(values))


def count_course(db: Database, course_id: str, files: Mapping[str, FileRef]) -> None:
    """Record that `course_id` now uses exactly `files` (a new course, or a new version of one).

    Blobs an older version used and this one does not are released, so an update frees them too."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO files (sha256, size, media_type, name) VALUES (?, ?, ?, ?)",
        [(f.sha256, f.size, f.media_type, f.name) for f in files.values()],
    )
    before = {
        row[0] for row in db.execute("SELECT sha256 FROM course_files WHERE course_id = ?", [course_id])
    }
    gone, added = before - set(files), set(files) - before
    db.conn.executemany(
        "DELETE FROM course_files WHERE course_id = ? AND sha256 = ?", [(course_id, s) for s in gone]
    )
    db.conn.executemany(
        "INSERT INTO course_files (course_id, sha256) VALUES (?, ?)", [(course_id, s) for s in added]
    )
    db.execute(
        "UPDATE courses SET size_bytes = ? WHERE id = ?", [sum(f.size for f in files.values()), course_id]
    )
    release(db, gone)
    reshare(db, before | set(files))  # this course's row may be new (INSERT OR REPLACE): all of it
    keep_total(db)


def forget_course(db: Database, course_id: str) -> int:
    """Drop a course's claims on its blobs (before its row goes); return the bytes released."""
    blobs = {row[0] for row in db.execute("SELECT sha256 FROM course_files WHERE course_id = ?", [course_id])}
    db.execute("DELETE FROM course_files WHERE course_id = ?", [course_id])
    freed = release(db, blobs)
    reshare(db, blobs)
    keep_total(db)
    return freed


def release(db: Database, blobs: Collection[str]) -> int:
    """Of these blobs, release those no course uses any more; return their bytes."""
    if not blobs:
        return 0
    unused = "SELECT sha256 FROM files WHERE users <= 0 AND sha256 IN (SELECT value FROM json_each(?))"
    freed = db.execute(
        f"SELECT coalesce(sum(size), 0) FROM files WHERE sha256 IN ({unused})", [json_list(blobs)]
    )
    size = int(freed.fetchone()[0])
    db.execute(f"INSERT OR IGNORE INTO freed_blobs (sha256) {unused}", [json_list(blobs)])
    db.execute(f"DELETE FROM files WHERE sha256 IN ({unused})", [json_list(blobs)])
    return size


def reshare(db: Database, blobs: Collection[str]) -> None:
    """Work out again the shared part of every course that uses one of these blobs."""
    if not blobs:
        return
    db.execute(
        """
        UPDATE courses SET shared_bytes = (
            SELECT coalesce(sum(f.size), 0) FROM course_files cf JOIN files f ON f.sha256 = cf.sha256
            WHERE cf.course_id = courses.id AND f.users > 1)
        WHERE id IN (SELECT DISTINCT course_id FROM course_files
                     WHERE sha256 IN (SELECT value FROM json_each(?)))
        """,
        [json_list(blobs)],
    )


def keep_total(db: Database) -> None:
    """The bytes of every blob some course uses, each counted once."""
    total = db.execute("SELECT coalesce(sum(size), 0) FROM files WHERE users > 0").fetchone()[0]
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [LIBRARY_BYTES, str(total)],
    )


def library_bytes(db: Database) -> int:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [LIBRARY_BYTES]).fetchone()
    return int(row[0]) if row else 0
