"""How many wrong PINs and passwords the hub lets anyone try, without locking out the rightful people.

Each try is counted before its PIN is checked, in one write transaction with the check of the
locks, so 120 guesses sent at once get no more checks than the limits allow (counting after
the check let 15 through). A right PIN gives the count back. Four counts, each with its own
free tries before a back-off of 30 s that doubles with every further failure, up to an hour:

- an account from one address (PAIR_FREE): someone guessing from a phone slows down there only;
  the rightful person on another device, or another learner on the same tablet, is not held up.
- an account from any address (ACCOUNT_FREE): a ceiling for guessing from many addresses.
- one address for any account (ADDRESS_FREE): guessing one PIN for every name; set high
  enough that a class's typing slips on a shared tablet do not reach it.
- an account from a device it signed in on before (a `hub_device` cookie, PAIR_FREE): only
  this one applies there, so no one guessing elsewhere can lock a person out of her own
  devices, however long they keep at it.

Failures are forgotten a day after the last one; an admin's reset of the PIN or password
(web or `hub users reset`) clears every count and lock of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from hub.db import transaction
from hub.library import now

PAIR_FREE = 5
ACCOUNT_FREE = 10
ADDRESS_FREE = 20
FIRST_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Attempt:
    """One try: the name's key, the client's address, and the known device it came from, if any."""

    account: str
    address: str
    device: str = ""  # hash of a device token this account signed in with before

    def counts(self) -> list[tuple[str, str, str, int]]:
        """(scope, account, source, free tries) of every count this try goes against."""
        if self.device:
            return [("device", self.account, self.device, PAIR_FREE)]
        return [
            ("pair", self.account, self.address, PAIR_FREE),
            ("account", self.account, "", ACCOUNT_FREE),
            ("address", "", self.address, ADDRESS_FREE),
        ]


def _seconds_left(locked_until: str | None) -> int:
    if not locked_until:
        return 0
    remaining = datetime.fromisoformat(locked_until) - datetime.now(UTC)
    return max(0, int(remaining.total_seconds()) + 1)


def _lock_for(failures: int, free: int) -> str | None:
    if failures < free:
        return None
    seconds = min(FIRST_LOCK_SECONDS * 2 ** (failures - free), MAX_LOCK_SECONDS)
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def _forget_quiet_counts(db: Database) -> None:
    """Drop the counts whose last failure is older than FORGET_AFTER, unless still locked."""
    quiet_since = (datetime.now(UTC) - FORGET_AFTER).isoformat(timespec="seconds")
    db.execute(
        "DELETE FROM sign_in_limits WHERE last_failure_at < ? AND coalesce(locked_until, '') < ?",
        [quiet_since, now()],
    )


def _count(db: Database, scope: str, account: str, source: str) -> tuple[int, str | None]:
    """(failures, locked_until) of one count."""
    row = db.execute(
        "SELECT failures, locked_until FROM sign_in_limits WHERE scope = ? AND account = ? AND source = ?",
        [scope, account, source],
    ).fetchone()
    return (row[0], row[1]) if row else (0, None)


def _store(db: Database, scope: str, account: str, source: str, failures: int, free: int) -> None:
    db.execute(
        "INSERT OR REPLACE INTO sign_in_limits"
        " (scope, account, source, failures, locked_until, last_failure_at) VALUES (?, ?, ?, ?, ?, ?)",
        [scope, account, source, failures, _lock_for(failures, free), now()],
    )


def reserve(db: Database, attempt: Attempt) -> int:
    """Count this try as a failure before its PIN is checked; 0, or the seconds to wait instead."""
    with transaction(db):
        _forget_quiet_counts(db)
        counts = [(scope, account, source, free, *_count(db, scope, account, source))
                  for scope, account, source, free in attempt.counts()]  # fmt: skip
        wait = max(_seconds_left(locked_until) for *_, locked_until in counts)
        if wait:
            return wait
        for scope, account, source, free, failures, _ in counts:
            _store(db, scope, account, source, failures + 1, free)
    return 0


def succeeded(db: Database, attempt: Attempt) -> None:
    """The PIN was right: clear the account's counts from here, and give the address its try back."""
    where = "WHERE scope = ? AND account = ? AND source = ?"
    with transaction(db):
        for scope, account, source, _ in attempt.counts():
            if scope == "address":  # it was not locked, or this try would not have been let in
                db.execute(
                    f"UPDATE sign_in_limits SET failures = max(0, failures - 1), locked_until = NULL {where}",
                    [scope, account, source],
                )
            else:
                db.execute(f"DELETE FROM sign_in_limits {where}", [scope, account, source])


def clear_account(db: Database, account: str) -> None:
    """Forget every count and lock of an account (an admin reset its PIN or password)."""
    db.execute("DELETE FROM sign_in_limits WHERE account = ?", [account])


def device_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def is_known_device(db: Database, learner_id: str, token: str) -> bool:
    return token != "" and bool(
        db.execute(
            "SELECT 1 FROM known_devices WHERE token_hash = ? AND learner_id = ?",
            [device_hash(token), learner_id],
        ).fetchone()
    )


def remember_device(db: Database, learner_id: str, token: str) -> str:
    """Note that this account signed in on this device (a new token unless it has one)."""
    token = token or secrets.token_urlsafe(32)
    db.execute(
        "INSERT OR IGNORE INTO known_devices (token_hash, learner_id, created_at) VALUES (?, ?, ?)",
        [device_hash(token), learner_id, now()],
    )
    return token


def forget_devices(db: Database, learner_id: str) -> None:
    db.execute("DELETE FROM known_devices WHERE learner_id = ?", [learner_id])
