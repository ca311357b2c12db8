"""Learners: anonymous guests held by a cookie, and optional profiles (name + PIN).

A session cookie carries an opaque random token; only its hash is stored, so reading
the database does not let anyone act as a learner.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlite_utils import Database

from hub.db import transaction
from hub.i18n import N_
from hub.library import now

_hasher = PasswordHasher()
PIN_PATTERN = re.compile(r"^\d{4}$")


class LearnerError(Exception):
    """A profile request a person must correct; the message says how."""


@dataclass(frozen=True)
class Learner:
    id: str
    name: str | None
    has_pin: bool

    @property
    def is_guest(self) -> bool:
        return self.name is None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def start_session(db: Database, learner_id: str) -> str:
    token = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO sessions (token_hash, learner_id, created_at) VALUES (?, ?, ?)",
        [_token_hash(token), learner_id, now()],
    )
    return token


def create_guest(db: Database) -> tuple[Learner, str]:
    """A new anonymous learner and the session token that holds it."""
    learner_id = str(uuid.uuid4())
    with transaction(db):
        db.execute("INSERT INTO learners (id, created_at) VALUES (?, ?)", [learner_id, now()])
        token = start_session(db, learner_id)
    return Learner(learner_id, None, False), token


def learner_for_token(db: Database, token: str) -> Learner | None:
    row = db.execute(
        "SELECT l.id, l.name, l.pin_hash IS NOT NULL FROM sessions s"
        " JOIN learners l ON l.id = s.learner_id WHERE s.token_hash = ?",
        [_token_hash(token)],
    ).fetchone()
    return Learner(row[0], row[1], bool(row[2])) if row else None


def end_session(db: Database, token: str) -> None:
    db.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 40:
        raise LearnerError(N_("Please give a name of 1 to 40 characters."))
    return name


def create_profile(db: Database, learner_id: str, name: str, pin: str) -> Learner:
    """Give a guest a name and an optional 4-digit PIN, keeping all their progress."""
    name = _check_name(name)
    if pin and not PIN_PATTERN.match(pin):
        raise LearnerError(N_("A PIN is exactly 4 digits, or leave it empty."))
    taken = db.execute(
        "SELECT 1 FROM learners WHERE name_key = ? AND id != ?", [_name_key(name), learner_id]
    ).fetchone()
    if taken:
        raise LearnerError(
            N_("Someone on this hub already uses that name. Add something to it, such as an initial.")
        )
    db.execute(
        "UPDATE learners SET name = ?, name_key = ?, pin_hash = ? WHERE id = ?",
        [name, _name_key(name), _hasher.hash(pin) if pin else None, learner_id],
    )
    return Learner(learner_id, name, bool(pin))


def check_sign_in(db: Database, name: str, pin: str) -> Learner:
    """The profile with this name, if the PIN matches (or the profile has none)."""
    row = db.execute(
        "SELECT id, name, pin_hash FROM learners WHERE name_key = ?", [_name_key(name)]
    ).fetchone()
    wrong = LearnerError(N_("That name and PIN do not match. Please try again."))
    if row is None:
        raise wrong
    learner_id, real_name, pin_hash = row
    if pin_hash:
        try:
            _hasher.verify(pin_hash, pin)
        except (VerifyMismatchError, InvalidHashError):
            raise wrong from None
    return Learner(learner_id, real_name, bool(pin_hash))
