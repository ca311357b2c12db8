"""Progress and its change log in SQLite, following the merge rules of sync/merge.py.

Every progress write is a change: this device's counter goes up by one, the change is kept
in `changes` under (device, counter), and it is merged into the progress tables. Changes
from other devices arrive with their signatures and are merged the same way; `knowledge`
holds the highest counter held per device (the knowledge vector), so a peer can be sent
everything above its vector. Changes about a forgotten learner are dropped, except the
forget itself and the hand-overs that entitled its writer (sync/ownership.py), so a deletion
travels, every hub can check it, and nothing deleted is kept.

Writers here do not open transactions: callers wrap them in one (hub.db.transaction).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlite_utils import Database

from content.package import canonical_json
from sync import ownership, share, storage, tallies
from sync.codes import learner_code
from sync.device import Device
from sync.merge import (
    Attempt,
    LessonState,
    attempt_change,
    change_learner,
    forget_change,
    handover_change,
    lesson_change,
)

DEVICE_SETTING = "device_id"
SIGNING_CONTEXT = b"commons-hub change v1\n"


def signed_bytes(device_id: str, counter: int, change: dict[str, Any]) -> bytes:
    """What a device signs for one change: its id, the counter and the change."""
    return SIGNING_CONTEXT + canonical_json({"change": change, "counter": counter, "device": device_id})


def device_id(db: Database) -> str:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [DEVICE_SETTING]).fetchone()
    if row is None:
        raise RuntimeError("this hub has no device id yet (the hub sets one when it opens its data)")
    return json.loads(row[0])


def adopt_device(db: Database, device_id: str, public_key: str) -> None:
    """Make `device_id` this hub's writer; if the data was written under another id, log it anew.

    A hub upgraded from before the change log, or whose key was lost and remade, holds
    progress no change of this device describes: it is logged once under the current id,
    so it reaches peers (who must be introduced to the new device). The device's key is kept
    among the devices, so hand-overs this hub signed can be checked here too. Call in a transaction.
    """
    _know_own_key(db, device_id, public_key)
    row = db.execute("SELECT value FROM settings WHERE key = ?", [DEVICE_SETTING]).fetchone()
    if row is not None and json.loads(row[0]) == device_id:
        return
    if row is not None:
        ownership.move_writer(db, json.loads(row[0]), device_id)
    _set_device(db, device_id)
    _log_everything(db, device_id)


def _know_own_key(db: Database, device_id: str, public_key: str) -> None:
    db.execute(
        "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, NULL, ?)"
        " ON CONFLICT(id) DO NOTHING",
        [device_id, public_key, now()],
    )


def _set_device(db: Database, device_id: str) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [DEVICE_SETTING, json.dumps(device_id)],
    )


# The learners a device may write about: its own, and those nobody writes about yet.
_WRITABLE = """(NOT EXISTS (SELECT 1 FROM learner_writers w WHERE w.learner_id = {column})
    OR EXISTS (SELECT 1 FROM learner_writers w WHERE w.learner_id = {column} AND w.device_id = :own))"""


def _log_everything(db: Database, own: str) -> None:
    """Log what this hub holds of the learners it writes about (other hubs' learners are theirs to log)."""
    mine = {"own": own}
    for (learner,) in db.execute(
        f"SELECT learner_id FROM forgotten_learners f WHERE {_WRITABLE.format(column='f.learner_id')}", mine
    ).fetchall():
        record(db, forget_change(learner))
    for row in db.execute(
        "SELECT p.learner_id, p.course_id, p.lesson_id, progress, completed_at, last_opened_at, t.seconds"
        " FROM progress p LEFT JOIN progress_time t ON t.learner_id = p.learner_id"
        " AND t.course_id = p.course_id AND t.lesson_id = p.lesson_id AND t.device_id = :own"
        f" WHERE {_WRITABLE.format(column='p.learner_id')}",
        mine,
    ).fetchall():
        seconds = ((own, row[6]),) if row[6] is not None else ()
        record(db, lesson_change(row[:3], LessonState(row[3], row[4], row[5], seconds), own))
    writable = _WRITABLE.format(column="q.learner_id")
    attempts = f"SELECT {_ATTEMPT_COLUMNS} FROM quiz_attempts q WHERE {writable}"
    for row in db.execute(attempts, mine).fetchall():
        record(db, attempt_change(_attempt(row)))


_ATTEMPT_COLUMNS = "id, learner_id, course_id, lesson_id, score, total, passed, answers, created_at"


def _attempt(row: tuple[Any, ...]) -> Attempt:
    return Attempt(*row[:6], bool(row[6]), *row[7:])


def is_forgotten(db: Database, learner_id: str) -> bool:
    return (
        db.execute("SELECT 1 FROM forgotten_learners WHERE learner_id = ?", [learner_id]).fetchone()
        is not None
    )


def record(db: Database, change: dict[str, Any]) -> int:
    """Write a change of this device: next counter, kept in the log, merged in. Return the counter."""
    own = device_id(db)
    counter = knowledge(db, [own]).get(own, 0) + 1  # one row: a centre knows every hub
    ownership.claim(db, own, change)
    _keep(db, own, counter, change, None)
    return counter


class DeviceConflict(Exception):
    """Two different changes carry the same device and number: two hubs share one device key."""

    def __init__(self, device: str, counter: int) -> None:
        super().__init__(
            f"device {device} sent two different changes numbered {counter}: two hubs use the same "
            "device key (was one hub's SD card copied to make another?). Nothing of it was taken in; "
            "give the copied hub its own key (docs/sync.md, 'Hubs copied from one SD card')"
        )


def now() -> str:
    """The time as the sync stores it (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _held(db: Database, device: str, counter: int) -> tuple[str | None] | None:
    """The signature of a change this hub holds, in a row (None in it: not signed yet); None if not held."""
    return db.execute(
        "SELECT signature FROM changes WHERE device_id = ? AND counter = ?", [device, counter]
    ).fetchone()


def holds(db: Database, device: str, counter: int, signature: str) -> bool:
    """Whether this hub holds this change already; DeviceConflict if it holds another one under its number.

    Signatures are deterministic (Ed25519), so the same change always comes with the same one;
    another signature under a number already held means another change.
    """
    held = _held(db, device, counter)
    if held and held[0] is not None and held[0] != signature:
        raise DeviceConflict(device, counter)
    return held is not None


def leave_shared_device(db: Database, old: Device, new: Device) -> None:
    """Make this hub write as `new` instead of `old`, a device it shares with another hub (an SD
    card copied), and log what the hub holds anew under `new`. Call in a transaction.

    Every change of `old` is dropped here: those this hub made after the copy collide with the
    other hub's, and the rest come back from peers, who hold the other hub's. The time this hub
    counted as `old` moves to `new` (the time before the copy is then counted by both hubs), the
    names it shared are shared again, and `old` stays known as a peer (the other hub). Where
    learners travel under their own ids (named profiles), `old` hands each of its learners to
    `new` (sync/ownership.py), so peers take the copy's changes about them too.
    """
    db.execute("DELETE FROM changes WHERE device_id = ?", [old.id])
    db.execute("DELETE FROM knowledge WHERE device_id = ?", [old.id])
    db.execute("UPDATE progress_time SET device_id = ? WHERE device_id = ?", [new.id, old.id])
    db.execute("DELETE FROM learner_names WHERE learner_id IN (SELECT id FROM learners)")
    _know_own_key(db, new.id, new.public_key)  # `old` is known already: every start keeps its own key
    handed = [
        r[0] for r in db.execute("SELECT learner_id FROM learner_writers WHERE device_id = ?", [old.id])
    ]
    ownership.move_writer(db, old.id, new.id)
    _set_device(db, new.id)
    if share.policy(db) == share.NAMED_PROFILES:
        for learner in handed:
            proof = ownership.handover_proof(old, learner, new.id)
            record(db, handover_change(learner, old.id, new.id, proof))
    _log_everything(db, new.id)


def signature_of(db: Database, device: str, counter: int) -> str | None:
    held = _held(db, device, counter)
    return held[0] if held else None


class Received(Enum):
    NEW = "new"
    HELD = "held"  # this hub held it already
    REFUSED = "refused"  # about a learner its device may not write about (sync/ownership.py): dropped


def receive(
    db: Database, device: str, counter: int, change: dict[str, Any], signature: str, scattered: bool = False
) -> Received:
    """Merge a verified change of another device, unless held already or not its device's to write.
    A `scattered` change (from a scoped pull, sync/feed.py) leaves the knowledge vector as it is."""
    if holds(db, device, counter, signature):
        return Received.HELD
    if not ownership.accepts(db, device, change):
        if not scattered:
            _note_counter(db, device, counter)  # a hole in the device's stream, like a forgotten learner's
        return Received.REFUSED
    _keep(db, device, counter, change, signature, scattered)
    return Received.NEW


def _note_counter(db: Database, device: str, counter: int) -> None:
    db.execute(
        "INSERT INTO knowledge (device_id, counter) VALUES (?, ?)"
        " ON CONFLICT(device_id) DO UPDATE SET counter = greatest(knowledge.counter, excluded.counter)",
        [device, counter],
    )


def _keep(
    db: Database,
    device: str,
    counter: int,
    change: dict[str, Any],
    signature: str | None,
    scattered: bool = False,
) -> None:
    learner = change_learner(change)
    if not scattered:
        _note_counter(db, device, counter)
    if change["kind"] not in _KEPT_KINDS and is_forgotten(db, learner):
        return
    db.execute(
        "INSERT INTO changes (device_id, counter, learner_id, kind, body, signature)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [device, counter, learner, change["kind"], canonical_json(change).decode(), signature],
    )
    _put_on_feeds(db, device, counter, learner)
    tallies.count_change(db, device, change)  # the report aggregates, before the merge they count
    _merge_into_tables(db, device, change)


def _put_on_feeds(db: Database, writer: str, counter: int, learner: str) -> None:
    """Put a change on the feed of every device it concerns but its writer (sync/feed.py): the
    learner's writers and the hubs she was brought to. Most changes concern their writer alone."""
    db.execute(
        "INSERT INTO feed (device_id, writer, counter)"
        " SELECT device_id, :writer, :counter FROM learner_writers WHERE learner_id = :learner"
        " AND device_id != :writer"
        " UNION SELECT device_id, :writer, :counter FROM learner_followers WHERE learner_id = :learner"
        " AND device_id != :writer",
        {"learner": learner, "writer": writer, "counter": counter},
    )


# What is deleted of a forgotten learner; on a hub also her sign-in sessions (a centre's sync
# tables on PostgreSQL have none beside them).
_HER_TABLES = ("progress", "progress_time", "quiz_attempts", "learner_names", "learner_pins")
# What stays of a forgotten learner: the forget, and the hand-overs that say who could write it.
_KEPT_KINDS = ("forget", "handover")


def _merge_into_tables(db: Database, device: str, change: dict[str, Any]) -> None:
    kind = change["kind"]
    if kind == "lesson":
        key = [change["learner"], change["course"], change["lesson"]]
        db.execute(_MERGE_LESSON, [*key, change["progress"], change["completed_at"], change["opened_at"]])
        if "seconds" in change:
            db.execute(_MERGE_TIME, [*key, device, change["seconds"]])
    elif kind == "attempt":
        db.execute(
            f"INSERT INTO quiz_attempts ({_ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO NOTHING",
            [int(change[c]) if c == "passed" else change[c] for c in _ATTEMPT_COLUMNS.split(", ")],
        )
    elif kind == "name":
        db.execute(_MERGE_NAME, [change["learner"], change["name"], change["named_at"]])
    elif kind == "pin":
        learner = change["learner"]
        db.execute(_MERGE_PIN, [learner, learner_code(learner), change["pin_hash"], change["set_at"]])
    elif kind == "forget":
        learner = change["learner"]
        db.execute("INSERT INTO forgotten_learners (learner_id) VALUES (?) ON CONFLICT DO NOTHING", [learner])
        sessions = ("sessions",) if storage.dialect(db) == "sqlite" else ()
        for table in _HER_TABLES + sessions:
            db.execute(f"DELETE FROM {table} WHERE learner_id = ?", [learner])  # her next visit starts anew
        db.execute(f"DELETE FROM changes WHERE learner_id = ? AND kind NOT IN {_KEPT_KINDS}", [learner])


_MERGE_LESSON = """
INSERT INTO progress (learner_id, course_id, lesson_id, progress, completed_at, last_opened_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (learner_id, course_id, lesson_id) DO UPDATE SET
    progress = greatest(progress.progress, excluded.progress),
    completed_at = least(progress.completed_at, excluded.completed_at),
    last_opened_at = greatest(progress.last_opened_at, excluded.last_opened_at)
"""

_MERGE_TIME = """
INSERT INTO progress_time (learner_id, course_id, lesson_id, device_id, seconds) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (learner_id, course_id, lesson_id, device_id) DO UPDATE SET
    seconds = greatest(progress_time.seconds, excluded.seconds)
"""

_MERGE_NAME = """
INSERT INTO learner_names (learner_id, name, named_at) VALUES (?, ?, ?)
ON CONFLICT (learner_id) DO UPDATE SET name = excluded.name, named_at = excluded.named_at
WHERE (excluded.named_at, excluded.name) > (learner_names.named_at, learner_names.name)
"""


_MERGE_PIN = """
INSERT INTO learner_pins (learner_id, code, pin_hash, set_at) VALUES (?, ?, ?, ?)
ON CONFLICT (learner_id) DO UPDATE SET pin_hash = excluded.pin_hash, set_at = excluded.set_at
WHERE (excluded.set_at, excluded.pin_hash) > (learner_pins.set_at, learner_pins.pin_hash)
"""


def knowledge(db: Database, devices: Iterable[str] | None = None) -> dict[str, int]:
    """The knowledge vector: per device, the highest change counter this hub holds (of `devices`
    only, if given: a centre's vector has an entry per hub, too many to read for every page)."""
    if devices is None:
        return dict(db.execute("SELECT device_id, counter FROM knowledge").fetchall())
    ids = sorted(set(devices))
    marks = storage.marks(ids)
    return dict(db.execute(f"SELECT device_id, counter FROM knowledge WHERE device_id IN ({marks})", ids))


@dataclass(frozen=True)
class LoggedChange:
    device: str
    counter: int
    change: dict[str, Any]
    signature: str | None


def changes_above(db: Database, vector: dict[str, int], device: str | None = None) -> Iterator[LoggedChange]:
    """Every change held above `vector` (of one device, or all), by device then counter."""
    devices = [device] if device else [r[0] for r in db.execute("SELECT device_id FROM knowledge ORDER BY 1")]
    for writer in devices:
        for row in db.execute(
            "SELECT counter, body, signature FROM changes"
            " WHERE device_id = ? AND counter > ? ORDER BY counter",
            [writer, vector.get(writer, 0)],
        ):
            yield LoggedChange(writer, row[0], json.loads(row[1]), row[2])


def sign_pending(db: Database, device: Device) -> int:
    """Sign this device's changes that have no signature yet; return how many were signed.

    This is when a change first leaves the hub, so it is stored and signed in the form the
    hub's sharing setting lets out (sync/share.py); that form then travels everywhere. The
    row keeps the learner's own id, so deleting the learner here still finds it. With named
    profiles shared, the names not shared yet are recorded first (a central server on PostgreSQL
    has no learners of its own: its residents' accounts stay in its SQLite file).
    """
    chosen = share.policy(db)
    if chosen == share.NAMED_PROFILES and storage.dialect(db) == "sqlite":  # PostgreSQL: no own learners
        named_at = datetime.now(UTC).isoformat(timespec="microseconds")  # a rename a moment later wins
        for change in share.profiles_to_share(db, device.id, named_at):
            record(db, change)
    rows = db.execute(
        "SELECT counter, body FROM changes WHERE device_id = ? AND signature IS NULL", [device.id]
    ).fetchall()
    signed = []
    for counter, body in rows:
        change = share.outgoing(json.loads(body), device, chosen)
        signature = device.sign(signed_bytes(device.id, counter, change))
        signed.append((canonical_json(change).decode(), signature, device.id, counter))
    storage.executemany(
        db, "UPDATE changes SET body = ?, signature = ? WHERE device_id = ? AND counter = ?", signed
    )
    return len(rows)
