"""What a hub lets leave it: the hub's setting, applied to its own changes when they are signed.

A change is signed once, when it first leaves the hub (store.sign_pending), and every peer
keeps that signed form, so the setting in force then decides for good what travels, by HTTP
and by stick alike; nothing is filtered at import. Two settings:

- `nothing personal` (the default): every learner id in a change is replaced by the hub's
  pseudonym for it (Device.pseudonym), and no name ever leaves. The centre can count
  learners, completions and scores per hub and per course, and nothing more.
- `named profiles`: learners travel under the hub's own ids, and the name of each named
  profile that has progress travels too, as a `name` change (the latest naming wins).

Pseudonyms are stable per learner and per hub, so the merge laws hold: a hub's stream of
changes stays one consistent stream, only with other ids in it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from sync.codes import salted_from_code
from sync.device import Device
from sync.merge import name_change, pin_change

SETTING = "share_progress"
CLEAR_SETTING = "names_over_plain_http"  # names may cross plain http:// (a private network the admin trusts)
NOTHING_PERSONAL = "nothing_personal"
NAMED_PROFILES = "named_profiles"
CHOICES = (NOTHING_PERSONAL, NAMED_PROFILES)
DEFAULT = NOTHING_PERSONAL


def policy(db: Database) -> str:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
    value = json.loads(row[0]) if row else DEFAULT
    return value if value in CHOICES else DEFAULT


def names_in_clear_allowed(db: Database) -> bool:
    """Whether the admin lets learners' names cross plain http:// (they never do by default)."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [CLEAR_SETTING]).fetchone()
    return bool(row and json.loads(row[0]) is True)


def outgoing(change: dict[str, Any], device: Device, chosen: str) -> dict[str, Any]:
    """The form of this device's change that may leave the hub under the setting `chosen`."""
    if chosen == NAMED_PROFILES:
        return change
    field = "learner_id" if change["kind"] == "attempt" else "learner"
    shared = change | {field: device.pseudonym(change[field])}
    if change["kind"] == "attempt":  # a copied attempt's id is made from the learner's id: hide it too
        shared["id"] = device.pseudonym(change["id"])
    return shared


def profiles_to_share(db: Database, own: str, named_at: str) -> list[dict[str, Any]]:
    """A `name` change for every named profile this hub shares whose name was not shared yet, and a
    `pin` change for each learner's PIN hash not shared yet, if it is salted from her card's code
    (sync/codes.py; older ones are remade at her next sign-in). A profile is shared once it has
    progress of this device, or a card (such a PIN): a card printed today lets her sign in at
    another hub before she has learnt anything. Staff passwords never travel."""
    profiles = (
        "SELECT l.id, l.name, CASE WHEN l.role = 'learner' THEN l.pin_hash END AS pin_hash,"
        " EXISTS (SELECT 1 FROM changes c WHERE c.learner_id = l.id AND c.device_id = ?"
        "   AND c.kind NOT IN ('name', 'pin')) AS learnt"
        " FROM learners l WHERE l.name IS NOT NULL"
    )
    rows = [
        (learner, name, pin_hash if pin_hash and salted_from_code(learner, pin_hash) else None, *shared)
        for learner, name, pin_hash, learnt, *shared in db.execute(
            "SELECT id, name, pin_hash, learnt, (SELECT name FROM learner_names n WHERE n.learner_id = p.id),"
            f" (SELECT pin_hash FROM learner_pins s WHERE s.learner_id = p.id) FROM ({profiles}) p",
            [own],
        ).fetchall()
        if learnt or (pin_hash and salted_from_code(learner, pin_hash))
    ]
    changes = [name_change(learner, name, named_at) for learner, name, _, shared, _ in rows if name != shared]
    return changes + [
        pin_change(learner, pin_hash, named_at)
        for learner, _, pin_hash, _, shared in rows
        if pin_hash is not None and pin_hash != shared
    ]
