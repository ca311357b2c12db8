"""One round with a stick, whoever asks for it: `hub bundle …`, or the admin's buttons as jobs.

Export signs this hub's pending changes, then writes its folder. Import checks every progress
file on the stick before any of it is stored (one transaction), takes each course whole or
refuses it alone, and then (unless told not to) writes this hub's answer back onto the stick.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hub import jobs, retractions
from hub.db import transaction
from hub.home import Hub
from hub.plugins.bundles import courses, languages, pathways
from hub.plugins.sync.client import centre_device
from hub.settings import load_settings
from sync import bundle, store


def export_to(hub: Hub, stick: Path, progress: bundle.Progress = bundle.no_progress) -> bundle.ExportResult:
    """Write this hub's new progress, the courses its peers may lack and its acknowledgements.

    Raises BundleError, or OSError when the stick cannot be written (full, read-only, pulled out).
    """
    db = hub.sync_db_with_library()
    with transaction(db):
        store.sign_pending(db, hub.device)
    outgoing = courses.outgoing(hub, stick)
    name = load_settings(hub).hub_name
    centre = centre_device(hub)
    is_centre = centre == hub.device.id
    scope = bundle.destinations(db, hub.device.id, stick) if is_centre else None
    result = bundle.export(db, hub.device, stick, progress, outgoing, name=name, centre=centre, scope=scope,
                           retractions=retractions.documents(hub.db))  # fmt: skip
    if is_centre:  # its pathways go too, signed as sync hands them out
        pathways.write(hub, result.folder)
    languages.write(hub, result.folder)
    return result


@dataclass
class StickImport:
    """What a stick brought in, as plain data (a job keeps it as its result)."""

    hubs_read: int
    new_changes: int
    already_here: int
    changes_refused: int = 0  # about learners their writer may not write about (sync/ownership.py)
    not_introduced: list[str] = field(default_factory=list)  # device ids whose folders were not read
    waiting: list[str] = field(default_factory=list)  # progress that waits for earlier changes
    imported: list[dict[str, Any]] = field(default_factory=list)  # {"id", "version", "title"}
    refused: list[str] = field(default_factory=list)  # one plain sentence per course refused
    pathways: int = 0  # the central server's pathways taken in (0: none newer on the stick)
    pathways_refused: str = ""  # why its pathways on the stick were not taken in
    waiting_approval: list[str] = field(default_factory=list)  # "id vN" of updates waiting (hub/updates.py)
    retracted: int = 0  # retractions taken in (hub/retractions.py)
    retractions_refused: list[str] = field(default_factory=list)  # one plain sentence each
    languages: int = 0  # interface languages taken in or updated (hub/interface_languages.py)
    languages_refused: list[str] = field(default_factory=list)  # one plain sentence each
    written_back: dict[str, Any] | None = None  # the export's figures (see export_summary)
    write_back_error: str = ""  # why this hub's answer could not be written back (what came in stays)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_summary(result: bundle.ExportResult) -> dict[str, Any]:
    return {
        "folder": str(result.folder),
        "changes_written": result.changes_written,
        "files_written": result.files_written,
        "files_dropped": result.files_dropped,
        "courses_carried": result.courses_carried,
        "courses_written": result.courses_written,
        "bytes_copied": result.blob_bytes_copied,
    }


def import_from(
    hub: Hub,
    stick: Path,
    trust: set[str],
    allow_unverified: bool = False,
    write_back: bool = True,
    progress: bundle.Progress = bundle.no_progress,
) -> StickImport:
    """Take in what the stick carries; `trust` holds device ids an admin introduces now.

    Raises BundleError, leaving the hub as it was, when the progress on the stick does not all
    check out; a course that does not check out is only refused (listed in `refused`).
    """
    db = hub.sync_db
    incoming = bundle.read_stick(db, hub.device.id, stick, trust, progress)
    with transaction(db):
        applied = bundle.apply(db, incoming)
    taken = courses.take_in(hub, incoming, allow_unverified, progress)
    taken_pathways, pathways_refused = 0, ""
    try:
        taken_pathways = pathways.take(hub, stick, incoming)  # after the courses they list
    except pathways.PathwaysRefused as error:
        pathways_refused = str(error)
    taken_languages, languages_refused = languages.take(hub, stick, incoming)
    outcome = StickImport(
        hubs_read=len(incoming.peers),
        new_changes=applied.new_changes,
        already_here=incoming.change_count - applied.new_changes - applied.refused,
        changes_refused=applied.refused,
        not_introduced=incoming.not_introduced,
        waiting=applied.waiting,
        imported=[{"id": r.course_id, "version": r.version, "title": r.title} for r in taken.imported],
        refused=taken.refused,
        pathways=taken_pathways,
        pathways_refused=pathways_refused,
        waiting_approval=taken.waiting,
        retracted=taken.retracted,
        retractions_refused=taken.retractions_refused,
        languages=taken_languages,
        languages_refused=languages_refused,
    )
    if write_back:
        try:
            outcome.written_back = export_summary(export_to(hub, stick, progress))
        except bundle.BundleError as error:
            outcome.write_back_error = str(error)
        except OSError as error:
            outcome.write_back_error = f"could not write onto {stick}: {error.strerror or error}"
    return outcome


EXPORT_JOB = "bundle-export"
IMPORT_JOB = "bundle-import"


def _stick_of(params: dict[str, Any]) -> Path:
    stick = Path(params["stick"])
    if not stick.is_dir():
        raise jobs.JobError(f"{stick} is not there any more: was the USB stick removed?")
    return stick


@contextmanager
def _said_plainly(stick: Path) -> Iterator[None]:
    """A job's failure as the admin page shows it."""
    try:
        yield
    except bundle.BundleError as error:
        raise jobs.JobError(str(error)) from None
    except OSError as error:
        raise jobs.JobError(f"Could not read or write {stick}: {error.strerror or error}.") from None


def export_job(hub: Hub, params: dict[str, Any], report: jobs.Report) -> dict[str, Any]:
    stick = _stick_of(params)
    with _said_plainly(stick):
        return export_summary(export_to(hub, stick, report))


def import_job(hub: Hub, params: dict[str, Any], report: jobs.Report) -> dict[str, Any]:
    stick = _stick_of(params)
    with _said_plainly(stick):
        trust, allow_unverified = set(params["trust"]), bool(params["allow_unverified"])
        return import_from(hub, stick, trust, allow_unverified, progress=report).as_dict()
