"""USB bundles: progress and courses carried between hubs on a stick, as a tree of plain files.

    <stick>/commons-hub/<device id>/          one folder per hub that wrote to the stick
        bundle.json                           signed by that hub; written last
        logs/<writer id>/<first>-<last>.jsonl change lines of one device, each signed by it
        courses/<course id>/manifest.json     a course's manifest (and .minisig) exactly as stored
    <stick>/commons-hub/blobs/sha256/ab/<hash> course files, one copy for every hub on the stick

A hub writes only its own folder and reads every other one, so one stick serves several
hubs. bundle.json lists each file (size, sha256, parts when split for FAT32), the writers'
public keys, the hub's knowledge vector and its catalog (course ids and versions): the
acknowledgement that tells the others what it holds. Export adds only what is new (and drops
files every known peer acknowledged); import reads and checks every progress file first
(`read_stick`), then `apply` merges it in one transaction, so a refused stick changes nothing.
Courses are checked one by one (`check_course`: the publisher's signature, every blob's hash)
and the hub imports each whole or refuses it alone. See docs/sync.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.blobs import BlobStore, blob_relpath
from content.errors import ContentError
from content.model import ID_PATTERN, SHA256_PATTERN
from content.package import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    MAX_SIGNATURE_BYTES,
    SIGNATURE,
    canonical_json,
    check_signature,
    decode_manifest,
)
from content.signing import PublicKey, UnknownSigner, UnverifiedContent
from sync import storage, store
from sync.device import Device, public_key_matches, verify
from sync.merge import change_learner, is_change
from sync.ownership import givers
from sync.split import (
    PART_SIZE,
    StickFileError,
    changed_message,
    copy_parts,
    read_parts,
    remove,
    write_parts,
)

ROOT = "commons-hub"
BLOBS = "blobs"  # beside the hubs' folders: shared by all of them
COURSES = "courses"
BUNDLE_FILE = "bundle.json"
FORMAT = "commons-hub-bundle"
VERSION = 1
SEGMENT_LINES = 5000
MAX_BUNDLE_BYTES = 64 * 1024**2  # a bundle.json lists files, not changes: far below this
SHOWN_BUNDLE_BYTES = 4 * 1024**2  # what the admin's page reads of one to show who wrote it
BUNDLE_CONTEXT = b"commons-hub bundle v1\n"

Progress = Callable[[int, int, str], None]


class BundleError(Exception):
    """The stick cannot be used as it is; the message tells the person what happened and what to do."""


class NotIntroduced(BundleError):
    """Every hub folder on the stick was written by a device this hub has not been introduced to."""

    def __init__(self, devices: list[str]) -> None:
        self.devices = devices
        super().__init__(
            "No folder on this stick was read: this hub has not been introduced to the hubs that wrote "
            f"them (device ids: {', '.join(devices)}). Check each id on its hub before you trust it."
        )


def no_progress(done: int, total: int, message: str) -> None:
    """Progress reports go nowhere unless a caller shows them."""


# --- export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    changes_written: int
    files_written: int
    files_dropped: int
    courses_carried: int = 0
    courses_written: int = 0  # courses whose manifest was written anew (the others were on the stick)
    blob_bytes_copied: int = 0


@dataclass(frozen=True)
class OutgoingCourse:
    """A course as this hub stores it: the exact manifest bytes, their signature, its files."""

    id: str
    version: int
    manifest: bytes
    signature: bytes | None
    files: dict[str, Path]  # sha256 → the blob in this hub's store


def catalog(db: Database) -> dict[str, int]:
    """Every course this hub holds and its version: the catalog its bundle.json acknowledges."""
    return {str(course): int(version) for course, version in db.execute("SELECT id, version FROM courses")}


def destinations(db: Database, own: str, stick: Path) -> set[str]:
    """The known hubs whose folders are on the stick (it goes back to them), else every hub this
    one has heard from."""
    root = stick / ROOT
    present = {p.name for p in root.iterdir() if p.is_dir()} - {own, BLOBS} if root.is_dir() else set()
    peers = db.execute("SELECT peer_id FROM peer_knowledge UNION SELECT peer_id FROM peer_catalog")
    known = {row[0] for row in peers}
    return (present & known) or known


def courses_to_carry(db: Database, own: str, stick: Path) -> dict[str, int]:
    """The courses (and versions) a destination of the stick may lack: those it has not acknowledged;
    when this hub has heard from no hub, every course goes."""
    going_to = destinations(db, own, stick)
    held = catalog(db)
    if not going_to:
        return held
    rows = db.execute("SELECT peer_id, course_id, version FROM peer_catalog")
    acknowledged = {(peer, course): version for peer, course, version in rows}
    return {
        course: version
        for course, version in held.items()
        if any(acknowledged.get((peer, course), 0) < version for peer in going_to)
    }


def _own_files(folder: Path, device: Device) -> list[dict[str, Any]]:
    """The files this hub wrote on the stick before and that are still intact."""
    try:
        signed = _read_signed(folder, device.id, device.public_key)
    except BundleError:
        return []  # a damaged folder of our own is simply written again
    intact = []
    for entry in signed["files"]:
        try:
            b"".join(read_parts(folder / entry["path"], entry["parts"], entry["sha256"], entry["path"]))
        except StickFileError:
            continue
        intact.append(entry)
    return intact


def _acknowledged(db: Database, own: str) -> dict[str, int]:
    """Per device, the counter every peer this hub has heard from holds (0 if none has). This hub's
    own changes count as held only once a central server, or a hub that reaches one, holds them:
    a hub that never meets the centre is no safe keeper of the only other copy."""
    peers = [r[0] for r in db.execute("SELECT DISTINCT peer_id FROM peer_knowledge")]
    if not peers:
        return {}
    floor: dict[str, int] = {}
    for device, lowest, holders in db.execute(
        "SELECT device_id, min(counter), count(*) FROM peer_knowledge"
        " WHERE device_id != ? GROUP BY device_id",
        [own],
    ):
        if holders == len(peers):
            floor[device] = lowest
    (kept,) = db.execute(
        "SELECT max(counter) FROM peer_knowledge k JOIN peer_centres c ON c.peer_id = k.peer_id"
        " WHERE k.device_id = ?",
        [own],
    ).fetchone()
    if kept is not None:
        floor[own] = kept
    return floor


def export(
    db: Database,
    device: Device,
    stick: Path,
    progress: Progress = no_progress,
    courses: Sequence[OutgoingCourse] = (),
    part_size: int = PART_SIZE,
    name: str = "",
    centre: str | None = None,
    scope: Collection[str] | None = None,
    retractions: Sequence[bytes] = (),
) -> ExportResult:
    """Write this hub's folder on the stick: new changes, `courses`, its acknowledgements, a new
    bundle.json. Blobs already on the stick are read back and kept when whole, copied otherwise.
    `name` is the hub's name, shown to the admins of other hubs beside its device id; `centre`
    the device id of the central server it reaches (its own, if it is one), so the others know
    their changes held here will reach the centre. A central server carries other devices'
    changes only where they concern the stick's destinations (`scope`), as its pulls do
    (sync/feed.py): a hub passing others' changes on carries all it holds. `retractions` are signed
    statements (content/retraction.py) carried as they are; each hub checks them itself.

    This device's changes must be signed first (store.sign_pending, in a transaction).
    """
    refuse_links(stick)
    folder = stick / ROOT / device.id
    acknowledged = _acknowledged(db, device.id)
    kept, dropped = [], 0
    for entry in _own_files(folder, device):
        if entry["last"] <= acknowledged.get(entry["writer"], 0):
            remove(folder / entry["path"])
            dropped += 1
        else:
            kept.append(entry)
    held = dict(acknowledged)
    for entry in kept:
        held[entry["writer"]] = max(held.get(entry["writer"], 0), entry["last"])
    vector = store.knowledge(db)
    total = sum(max(0, vector[d] - held.get(d, 0)) for d in vector)
    written: list[dict[str, Any]] = []
    done = 0
    concerned = None if scope is None else concerning(db, scope)
    for writer in sorted(vector):
        batch: list[store.LoggedChange] = []
        first = held.get(writer, 0) + 1
        for logged in store.changes_above(db, held, writer):
            if logged.signature is None:
                raise BundleError(f"change {logged.counter} of device {writer} is not signed yet")
            if (
                writer != device.id
                and concerned is not None
                and change_learner(logged.change) not in concerned
            ):
                continue
            batch.append(logged)
            if len(batch) == SEGMENT_LINES:
                written.append(_write_segment(folder, writer, first, batch))
                first, batch = batch[-1].counter + 1, []
                done += SEGMENT_LINES
                progress(done, total, f"progress of device {writer}")
        if batch:
            written.append(_write_segment(folder, writer, first, batch))
            done += len(batch)
            progress(done, total, f"progress of device {writer}")
    carried, courses_written, blob_bytes = _write_courses(folder, courses, progress, part_size)
    files = kept + written
    keys = dict(db.execute("SELECT id, public_key FROM devices").fetchall()) | {device.id: device.public_key}
    writers = {e["writer"] for e in files} | {device.id} | (givers(db) & keys.keys())
    signed = {
        "format": FORMAT,
        "version": VERSION,
        "device": device.id,
        "name": name,
        "central": centre,
        "public_key": device.public_key,
        "written_at": store.now(),
        "knowledge": vector,
        "devices": {w: keys[w] for w in sorted(writers)},
        "files": files,
        "catalog": catalog(db),
        "courses": carried,
        "retractions": [document.decode() for document in retractions],
    }
    document = {"signed": signed, "signature": device.sign(BUNDLE_CONTEXT + canonical_json(signed))}
    write_parts(folder / BUNDLE_FILE, [json.dumps(document, indent=1, sort_keys=True).encode()])
    _sweep_blobs(stick / ROOT)
    return ExportResult(folder, done, len(written), dropped, len(carried), courses_written, blob_bytes)


def concerning(db: Database, devices: Collection[str]) -> set[str]:
    """The learners that concern these devices: theirs, and those brought to them (sync/feed.py)."""
    marks = storage.marks(list(devices))
    rows = db.execute(
        f"SELECT learner_id FROM learner_writers WHERE device_id IN ({marks})"
        f" UNION SELECT learner_id FROM learner_followers WHERE device_id IN ({marks})",
        [*devices, *devices],
    )
    return {row[0] for row in rows}


def _line(logged: store.LoggedChange) -> bytes:
    return canonical_json(
        {"change": logged.change, "counter": logged.counter, "device": logged.device, "sig": logged.signature}
    )


def _write_segment(folder: Path, writer: str, first: int, batch: list[store.LoggedChange]) -> dict[str, Any]:
    last = batch[-1].counter
    path = f"logs/{writer}/{first:012d}-{last:012d}.jsonl"
    size, sha256, parts = write_parts(folder / path, [b"".join(_line(c) + b"\n" for c in batch)])
    return {"path": path, "writer": writer, "first": first, "last": last, "size": size, "sha256": sha256,
            "parts": parts}  # fmt: skip


def _write_courses(
    folder: Path, courses: Sequence[OutgoingCourse], progress: Progress, part_size: int
) -> tuple[list[dict[str, Any]], int, int]:
    """Put each course's manifest in this hub's folder and its blobs in the shared blob folder.

    Returns the bundle.json entries, how many manifests were written and the blob bytes copied.
    """
    place = folder / COURSES
    if place.is_dir():
        for old in place.iterdir():
            if old.name not in {course.id for course in courses}:
                shutil.rmtree(old)  # every destination holds it now
    blob_sizes = {sha256: path.stat().st_size for course in courses for sha256, path in course.files.items()}
    total, done, copied, written, entries = sum(blob_sizes.values()), 0, 0, 0, []
    for course in courses:
        fresh = _write_if_changed(place / course.id / MANIFEST, course.manifest)
        if course.signature is None:
            remove(place / course.id / SIGNATURE)
        else:
            fresh = _write_if_changed(place / course.id / SIGNATURE, course.signature) or fresh
        written += fresh
        parts: dict[str, list[int]] = {}
        for sha256, path in sorted(course.files.items()):
            parts[sha256], more = _copy_blob(path, folder.parent / blob_relpath(sha256), blob_sizes[sha256],
                                             sha256, part_size)  # fmt: skip
            copied += more
            done += blob_sizes[sha256]
            progress(done, total, f"files of course {course.id}")
        signature = _described(course.signature) if course.signature is not None else None
        entries.append({"id": course.id, "version": course.version, "manifest": _described(course.manifest),
                        "signature": signature, "blobs": parts})  # fmt: skip
    return entries, written, copied


def _copy_blob(source: Path, target: Path, size: int, sha256: str, part_size: int) -> tuple[list[int], int]:
    """Copy a blob onto the stick unless it is there whole, then read it back: a file of the right
    size damaged on the stick (or a bad sector under a fresh copy) is copied again, once."""
    sizes, copied = copy_parts(source, target, size, part_size)
    if not _reads_back(target, sizes, sha256):
        remove(target)
        for unfinished in target.parent.glob(f"{target.name}*.part"):
            unfinished.unlink()
        sizes, more = copy_parts(source, target, size, part_size)
        copied += more
        if not _reads_back(target, sizes, sha256):
            raise BundleError(
                f"the stick does not keep what is written to it ({target.name} reads back changed): "
                "use another stick"
            )
    return sizes, copied


def _reads_back(target: Path, sizes: list[int], sha256: str) -> bool:
    try:
        for _ in read_parts(target, sizes, sha256, target.name):
            pass
    except StickFileError:
        return False
    return True


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    write_parts(path, [data])
    return True


def _described(data: bytes) -> dict[str, Any]:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _sweep_blobs(root: Path) -> None:
    """Delete the blobs no folder on the stick lists any more (every destination holds their courses)."""
    referenced: set[str] = set()
    for folder in root.iterdir():
        if folder.is_dir() and folder.name != BLOBS:
            try:
                signed = _bundle_document(folder)["signed"]
                referenced.update(sha256 for entry in signed.get("courses", []) for sha256 in entry["blobs"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                return  # a folder this hub cannot read may still need every blob
    for path in (root / BLOBS).glob("sha256/*/*"):
        if path.name[:64] not in referenced:
            path.unlink()


# --- import: read and check everything, then apply --------------------------------------


@dataclass(frozen=True)
class OfferedCourse:
    """A course a folder on the stick carries, as its signed bundle.json lists it (not yet checked)."""

    folder: Path
    id: str
    version: int
    manifest: dict[str, Any]  # size and sha256
    signature: dict[str, Any] | None
    blobs: dict[str, list[int]]  # sha256 → the size of each part on the stick

    @property
    def place(self) -> Path:
        """The package folder: manifest.json and its .minisig (the blobs are shared, beside it)."""
        return self.folder / COURSES / self.id


def _offered(folder: Path, entry: dict[str, Any]) -> OfferedCourse:
    course_id, blobs = entry["id"], entry["blobs"]
    names = [course_id, *blobs]
    if not re.match(ID_PATTERN, course_id) or any(not re.match(SHA256_PATTERN, s) for s in blobs):
        raise BundleError(f"{folder.name}/{BUNDLE_FILE} names a file outside its folder: {names}")
    signature = entry["signature"]
    described = [entry["manifest"], *([signature] if signature is not None else [])]
    if any(not isinstance(d["size"], int) or not isinstance(d["sha256"], str) for d in described):
        raise TypeError("a file is not described by its size and sha256")
    parts = {sha256: [int(size) for size in sizes] for sha256, sizes in blobs.items()}
    return OfferedCourse(folder, course_id, int(entry["version"]), entry["manifest"], signature, parts)


@dataclass
class Incoming:
    """What a stick brings, checked; nothing of it is stored until `apply`."""

    peers: dict[str, dict[str, int]] = field(default_factory=dict)  # signer → its knowledge vector
    keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # device → (key, introduced by)
    segments: list[tuple[dict[str, Any], list[tuple[int, dict[str, Any], str]]]] = field(default_factory=list)
    not_introduced: list[str] = field(default_factory=list)  # devices whose folders were not read
    catalogs: dict[str, dict[str, int]] = field(default_factory=dict)  # signer → course → version it holds
    centres: dict[str, str] = field(default_factory=dict)  # signer → the central server it reaches
    courses: list[OfferedCourse] = field(default_factory=list)  # checked one by one: check_course
    retractions: list[bytes] = field(default_factory=list)  # signed statements, checked by the hub

    @property
    def change_count(self) -> int:
        return sum(len(lines) for _, lines in self.segments)


def _bundle_document(folder: Path, limit: int = MAX_BUNDLE_BYTES) -> Any:
    """A folder's bundle.json parsed, unchecked; ValueError when it is too large or too deep to be one."""
    path = folder / BUNDLE_FILE
    if path.stat().st_size > limit:
        raise ValueError(f"{path} is larger than any bundle.json")
    try:
        return json.loads(path.read_bytes())
    except RecursionError:
        raise ValueError(f"{path} is nested deeper than any bundle.json") from None


def refuse_links(stick: Path) -> None:
    """Refuse a stick whose bundle folder holds a symbolic link: a bundle never has one, and a link
    could make an export write or delete outside the stick (say, into the hub's own files)."""
    root = stick / ROOT
    if root.is_symlink():
        raise BundleError(f"{root} is a link, which no bundle has: nothing was read or written")
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            if os.path.islink(os.path.join(folder, name)):
                shown = Path(folder, name).relative_to(stick)
                raise BundleError(
                    f"the stick holds a link ({shown}), which no bundle has: nothing was read or written. "
                    "Remove it, or use another stick"
                )


@dataclass(frozen=True)
class StickFolder:
    """A hub's folder on a stick as its bundle.json says, unchecked: what an admin is shown first."""

    device: str
    name: str = ""
    written_at: str = ""
    readable: bool = False  # False: bundle.json is missing or damaged (an export that did not finish)


def folders_on(stick: Path) -> list[StickFolder]:
    """The hubs that wrote onto the stick, by device id; nothing here is trusted (read_stick checks)."""
    root = stick / ROOT
    if not root.is_dir() or root.is_symlink():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name != BLOBS):
        try:
            signed = _bundle_document(folder, SHOWN_BUNDLE_BYTES)["signed"]
            name, written_at = str(signed.get("name", "")), str(signed["written_at"])
            found.append(StickFolder(folder.name, name, written_at, readable=True))
        except (OSError, ValueError, KeyError, TypeError):
            found.append(StickFolder(folder.name))
    return found


def _read_signed(folder: Path, device_id: str, public_key: str | None) -> dict[str, Any]:
    """A folder's bundle.json, its signature checked (with `public_key`, or the key it names)."""
    shown = f"{folder.name}/{BUNDLE_FILE}"
    path = folder / BUNDLE_FILE
    if not path.is_file():
        raise BundleError(
            f"{shown} is missing: the export onto this stick did not finish. Export again on that hub."
        )
    try:
        document = _bundle_document(folder)
        signed, signature = document["signed"], document["signature"]
        if signed["format"] != FORMAT:
            raise BundleError(f"{shown} is not a Commons Hub bundle")
    except (ValueError, KeyError, TypeError):
        raise BundleError(
            f"{shown} is damaged or incomplete (the copy may have been cut short). Export again on that hub."
        ) from None
    if signed["version"] != VERSION:
        raise BundleError(f"{shown} is bundle version {signed['version']}; this hub reads version {VERSION}")
    key = public_key or signed.get("public_key", "")
    if signed.get("device") != device_id or not public_key_matches(device_id, key):
        raise BundleError(f"{shown} does not belong to device {device_id}: the stick was tampered with")
    if not verify(key, BUNDLE_CONTEXT + canonical_json(signed), signature):
        raise BundleError(f"{shown} was changed after device {device_id} signed it: nothing was imported")
    return signed


def known_devices(db: Database) -> tuple[dict[str, str], set[str]]:
    """Every device key this hub knows, and the devices an admin introduced (they may sign bundles)."""
    rows = db.execute("SELECT id, public_key, introduced_by FROM devices").fetchall()
    return {r[0]: r[1] for r in rows}, {r[0] for r in rows if r[2] is None}


def read_stick(
    db: Database, own: str, stick: Path, trust: set[str], progress: Progress = no_progress
) -> Incoming:
    """Check every folder on the stick written by a hub this one trusts; raise BundleError if any is bad.

    `trust` holds device ids the admin introduces now (checked by comparing ids, see docs/sync.md).
    """
    root = stick / ROOT
    if not root.is_dir():
        raise BundleError(f"{stick} holds no Commons Hub bundle (no {ROOT} folder)")
    refuse_links(stick)
    known, introduced = known_devices(db)
    incoming = Incoming()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name not in (own, BLOBS))
    for folder in folders:
        signer = folder.name
        if signer not in introduced and signer not in trust:
            incoming.not_introduced.append(signer)
            continue
        signed = _read_signed(folder, signer, known.get(signer))
        try:
            _read_folder(folder, signed, known, incoming, progress)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BundleError(f"{signer}/{BUNDLE_FILE} is not laid out as this hub expects") from None
        if signer not in introduced:
            incoming.keys[signer] = (signed["public_key"], None)  # introduced by the admin now
    if folders and not incoming.peers and incoming.not_introduced:
        raise NotIntroduced(incoming.not_introduced)
    return incoming


def _read_folder(
    folder: Path, signed: dict[str, Any], known: dict[str, str], incoming: Incoming, progress: Progress
) -> None:
    signer, keys = folder.name, signed["devices"]
    for writer, key in keys.items():
        if not public_key_matches(writer, key) or (writer in known and known[writer] != key):
            raise BundleError(f"{signer}/{BUNDLE_FILE} gives a wrong key for device {writer}")
        if writer not in known:
            incoming.keys.setdefault(writer, (key, signer))
    incoming.peers[signer] = {str(d): int(c) for d, c in signed["knowledge"].items()}
    if isinstance(signed.get("central"), str):
        incoming.centres[signer] = signed["central"]
    incoming.catalogs[signer] = {str(c): int(v) for c, v in signed.get("catalog", {}).items()}
    incoming.courses.extend(_offered(folder, entry) for entry in signed.get("courses", []))
    incoming.retractions.extend(document.encode() for document in signed.get("retractions", []))
    for number, entry in enumerate(signed["files"], 1):
        progress(number, len(signed["files"]), f"checking {signer[:8]}…/{entry['path']}")
        incoming.segments.append((entry, _read_segment(folder, entry, keys[entry["writer"]])))


def _read_segment(folder: Path, entry: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any], str]]:
    shown = f"{folder.name}/{entry['path']}"
    if ".." in Path(entry["path"]).parts or Path(entry["path"]).is_absolute():
        raise BundleError(f"{folder.name}/{BUNDLE_FILE} names a file outside its folder: {entry['path']}")
    try:
        data = b"".join(read_parts(folder / entry["path"], entry["parts"], None, shown))
    except StickFileError as error:
        raise BundleError(f"{error}. Nothing was imported; export again on that hub.") from None
    writer, previous, lines = entry["writer"], entry["first"] - 1, []
    for number, raw in enumerate(data.splitlines(), 1):
        try:
            line = json.loads(raw)
            counter, change, signature = line["counter"], line["change"], line["sig"]
            ok = line["device"] == writer and previous < counter <= entry["last"] and is_change(change)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok or not verify(key, store.signed_bytes(writer, counter, change), signature):
            raise BundleError(
                f"line {number} of {shown} was changed or is not a change device {writer} signed: "
                "nothing was imported"
            )
        previous = counter
        lines.append((counter, change, signature))
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:  # lines removed, reordered or added
        raise BundleError(f"{changed_message(shown)}: nothing was imported")
    return lines


@dataclass(frozen=True)
class ImportResult:
    new_changes: int
    waiting: list[str]  # segments that must wait for earlier changes this stick does not carry
    refused: int = 0  # changes about learners their device may not write about (sync/ownership.py)


def apply(db: Database, incoming: Incoming) -> ImportResult:
    """Store what `read_stick` checked. Call in one transaction: all of it becomes visible at once."""
    stamp = store.now()
    for device, (key, introduced_by) in incoming.keys.items():
        db.execute(
            "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET introduced_by = NULL WHERE excluded.introduced_by IS NULL",
            [device, key, introduced_by, stamp],
        )
    held = store.knowledge(db)
    outcomes, waiting = [], []
    for entry, lines in sorted(incoming.segments, key=lambda s: (s[0]["writer"], s[0]["first"])):
        writer = entry["writer"]
        if entry["first"] > held.get(writer, 0) + 1:
            waiting.append(
                f"changes {entry['first']}–{entry['last']} of device {writer} wait for changes "
                f"{held.get(writer, 0) + 1}–{entry['first'] - 1}, which this stick does not carry"
            )
            continue
        try:
            for counter, change, signature in lines:
                if counter > held.get(writer, 0):
                    outcomes.append(store.receive(db, writer, counter, change, signature))
                else:  # held already: it must be the very same change
                    store.holds(db, writer, counter, signature)
        except store.DeviceConflict as error:
            raise BundleError(f"The stick was not imported: {error}.") from None
        held[writer] = max(held.get(writer, 0), entry["last"])
    for peer, vector in incoming.peers.items():
        storage.executemany(
            db,
            "INSERT INTO peer_knowledge (peer_id, device_id, counter) VALUES (?, ?, ?)"
            " ON CONFLICT(peer_id, device_id)"
            " DO UPDATE SET counter = greatest(peer_knowledge.counter, excluded.counter)",
            [(peer, device, counter) for device, counter in vector.items()],
        )
    storage.executemany(
        db,
        "INSERT INTO peer_centres (peer_id, centre_id) VALUES (?, ?)"
        " ON CONFLICT(peer_id) DO UPDATE SET centre_id = excluded.centre_id",
        list(incoming.centres.items()),
    )
    for peer, courses in incoming.catalogs.items():
        storage.executemany(
            db,
            "INSERT INTO peer_catalog (peer_id, course_id, version) VALUES (?, ?, ?)"
            " ON CONFLICT(peer_id, course_id)"
            " DO UPDATE SET version = greatest(peer_catalog.version, excluded.version)",
            [(peer, course, version) for course, version in courses.items()],
        )
    return ImportResult(outcomes.count(store.Received.NEW), waiting, outcomes.count(store.Received.REFUSED))


# --- courses: each checked whole, then imported by the hub ------------------------------


def courses_wanted(db: Database, incoming: Incoming) -> list[OfferedCourse]:
    """Of the courses the stick carries, the newest of each this hub does not hold at that version."""
    held, newest = catalog(db), {}
    for offered in incoming.courses:
        best = newest.get(offered.id)
        if offered.version > held.get(offered.id, 0) and (best is None or offered.version > best.version):
            newest[offered.id] = offered
    return [newest[course] for course in sorted(newest)]


def check_course(
    offered: OfferedCourse,
    blobs: BlobStore,
    trusted: Collection[PublicKey],
    allow_unverified: bool = False,
    progress: Progress = no_progress,
) -> Path:
    """Check one course on the stick and put its blobs into `blobs`; return its package folder.

    Raises BundleError, refusing this course only, when its manifest is cut short or changed,
    its signature does not match or (unless `allow_unverified`) no trusted key made it, or a
    blob is missing, cut short or damaged (split parts are read back whole and hashed). Blobs
    put into the store stay invisible until a course that uses them is imported.
    """
    shown = f"Course {offered.id} (version {offered.version})"
    try:
        raw = _read_small(offered.place / MANIFEST, offered.manifest, MAX_MANIFEST_BYTES)
        signature = None
        if offered.signature is not None:
            signature = _read_small(offered.place / SIGNATURE, offered.signature, MAX_SIGNATURE_BYTES)
        signer = check_signature(raw, signature, trusted)
        if not allow_unverified and signer is None:
            raise UnverifiedContent(
                "it is not signed, so this hub cannot tell who made it; take unverified courses"
                " only if you know where they come from"
            )
        if not allow_unverified and signer is not None and signer.verified_by is None:
            raise UnknownSigner(signer.key_id)
        manifest = decode_manifest(raw)
        if (manifest.course.id, manifest.course.version) != (offered.id, offered.version):
            raise ContentError(f"its manifest is of {manifest.course.id} version {manifest.course.version}")
        files = manifest.files()
        total, done = sum(ref.size for ref in files.values()), 0
        for sha256, ref in sorted(files.items()):
            if not blobs.has(sha256):
                if sha256 not in offered.blobs:
                    raise ContentError(f"the stick does not carry its file {ref.name!r}")
                stick_file = offered.folder.parent / blob_relpath(sha256)
                chunks = read_parts(stick_file, offered.blobs[sha256], sha256, f"its file {ref.name!r}")
                blobs.put_stream(chunks, sha256, ref.size)
            done += ref.size
            progress(done, total, f"checking course {offered.id}")
    except (StickFileError, ContentError) as error:
        raise BundleError(f"{shown} was not imported: {str(error).rstrip('.')}.") from None
    return offered.place


def _read_small(path: Path, described: dict[str, Any], limit: int) -> bytes:
    """A manifest or signature file, checked against its bundle entry (and never read if too large)."""
    if described["size"] > limit:
        raise ContentError(f"its {path.name} is larger than any this hub reads")
    return b"".join(read_parts(path, [described["size"]], described["sha256"], f"its {path.name}"))
