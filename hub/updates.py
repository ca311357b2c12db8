"""New versions of courses that arrive on their own (from the central server, on a USB stick).

An admin chooses (Admin → Course updates) whether such a version replaces the one residents see
at once (automatic, the default) or waits until a tutor or an admin approves it. A waiting
version is checked exactly as an import checks it and its files are copied into the blob store
first; only its signed manifest waits here (`pending_versions`), so approving it is the import's
last step and cannot fail on a bad file. Declining keeps the current version, and the declined
one is not fetched again. New courses, and what a person imports or publishes, come in at once.

"Updated since you finished it": `course_updates` (written by hub/library.py) says when a version
replaced another here; a learner whose last lesson was completed before that sees the course's
"what changed".
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from content.errors import ContentError
from content.package import MANIFEST, SIGNATURE
from hub import library, retractions
from hub.db import transaction
from hub.home import WORK_FOLDER, Hub

POLICY_SETTING = "course_updates"
AUTOMATIC = "automatic"
APPROVAL = "approval"
POLICIES = (AUTOMATIC, APPROVAL)


def policy(hub: Hub) -> str:
    value = hub.setting(POLICY_SETTING, AUTOMATIC)
    return value if value in POLICIES else AUTOMATIC


def set_policy(hub: Hub, value: str) -> None:
    if value not in POLICIES:
        raise ValueError(f"the update policy is one of {', '.join(POLICIES)}")
    hub.set_setting(POLICY_SETTING, value)


@dataclass(frozen=True)
class PendingVersion:
    course_id: str
    version: int
    title: str
    what_changed: str
    origin: str
    received_at: str
    current_version: int


def bring_in(
    hub: Hub, path: Path, origin: str, *, allow_unverified: bool = False
) -> library.ImportResult | None:
    """Import a package that came on its own; None when it waits for approval instead.

    Raises ContentError as import_package does (nothing changes).
    """
    staged = library.stage_package(hub.db, hub.blobs, path, allow_unverified=allow_unverified)
    course = staged.manifest.course
    held = hub.db.execute("SELECT version FROM courses WHERE id = ?", [course.id]).fetchone()
    if held is None or held[0] >= course.version or policy(hub) == AUTOMATIC:
        return library.import_package(
            hub.db, hub.blobs, path, origin=origin, allow_unverified=allow_unverified
        )
    hub.db.execute(
        "INSERT INTO pending_versions (course_id, version, title, what_changed, origin, manifest, signature,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [course.id, course.version, course.title, course.what_changed, origin, staged.manifest_raw,
         staged.signature, library.now()],
    )  # fmt: skip
    return None


def awaiting(db: Database, course_id: str, version: int) -> bool:
    """Whether this version waits for approval here, or was declined (so it is not fetched again)."""
    row = db.execute(
        "SELECT 1 FROM pending_versions WHERE course_id = ? AND version = ?", [course_id, version]
    ).fetchone()
    return row is not None


def not_wanted(db: Database, course_id: str, version: int) -> bool:
    """A version a sync or a stick need not bring: waiting, declined, or retracted here."""
    return awaiting(db, course_id, version) or retractions.is_retracted(db, course_id, version)


def pending(db: Database) -> list[PendingVersion]:
    """Versions waiting for approval that are still newer than the one the hub shows."""
    rows = db.execute(
        "SELECT p.course_id, p.version, p.title, p.what_changed, p.origin, p.received_at, c.version"
        " FROM pending_versions p JOIN courses c ON c.id = p.course_id"
        " WHERE p.declined_at IS NULL AND p.version > c.version ORDER BY p.received_at, p.course_id"
    ).fetchall()
    return [PendingVersion(*row) for row in rows]


class NoSuchUpdate(ContentError):
    """The version is not waiting (approved or declined a moment ago, or never came)."""


def approve(hub: Hub, course_id: str, version: int) -> library.ImportResult:
    """Make a waiting version the one residents see (the import's last step)."""
    row = hub.db.execute(
        "SELECT manifest, signature, origin FROM pending_versions WHERE course_id = ? AND version = ?"
        " AND declined_at IS NULL",
        [course_id, version],
    ).fetchone()
    if row is None:
        raise NoSuchUpdate(f"version {version} of {course_id} is not waiting for approval")
    folder = hub.home / WORK_FOLDER / f"approve-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    try:
        (folder / MANIFEST).write_bytes(bytes(row[0]))
        if row[1] is not None:
            (folder / SIGNATURE).write_bytes(bytes(row[1]))
        result = library.import_package(
            hub.db, hub.blobs, folder, origin=row[2], allow_unverified=row[1] is None
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    hub.db.execute("DELETE FROM pending_versions WHERE course_id = ? AND version <= ?", [course_id, version])
    return result


def decline(hub: Hub, course_id: str, version: int) -> None:
    """Keep the current version; the declined one is not fetched or offered again."""
    with transaction(hub.db):
        cursor = hub.db.execute(
            "UPDATE pending_versions SET declined_at = ? WHERE course_id = ? AND version = ?"
            " AND declined_at IS NULL",
            [library.now(), course_id, version],
        )
        if cursor.rowcount == 0:
            raise NoSuchUpdate(f"version {version} of {course_id} is not waiting for approval")


def updated_since_finished(
    db: Database, learner_id: str, course_ids: list[str] | None = None
) -> dict[str, str]:
    """Course id → "what changed" of each course the learner finished before its current version came.

    Finished: every lesson of the course completed; the finish is the last completion.
    """
    rows = db.execute(
        "SELECT c.id, c.manifest FROM courses c JOIN course_updates u ON u.course_id = c.id"
        " AND u.version = c.version"
        " JOIN (SELECT course_id, count(completed_at) AS done, max(completed_at) AS finished FROM progress"
        "  WHERE learner_id = ? GROUP BY course_id) p ON p.course_id = c.id"
        " WHERE p.done >= c.lesson_count AND p.finished < u.applied_at",
        [learner_id],
    ).fetchall()
    found = {row[0]: str(json.loads(row[1]).get("what_changed", "")) for row in rows}
    return {k: v for k, v in found.items() if course_ids is None or k in course_ids}
