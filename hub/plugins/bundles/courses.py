"""Courses on a USB stick: which ones this hub puts on it, and taking in the ones it carries.

The stick format and every check live in sync/bundle.py; this is the part that needs the
hub's library (sync/ does not import hub/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from content.errors import ContentError
from hub import imports, library, library_keep, retractions, updates
from hub.home import Hub
from hub.sources import STARTER, trusted_public_keys
from sync import bundle

ORIGIN = "stick"


def outgoing(hub: Hub, stick: Path) -> list[bundle.OutgoingCourse]:
    """Every course this hub holds that a destination of the stick has not acknowledged.

    Starter courses stay home: they come with the software, and being unsigned they would
    only be refused wherever the hub that lacks them does not allow unverified content.
    """
    starter = {row[0] for row in hub.db.execute("SELECT id FROM courses WHERE origin = ?", [STARTER])}
    courses = []
    for course_id, version in sorted(
        bundle.courses_to_carry(hub.sync_db_with_library(), hub.device.id, stick).items()
    ):
        if course_id in starter or retractions.is_retracted(hub.db, course_id, version):
            continue
        stored = library.stored_package(hub.db, hub.blobs, course_id)
        if stored is not None:
            courses.append(
                bundle.OutgoingCourse(course_id, version, stored.manifest_raw, stored.signature, stored.files)
            )
    return courses


@dataclass
class CoursesTaken:
    imported: list[library.ImportResult] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one plain sentence per course refused
    waiting: list[str] = field(default_factory=list)  # "id vN" of each update waiting for approval
    retracted: int = 0  # retractions taken in (hub/retractions.py)
    retractions_refused: list[str] = field(default_factory=list)


def take_in(
    hub: Hub,
    incoming: bundle.Incoming,
    allow_unverified: bool = False,
    progress: bundle.Progress = bundle.no_progress,
) -> CoursesTaken:
    """Import each course the stick carries that is newer than this hub's, whole or not at all.

    A course whose manifest, signature or blobs do not check out, or that does not fit on the disk,
    is refused alone, with a message; the others, and the progress, still come in. The retractions
    the stick carries are taken first (each checked alone); a new version may wait for approval
    (hub/updates.py).
    """
    taken, trusted = CoursesTaken(), trusted_public_keys(hub.db)
    # Retractions first, so a retracted course is not brought in.
    taken.retracted, taken.retractions_refused = retractions.take_all(hub, incoming.retractions)
    for offered in bundle.courses_wanted(hub.db, incoming):
        if updates.not_wanted(hub.db, offered.id, offered.version):
            continue
        needed = sum(sum(parts) for sha256, parts in offered.blobs.items() if not hub.blobs.has(sha256))
        if refusal := library_keep.room_refusal(f"Course {offered.id}", needed, imports.free_bytes(hub.home)):
            taken.refused.append(
                f"Course {offered.id} (version {offered.version}) was not imported: {refusal}."
            )
            continue  # refused before any of it is copied
        try:
            place = bundle.check_course(offered, hub.blobs, trusted, allow_unverified, progress)
            imported = updates.bring_in(hub, place, ORIGIN, allow_unverified=allow_unverified)
            if imported is None:
                taken.waiting.append(f"{offered.id} v{offered.version}")
            else:
                taken.imported.append(imported)
        except bundle.BundleError as error:
            taken.refused.append(str(error))
        except ContentError as error:
            taken.refused.append(
                f"Course {offered.id} (version {offered.version}) was not imported: {str(error).rstrip('.')}."
            )
    return taken
