"""A learner follows her profile to another hub with her card: the code on it and her PIN.

On a hub that has no profile with her code she signs in with code and PIN all the same; the
hub keeps the request (the PIN only as its hash, salted from the code: sync/codes.py) and at
its next sync asks the central server, which compares that hash with the one her own hub shared,
and, if they match, brings her to this hub (sync/feed.py) with a hand-over it signs, so this hub
may write about her too (sync/ownership.py). Her name, PIN hash and progress then arrive with the
pull, her profile is made here, and she signs in with the same code and PIN. From then on both
hubs hold her progress and what she does on either reaches the other.

This works only between hubs that share named profiles: under the default, nothing personal
leaves a hub, and a profile cannot follow anyone anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from hub import passwords
from hub.db import transaction
from hub.i18n import N_
from hub.learners import PIN_PATTERN, LearnerError, name_key
from hub.library import now
from sync import ownership, share
from sync.codes import pin_salt

NOT_FOUND = "not found"
MAX_WAITING = 100  # cards asked for at once: a bound on what someone typing made-up codes can queue
REQUEST_DAYS = 14  # a request her own hub never answered (no sync there) is dropped after this


def ask(db: Database, code: str, pin: str) -> None:
    """Keep a request to bring the profile with this card here; LearnerError says why it cannot be."""
    if share.policy(db) != share.NAMED_PROFILES:
        raise LearnerError(N_(
            "No profile on this hub has that code. This hub keeps its learners' data to itself, so "
            "profiles made on other hubs cannot be used here: ask a tutor for a profile on this hub."
        ))  # fmt: skip
    if ownership.authority(db) is None:
        raise LearnerError(N_(
            "No profile on this hub has that code, and this hub is not connected to a central server "
            "that could find it on another hub: ask a tutor for a profile on this hub."
        ))  # fmt: skip
    if not PIN_PATTERN.match(pin):
        raise LearnerError(N_("Type the 4-digit PIN that goes with the code on your card."))
    (waiting,) = db.execute("SELECT count(*) FROM follow_requests WHERE code != ?", [code]).fetchone()
    if waiting >= MAX_WAITING:
        raise LearnerError(N_(
            "Too many cards from other hubs are waiting for this hub's next sync. "
            "Please try again after it, or ask a tutor."))  # fmt: skip
    with transaction(db):
        db.execute(
            "INSERT INTO follow_requests (code, pin_hash, asked_at) VALUES (?, ?, ?)"
            " ON CONFLICT(code) DO UPDATE SET pin_hash = excluded.pin_hash, asked_at = excluded.asked_at,"
            " last_answer = NULL",
            [code, passwords.hash_secret(pin, pin_salt(code)), now()],
        )


ASKED = N_(
    "This hub does not hold your profile yet. It will ask the central server for it at its next sync "
    "(it tries every few minutes while connected); then sign in here again with the same code and PIN."
)


def pending(db: Database) -> list[tuple[str, str]]:
    """The requests to ask the centre about, (code, PIN hash): new ones, and those it found nothing
    for yet (her own hub may not have synced since she was made). Old ones are dropped."""
    oldest = (datetime.now(UTC) - timedelta(days=REQUEST_DAYS)).isoformat(timespec="seconds")
    with transaction(db):
        db.execute("DELETE FROM follow_requests WHERE asked_at < ?", [oldest])
    return db.execute(
        "SELECT code, pin_hash FROM follow_requests WHERE last_answer IS NULL OR last_answer = ?", [NOT_FOUND]
    ).fetchall()


def answered(db: Database, code: str, learner: str | None) -> None:
    """Note the centre's answer: the learner found (her profile arrives with the pull), or none."""
    with transaction(db):
        db.execute("UPDATE follow_requests SET last_answer = ? WHERE code = ?", [learner or NOT_FOUND, code])


def make_profiles(db: Database) -> int:
    """Make the profiles of learners brought here whose name and PIN hash have arrived; return how many.

    A name someone on this hub already has is kept off the name index: she signs in with her code.
    """
    made = 0
    with transaction(db):
        rows = db.execute(
            "SELECT r.code, p.learner_id, n.name, p.pin_hash FROM follow_requests r"
            " JOIN learner_pins p ON p.code = r.code AND p.learner_id = r.last_answer"
            " JOIN learner_names n ON n.learner_id = p.learner_id"
        ).fetchall()
        for code, learner, name, pin_hash in rows:
            key = _free_name_key(db, name)
            db.execute(
                "INSERT INTO learners (id, name, name_key, pin_hash, code, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                [learner, name, key, pin_hash, code, now()],
            )
            db.execute("DELETE FROM follow_requests WHERE code = ?", [code])
            made += 1
    return made


def _free_name_key(db: Database, name: str) -> str | None:
    key = name_key(name)
    taken = db.execute("SELECT 1 FROM learners WHERE name_key = ?", [key]).fetchone()
    return None if taken else key
