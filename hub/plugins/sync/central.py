"""The central server's records: one-time enrolment tokens, enrolled hubs, and request checks.

A token is shown once and stored only as its sha256, with an expiry; enrolling with it uses
it up. An enrolled hub is known by its device id (the fingerprint of its key, sync/device.py)
and is also introduced as a device, so its progress is taken in by HTTP and by USB alike.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from hub.db import transaction
from hub.i18n import N_
from hub.learners import LearnerError
from sync import protocol
from sync.device import public_key_matches, verify

TOKEN_DAYS = 7
MAX_NAME = 80


class Refused(LearnerError):
    """A sync request the centre refuses; `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.status = status


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _hash(token: str) -> str:
    """Tokens are lower-case base32; a phone keyboard's capital first letter still matches."""
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


def create_token(db: Database, hub_name: str, days: int = TOKEN_DAYS) -> str:
    """Make a one-time enrolment token for a new hub; only its hash is kept."""
    hub_name = hub_name.strip()
    if not hub_name or len(hub_name) > MAX_NAME or not hub_name.isprintable():
        raise Refused(400, N_("Give the hub a name of 1 to 80 characters (one line)."))
    if not 1 <= days <= 365:
        raise Refused(400, N_("A token lasts from 1 to 365 days."))
    token = base64.b32encode(secrets.token_bytes(20)).decode().lower()  # no '-': never read as an option
    now = _now()
    db.execute(
        "INSERT INTO sync_tokens (token_hash, hub_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
        [_hash(token), hub_name, _stamp(now), _stamp(now + timedelta(days=days))],
    )
    return token


@dataclass(frozen=True)
class EnrolledHub:
    device_id: str
    name: str
    enrolled_at: str
    revoked_at: str | None
    last_seen_at: str | None


def enroll(db: Database, token: str, device_id: str, public_key: str, proof: str) -> EnrolledHub:
    """Record a hub that offers a valid unused token and proves it holds its device key."""
    if not public_key_matches(device_id, public_key):
        raise Refused(400, N_("The hub's device id does not match its key."))
    if not verify(public_key, b"commons-hub enrol v1\n" + token.strip().encode(), proof):
        raise Refused(400, N_("The hub could not prove it holds its device key."))
    now = _stamp(_now())
    with transaction(db):
        row = db.execute(
            "SELECT hub_name, expires_at, used_at FROM sync_tokens WHERE token_hash = ?", [_hash(token)]
        ).fetchone()
        if row is None:
            raise Refused(403, N_("This joining code is not known here. Check it, or ask for a new one."))
        name, expires_at, used_at = row
        if used_at is not None:
            raise Refused(
                403, N_("This joining code was already used. Ask the central server's admin for a new one.")
            )
        if expires_at < now:
            raise Refused(
                403, N_("This joining code has expired. Ask the central server's admin for a new one.")
            )
        db.execute(
            "UPDATE sync_tokens SET used_at = ?, used_by = ? WHERE token_hash = ?",
            [now, device_id, _hash(token)],
        )
        db.execute(
            "INSERT INTO sync_hubs (device_id, public_key, name, enrolled_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(device_id) DO UPDATE SET name = excluded.name, enrolled_at = excluded.enrolled_at,"
            " revoked_at = NULL",
            [device_id, public_key, name, now],
        )
        db.execute(
            "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, NULL, ?)"
            " ON CONFLICT(id) DO UPDATE SET introduced_by = NULL",
            [device_id, public_key, now],
        )
    return EnrolledHub(device_id, name, now, None, None)


def enrolled_hubs(db: Database) -> list[EnrolledHub]:
    rows = db.execute(
        "SELECT device_id, name, enrolled_at, revoked_at, last_seen_at FROM sync_hubs ORDER BY name"
    ).fetchall()
    return [EnrolledHub(*row) for row in rows]


def revoke(db: Database, device_id: str) -> EnrolledHub:
    """Refuse every later request of a hub (its progress already taken in stays)."""
    with transaction(db):
        cursor = db.execute(
            "UPDATE sync_hubs SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
            [_stamp(_now()), device_id.strip()],
        )
        if cursor.rowcount == 0:
            raise Refused(404, N_("No enrolled hub has the device id %(device)s."), device=device_id)
    return next(h for h in enrolled_hubs(db) if h.device_id == device_id.strip())


def check_caller(db: Database, headers: dict[str, str]) -> str:
    """The public key of the enrolled, unrevoked hub a request says it comes from, if its time is
    right; Refused otherwise. Checked before the body is read, so a stranger cannot make the
    centre read a large one."""
    device_id = headers.get(protocol.HEADER_DEVICE, "")
    row = db.execute(
        "SELECT public_key, revoked_at FROM sync_hubs WHERE device_id = ?", [device_id]
    ).fetchone()
    if row is None:
        raise Refused(401, N_("This hub is not enrolled with the central server. Enrol it first."))
    if row[1] is not None:
        raise Refused(403, N_("This hub's enrolment was revoked by the central admin."))
    sent = headers.get(protocol.HEADER_TIME, "")
    if not re.fullmatch(r"[0-9]{1,12}", sent):
        raise Refused(401, N_("The request carries no valid time."))
    if abs(time.time() - int(sent)) > protocol.MAX_SKEW_SECONDS:
        raise Refused(
            401, N_("The request is too old or the hub's clock is wrong (more than 5 minutes off).")
        )
    return row[0]


def authenticate(db: Database, method: str, target: str, body: bytes, headers: dict[str, str]) -> str:
    """The device id of an enrolled hub that signed this request; Refused (nothing stored) otherwise.

    The nonce is recorded only once the signature is good, so a forger cannot use up nonces. It is
    one autocommit INSERT on the calling thread's connection, outside hub/db.py's process-wide
    writer lock: a hub asking for a blob does not queue behind the pages other hubs are applying.
    The primary key makes the insert itself the replay check.
    """
    device_id = headers.get(protocol.HEADER_DEVICE, "")
    if not protocol.request_signed_by(check_caller(db, headers), method, target, body, headers):
        raise Refused(
            401, N_("The request's signature does not match this hub's key: it was forged or changed.")
        )
    seen = db.execute(
        "INSERT INTO sync_nonces (device_id, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [device_id, headers.get(protocol.HEADER_NONCE, ""), time.time()],
    )
    if seen.rowcount == 0:
        raise Refused(401, N_("This request was already received once (a replay); it was ignored."))
    return device_id


class Upkeep:
    """What the centre writes now and then instead of at every request: a hub's last_seen_at at
    most once every SEEN_SECONDS, and expired nonces deleted in bounded batches every
    SWEEP_SECONDS (through the index on seen_at), each batch a short autocommit delete."""

    SEEN_SECONDS = 60.0
    SWEEP_SECONDS = 60.0
    SWEEP_BATCH = 1000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def after_request(self, db: Database, device_id: str) -> None:
        now = self._clock()
        with self._lock:
            note_seen = now - self._seen.get(device_id, -self.SEEN_SECONDS) >= self.SEEN_SECONDS
            if note_seen:
                self._seen[device_id] = now
            sweep = now >= self._next_sweep
            if sweep:
                self._next_sweep = now + self.SWEEP_SECONDS
        if note_seen:
            db.execute(
                "UPDATE sync_hubs SET last_seen_at = ? WHERE device_id = ?", [_stamp(_now()), device_id]
            )
        if sweep:
            forget_old_nonces(db, self.SWEEP_BATCH)


def forget_old_nonces(db: Database, batch: int) -> int:
    """Delete the nonces too old to be replayed (a request that old is refused by its time anyway),
    `batch` at a time; return how many went."""
    oldest_kept = time.time() - 2 * protocol.MAX_SKEW_SECONDS
    removed = 0
    while True:
        cursor = db.execute(
            "DELETE FROM sync_nonces WHERE (device_id, nonce) IN"
            " (SELECT device_id, nonce FROM sync_nonces WHERE seen_at < ? ORDER BY seen_at LIMIT ?)",
            [oldest_kept, batch],
        )
        removed += cursor.rowcount
        if cursor.rowcount < batch:
            return removed
