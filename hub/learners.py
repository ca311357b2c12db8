"""Accounts and sessions: anonymous guests, learners (name + optional PIN), tutors and admins.

A guest is an account with no name, held by a session cookie. A session cookie carries an
opaque random token; only its hash is stored, so reading the database does not let anyone
act as someone else. PINs and passwords are hashed with argon2 (hub/passwords.py), and
guessing is slowed by the limits of hub/sign_in_limits.py.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from hub import names, passwords, sign_in_limits
from hub.db import transaction
from hub.i18n import N_, gettext
from hub.library import now
from hub.privacy import delete_learner
from hub.sign_in_limits import Attempt
from sync.codes import learner_code, normal_code, pin_salt, salted_from_code

PIN_PATTERN = re.compile(r"^\d{4}$")
MIN_PASSWORD = 8
STAFF_SESSION = timedelta(days=30)


class Role(StrEnum):
    GUEST = "guest"
    LEARNER = "learner"
    TUTOR = "tutor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


STAFF_ROLES = (Role.TUTOR, Role.ADMIN)
ROLE_LABELS = {
    Role.GUEST: N_("Guest"),
    Role.LEARNER: N_("Learner"),
    Role.TUTOR: N_("Tutor"),
    Role.ADMIN: N_("Admin"),
}


def role_label(role: Role) -> str:
    return gettext(ROLE_LABELS[role])


class LearnerError(Exception):
    """A request a person must correct; the message (translatable) says how."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text


@dataclass(frozen=True)
class Learner:
    id: str
    name: str | None
    has_pin: bool
    role: Role = field(default=Role.LEARNER)
    disabled: bool = False

    @property
    def is_guest(self) -> bool:
        return self.name is None

    @property
    def effective_role(self) -> Role:
        return Role.GUEST if self.is_guest else self.role


_COLUMNS = "l.id, l.name, l.pin_hash IS NOT NULL, l.role, l.disabled"


def _from_row(row: tuple) -> Learner:
    return Learner(row[0], row[1], bool(row[2]), Role(row[3]), bool(row[4]))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def name_key(name: str) -> str:
    return names.key(name)


def _later(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat(timespec="seconds")


def start_session(db: Database, learner_id: str, lifetime: timedelta | None = None) -> str:
    token = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO sessions (token_hash, learner_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        [_token_hash(token), learner_id, now(), _later(lifetime) if lifetime else None],
    )
    return token


def create_guest(db: Database) -> tuple[Learner, str]:
    """A new anonymous learner and the session token that holds it."""
    learner_id = new_learner_id()
    with transaction(db):
        db.execute(
            "INSERT INTO learners (id, code, created_at, last_active_at) VALUES (?, ?, ?, ?)",
            [learner_id, learner_code(learner_id), now(), now()],
        )
        token = start_session(db, learner_id)
    return Learner(learner_id, None, False), token


def learner_for_token(db: Database, token: str) -> Learner | None:
    """The account a session token holds, unless the session expired or the account is disabled."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM sessions s JOIN learners l ON l.id = s.learner_id"
        " WHERE s.token_hash = ? AND (s.expires_at IS NULL OR s.expires_at > ?) AND NOT l.disabled",
        [_token_hash(token), now()],
    ).fetchone()
    return _from_row(row) if row else None


def end_session(db: Database, token: str) -> None:
    db.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])


def touch(db: Database, learner_id: str) -> None:
    """Note activity, so retention counts from the last time a guest learned."""
    db.execute("UPDATE learners SET last_active_at = ? WHERE id = ?", [now(), learner_id])


def _check_name(name: str) -> str:
    name = names.clean(name)
    if not 1 <= len(name) <= names.MAX_LENGTH:
        raise LearnerError(N_("Please give a name of 1 to 40 characters."))
    return name


def check_secret(role: Role, secret: str) -> None:
    """A learner's PIN is 4 digits or empty; a tutor's or admin's password is long enough."""
    if role in STAFF_ROLES:
        if len(secret) < MIN_PASSWORD:
            raise LearnerError(N_("A password needs at least %(count)d characters."), count=MIN_PASSWORD)
    elif secret and not PIN_PATTERN.match(secret):
        raise LearnerError(N_("A PIN is exactly 4 digits, or leave it empty."))


def _check_name_free(db: Database, name: str, learner_id: str) -> None:
    taken = db.execute(
        "SELECT 1 FROM learners WHERE name_key = ? AND id != ?", [name_key(name), learner_id]
    ).fetchone()
    if taken:
        raise LearnerError(
            N_("Someone on this hub already uses that name. Add something to it, such as an initial.")
        )
    staff = db.execute(
        "SELECT name FROM learners WHERE role IN ('tutor', 'admin') AND id != ?", [learner_id]
    ).fetchall()
    if any(names.looks_alike(row[0], name) for row in staff):
        raise LearnerError(
            N_("That name looks like the name of one of this hub's tutors or admins. Please choose another.")
        )


def _hash_or_none(learner_id: str, role: Role, secret: str) -> str | None:
    """A learner's PIN is hashed with a salt made from her card's code, so the hash can bring her to
    another hub (sync/codes.py); a tutor's or admin's password, which never travels, with a random one."""
    if not secret:
        return None
    return pin_hash(learner_id, secret) if role not in STAFF_ROLES else passwords.hash_secret(secret)


def create_profile(db: Database, learner_id: str, name: str, pin: str) -> Learner:
    """Give a guest a name and an optional 4-digit PIN, keeping all their progress."""
    name = _check_name(name)
    check_secret(Role.LEARNER, pin)
    _check_name_free(db, name, learner_id)
    db.execute(
        "UPDATE learners SET name = ?, name_key = ?, pin_hash = ? WHERE id = ?",
        [name, name_key(name), _hash_or_none(learner_id, Role.LEARNER, pin), learner_id],
    )
    return Learner(learner_id, name, bool(pin))


def create_account(db: Database, name: str, role: Role, secret: str) -> Learner:
    """A named account made by an admin (or by first-run setup)."""
    if role == Role.GUEST:
        raise LearnerError(N_("Choose a role: learner, tutor or admin."))
    check_secret(role, secret)
    learner_id = new_learner_id()
    return _insert_named(db, learner_id, name, _hash_or_none(learner_id, role, secret), role)


def _insert_named(db: Database, learner_id: str, name: str, secret_hash: str | None, role: Role) -> Learner:
    """Store a named account, its name checked as every name is."""
    name = _check_name(name)
    _check_name_free(db, name, learner_id)
    db.execute(
        "INSERT INTO learners (id, name, name_key, pin_hash, code, created_at, role)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [learner_id, name, name_key(name), secret_hash, learner_code(learner_id), now(), role.value],
    )
    return Learner(learner_id, name, secret_hash is not None, role)


def new_learner_id() -> str:
    return str(uuid.uuid4())


def pin_hash(learner_id: str, pin: str) -> str:
    """A learner's PIN hash, salted from her card's code (see _hash_or_none); made before a batch's
    transaction, so the write lock is not held through argon2."""
    return passwords.hash_secret(pin, pin_salt(learner_code(learner_id)))


def insert_learners(db: Database, new: list[tuple[str, str, str]]) -> list[Learner]:
    """Learner accounts for (id, name, PIN hash) triples (new_learner_id, pin_hash), each name checked
    as create_account checks one. Call inside a transaction, so a batch (a tutor's class list) is
    made all or none."""
    return [
        _insert_named(db, learner_id, name, secret_hash, Role.LEARNER)
        for learner_id, name, secret_hash in new
    ]


NO_MATCH = N_("That name and PIN do not match. Please try again.")
NO_MATCH_NO_PIN = N_(
    "That name and PIN do not match. If your profile has no PIN, please ask a tutor or an admin"
    " to give it one."
)


def _secret_matches(db: Database, row: tuple | None, secret: str, pinless_allowed: bool) -> bool:
    """Check the PIN or password: one argon2 check whatever the row, so timing tells no names apart."""
    if row is None or row[5] is None:
        passwords.verify_decoy(secret)
        return row is not None and pinless_allowed and row[3] not in STAFF_ROLES and not secret
    if not passwords.verify(row[5], secret):
        return False
    if passwords.needs_rehash(row[5]) or (row[3] not in STAFF_ROLES and not salted_from_code(row[0], row[5])):
        db.execute(
            "UPDATE learners SET pin_hash = ? WHERE id = ?", [_hash_or_none(row[0], row[3], secret), row[0]]
        )
    return True


class UnknownCode(LearnerError):
    """Someone signs in with a card's code no profile here has: her profile may live on another hub."""

    def __init__(self, code: str) -> None:
        super().__init__(N_("No profile on this hub has the code %(code)s."), code=code)
        self.code = code


def check_sign_in(
    db: Database, name: str, secret: str, *, client: str = "", device: str = "", pinless_allowed: bool = False
) -> Learner:
    """The account with this name, if its PIN or password matches.

    A learner without a PIN signs in by name only where the admin allows it (`pinless_allowed`).
    `device` is the token of the `hub_device` cookie, if the browser has one.
    """
    key = name_key(name)
    code = normal_code(name)
    row = db.execute(
        f"SELECT {_COLUMNS}, l.pin_hash FROM learners l WHERE l.name_key = ? OR l.code = ?", [key, code]
    ).fetchone()
    if row is None and code is not None:
        raise UnknownCode(code)
    known = row is not None and sign_in_limits.is_known_device(db, row[0], device)
    attempt = Attempt(key, client, sign_in_limits.device_hash(device) if known else "")
    wait = sign_in_limits.reserve(db, attempt)
    if wait:
        raise LearnerError(
            N_("Too many wrong tries. Please wait %(minutes)d minute(s) and try again."),
            minutes=max(1, (wait + 59) // 60),
        )
    if not _secret_matches(db, row, secret, pinless_allowed):
        raise LearnerError(NO_MATCH if secret else NO_MATCH_NO_PIN)
    assert row is not None
    sign_in_limits.succeeded(db, attempt)
    learner = _from_row(row[:5])
    if learner.disabled:
        raise LearnerError(N_("This account is switched off. Please ask the hub's admin."))
    return learner


def list_accounts(db: Database) -> list[Learner]:
    """Every named account, staff first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM learners l WHERE l.name IS NOT NULL"
        " ORDER BY CASE l.role WHEN 'admin' THEN 0 WHEN 'tutor' THEN 1 ELSE 2 END, l.name_key"
    ).fetchall()
    return [_from_row(row) for row in rows]


def get_account(db: Database, learner_id: str) -> Learner | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM learners l WHERE l.id = ?", [learner_id]).fetchone()
    return _from_row(row) if row else None


def count_admins(db: Database) -> int:
    return db.execute("SELECT count(*) FROM learners WHERE role = 'admin' AND NOT disabled").fetchone()[0]


def _refuse_losing_last_admin(db: Database, account: Learner) -> None:
    if account.role == Role.ADMIN and not account.disabled and count_admins(db) <= 1:
        raise LearnerError(N_("This is the hub's last admin. Make another admin first."))


def update_account(db: Database, learner_id: str, role: Role, disabled: bool) -> None:
    """Change an account's role or switch it off; the last working admin always stays."""
    account = get_account(db, learner_id)
    if account is None or account.is_guest:
        raise LearnerError(N_("There is no such account."))
    if role == Role.GUEST:
        raise LearnerError(N_("Choose a role: learner, tutor or admin."))
    if role != Role.ADMIN or disabled:
        _refuse_losing_last_admin(db, account)
    if role in STAFF_ROLES and account.role not in STAFF_ROLES:
        raise LearnerError(N_("Give this account a password first: reset it, then change the role."))
    with transaction(db):
        db.execute(
            "UPDATE learners SET role = ?, disabled = ? WHERE id = ?", [role.value, int(disabled), learner_id]
        )
        if disabled:
            db.execute("DELETE FROM sessions WHERE learner_id = ?", [learner_id])


def reset_secret(db: Database, learner_id: str, secret: str, role: Role | None = None) -> None:
    """Set a new PIN (learner) or password (tutor, admin), signing the account out everywhere.

    It also lifts the account's sign-in locks, and its devices are no longer known ones.
    """
    account = get_account(db, learner_id)
    if account is None or account.is_guest:
        raise LearnerError(N_("There is no such account."))
    new_role = role or account.role
    check_secret(new_role, secret)
    secret_hash = _hash_or_none(learner_id, new_role, secret)
    with transaction(db):
        db.execute(
            "UPDATE learners SET pin_hash = ?, role = ? WHERE id = ?",
            [secret_hash, new_role.value, learner_id],
        )
        db.execute("DELETE FROM sessions WHERE learner_id = ?", [learner_id])
        sign_in_limits.clear_account(db, name_key(account.name or ""))
        sign_in_limits.forget_devices(db, learner_id)


def delete_account(db: Database, learner_id: str) -> None:
    account = get_account(db, learner_id)
    if account is None:
        raise LearnerError(N_("There is no such account."))
    _refuse_losing_last_admin(db, account)
    delete_learner(db, learner_id)
