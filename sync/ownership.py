"""Who may write about a learner: the device she was first heard of from, and devices it handed her to.

A learner id is unguessable (a uuid, or a hub's pseudonym for one), so the first device any hub
hears of a learner from is the hub where she was made. That device becomes her writer here;
a change about her from any other device is refused (counted, never stored nor passed on),
whatever it says, a forged "forget" included. Nobody else can take her over by writing first,
because no one else knows her id before her own hub has sent it.

A writer hands a learner to another device by signing a hand-over (`handover_proof`); the
device that takes her carries it as a change of its own, written before any of its changes
about her, so every hub meets the proof first, whatever order the streams arrive in. The
central server a hub syncs with (its `authority`) may sign a hand-over too: it does so when a
learner proves with her card's code and PIN that she is on another hub (hub/follow.py).
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from content.package import canonical_json
from sync.device import Device, verify
from sync.merge import change_learner

HANDOVER_CONTEXT = b"commons-hub handover v1\n"
AUTHORITY_SETTING = "learner_authority"  # the device id of the central server (the hub's plugin sets it)


def authority(db: Database) -> str | None:
    """The central server whose signed hand-overs this hub takes (itself, on a centre); None if none."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [AUTHORITY_SETTING]).fetchone()
    return json.loads(row[0]) if row else None


def handover_bytes(learner: str, to: str) -> bytes:
    """What a learner's writer signs to hand her to device `to`."""
    return HANDOVER_CONTEXT + canonical_json({"learner": learner, "to": to})


def handover_proof(giver: Device, learner: str, to: str) -> str:
    return giver.sign(handover_bytes(learner, to))


def writers_of(db: Database, learner: str) -> set[str]:
    rows = db.execute("SELECT device_id FROM learner_writers WHERE learner_id = ?", [learner])
    return {row[0] for row in rows}


def claim(db: Database, device: str, change: dict[str, Any]) -> None:
    """Note what this hub's own change says of its writers: it claims a learner nobody writes
    about here yet, and a hand-over it takes makes the giver and this hub her writers."""
    learner = change_learner(change)
    if change["kind"] == "handover":
        _add(db, learner, change["from"])
        _add(db, learner, device)
    else:  # one statement: this runs on every progress save
        db.execute(
            "INSERT INTO learner_writers (learner_id, device_id) SELECT ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM learner_writers WHERE learner_id = ?)",
            [learner, device, learner],
        )


def add_writers(db: Database, learner: str, devices: list[str]) -> None:
    """Take the centre's word (a signed answer) for who writes about a learner brought here."""
    for device in devices:
        _add(db, learner, device)


def _add(db: Database, learner: str, device: str) -> None:
    db.execute(
        "INSERT INTO learner_writers (learner_id, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [learner, device],
    )


def accepts(db: Database, device: str, change: dict[str, Any]) -> bool:
    """Whether `device` may write this change; if so, record what it makes true (a claim, a hand-over)."""
    learner = change_learner(change)
    if change["kind"] == "handover":
        return _accepts_handover(db, device, change)
    known = writers_of(db, learner)
    if known and device not in known:
        return False
    _add(db, learner, device)
    return True


def _accepts_handover(db: Database, device: str, change: dict[str, Any]) -> bool:
    learner, giver = change["learner"], change["from"]
    if change["to"] != device or giver == device:
        return False
    known = writers_of(db, learner)
    if known and giver not in known and giver != authority(db):
        return False
    row = db.execute("SELECT public_key FROM devices WHERE id = ?", [giver]).fetchone()
    if row is None or not verify(row[0], handover_bytes(learner, device), change["proof"]):
        return False
    _add(db, learner, giver)
    _add(db, learner, device)
    return True


def givers(db: Database) -> set[str]:
    """The devices that handed a learner over in the changes this hub holds (their keys travel too);
    a partial index (migration 10) keeps this to the hand-overs however long the log grows."""
    rows = db.execute("SELECT body FROM changes WHERE kind = 'handover'")
    return {json.loads(row[0])["from"] for row in rows}


def move_writer(db: Database, old: str, new: str) -> None:
    """This hub now writes as `new` instead of `old`: its own learners stay its own here."""
    db.execute(
        "INSERT INTO learner_writers (learner_id, device_id)"
        " SELECT learner_id, ? FROM learner_writers WHERE device_id = ? ON CONFLICT DO NOTHING",
        [new, old],
    )
    db.execute("DELETE FROM learner_writers WHERE device_id = ?", [old])
