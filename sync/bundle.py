"""USB bundles: progress carried between hubs on a stick, as a tree of plain files.

    <stick>/commons-hub/<device id>/          one folder per hub that wrote to the stick
        bundle.json                           signed by that hub; written last
        logs/<writer id>/<first>-<last>.jsonl change lines of one device, each signed by it

A hub writes only its own folder and reads every other one, so one stick serves several
hubs. bundle.json lists each file (size, sha256, parts when split for FAT32), the writers'
public keys, and the hub's knowledge vector: the acknowledgement that tells the others what
it holds. Export adds only what is new (and drops files every known peer acknowledged);
import reads and checks everything first (`read_stick`), then `apply` merges it in one
transaction, so a refused stick changes nothing. See docs/sync.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.package import canonical_json
from sync import store
from sync.device import Device, public_key_matches, verify
from sync.merge import is_change
from sync.split import StickFileError, changed_message, read_parts, remove, write_parts

ROOT = "commons-hub"
BUNDLE_FILE = "bundle.json"
FORMAT = "commons-hub-bundle"
VERSION = 1
SEGMENT_LINES = 5000
BUNDLE_CONTEXT = b"commons-hub bundle v1\n"

Progress = Callable[[int, int, str], None]


class BundleError(Exception):
    """The stick cannot be used as it is; the message tells the person what happened and what to do."""


def _no_progress(done: int, total: int, message: str) -> None:
    """Progress reports go nowhere unless a caller shows them."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    changes_written: int
    files_written: int
    files_dropped: int


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


def _acknowledged(db: Database) -> dict[str, int]:
    """Per device, the counter every peer this hub has heard from holds (0 if none has)."""
    peers = [r[0] for r in db.execute("SELECT DISTINCT peer_id FROM peer_knowledge")]
    if not peers:
        return {}
    floor: dict[str, int] = {}
    for device, lowest, holders in db.execute(
        "SELECT device_id, min(counter), count(*) FROM peer_knowledge GROUP BY device_id"
    ):
        if holders == len(peers):
            floor[device] = lowest
    return floor


def export(db: Database, device: Device, stick: Path, progress: Progress = _no_progress) -> ExportResult:
    """Write this hub's folder on the stick: new changes, its acknowledgements, a new bundle.json.

    This device's changes must be signed first (store.sign_pending, in a transaction).
    """
    folder = stick / ROOT / device.id
    acknowledged = _acknowledged(db)
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
    for writer in sorted(vector):
        batch: list[store.LoggedChange] = []
        first = held.get(writer, 0) + 1
        for logged in store.changes_above(db, held, writer):
            if logged.signature is None:
                raise BundleError(f"change {logged.counter} of device {writer} is not signed yet")
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
    files = kept + written
    writers = {e["writer"] for e in files} | {device.id}
    keys = dict(db.execute("SELECT id, public_key FROM devices").fetchall()) | {device.id: device.public_key}
    signed = {
        "format": FORMAT,
        "version": VERSION,
        "device": device.id,
        "public_key": device.public_key,
        "written_at": _now(),
        "knowledge": vector,
        "devices": {w: keys[w] for w in sorted(writers)},
        "files": files,
    }
    document = {"signed": signed, "signature": device.sign(BUNDLE_CONTEXT + canonical_json(signed))}
    write_parts(folder / BUNDLE_FILE, [json.dumps(document, indent=1, sort_keys=True).encode()])
    return ExportResult(folder, done, len(written), dropped)


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


# --- import: read and check everything, then apply --------------------------------------


@dataclass
class Incoming:
    """What a stick brings, checked; nothing of it is stored until `apply`."""

    peers: dict[str, dict[str, int]] = field(default_factory=dict)  # signer → its knowledge vector
    keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # device → (key, introduced by)
    segments: list[tuple[dict[str, Any], list[tuple[int, dict[str, Any], str]]]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # folders not read, said in plain words

    @property
    def change_count(self) -> int:
        return sum(len(lines) for _, lines in self.segments)


def _read_signed(folder: Path, device_id: str, public_key: str | None) -> dict[str, Any]:
    """A folder's bundle.json, its signature checked (with `public_key`, or the key it names)."""
    shown = f"{folder.name}/{BUNDLE_FILE}"
    path = folder / BUNDLE_FILE
    if not path.is_file():
        raise BundleError(
            f"{shown} is missing: the export onto this stick did not finish. Export again on that hub."
        )
    try:
        document = json.loads(path.read_bytes())
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


def _trusted_keys(db: Database) -> tuple[dict[str, str], set[str]]:
    """Every device key this hub knows, and the devices an admin introduced (they may sign bundles)."""
    rows = db.execute("SELECT id, public_key, introduced_by FROM devices").fetchall()
    return {r[0]: r[1] for r in rows}, {r[0] for r in rows if r[2] is None}


def read_stick(
    db: Database, own: str, stick: Path, trust: set[str], progress: Progress = _no_progress
) -> Incoming:
    """Check every folder on the stick written by a hub this one trusts; raise BundleError if any is bad.

    `trust` holds device ids the admin introduces now (checked by comparing ids, see docs/sync.md).
    """
    root = stick / ROOT
    if not root.is_dir():
        raise BundleError(f"{stick} holds no Commons Hub bundle (no {ROOT} folder)")
    known, introduced = _trusted_keys(db)
    incoming = Incoming()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name != own)
    for folder in folders:
        signer = folder.name
        if signer not in introduced and signer not in trust:
            incoming.skipped.append(
                f"The folder of device {signer} was not read: this hub has not been introduced to it. "
                f"If you know that hub, check its id with `hub device show` there, then import again "
                f"with --trust-device {signer}."
            )
            continue
        signed = _read_signed(folder, signer, known.get(signer))
        try:
            _read_folder(folder, signed, known, incoming, progress)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BundleError(f"{signer}/{BUNDLE_FILE} is not laid out as this hub expects") from None
        if signer not in introduced:
            incoming.keys[signer] = (signed["public_key"], None)  # introduced by the admin now
    if folders and not incoming.peers and incoming.skipped:
        raise BundleError(" ".join(incoming.skipped))
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


def apply(db: Database, incoming: Incoming) -> ImportResult:
    """Store what `read_stick` checked. Call in one transaction: all of it becomes visible at once."""
    stamp = _now()
    for device, (key, introduced_by) in incoming.keys.items():
        db.execute(
            "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET introduced_by = NULL WHERE excluded.introduced_by IS NULL",
            [device, key, introduced_by, stamp],
        )
    held = store.knowledge(db)
    new, waiting = 0, []
    for entry, lines in sorted(incoming.segments, key=lambda s: (s[0]["writer"], s[0]["first"])):
        writer = entry["writer"]
        if entry["first"] > held.get(writer, 0) + 1:
            waiting.append(
                f"changes {entry['first']}–{entry['last']} of device {writer} wait for changes "
                f"{held.get(writer, 0) + 1}–{entry['first'] - 1}, which this stick does not carry"
            )
            continue
        for counter, change, signature in lines:
            if counter > held.get(writer, 0):
                new += store.receive(db, writer, counter, change, signature)
        held[writer] = max(held.get(writer, 0), entry["last"])
    for peer, vector in incoming.peers.items():
        db.conn.executemany(
            "INSERT INTO peer_knowledge (peer_id, device_id, counter) VALUES (?, ?, ?)"
            " ON CONFLICT(peer_id, device_id) DO UPDATE SET counter = max(counter, excluded.counter)",
            [(peer, device, counter) for device, counter in vector.items()],
        )
    return ImportResult(new, waiting)
