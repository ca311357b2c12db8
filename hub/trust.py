"""The hub's trust store: its own signing key and the publisher keys it trusts.

Where things live, and why:

- `keys/hub.key` in HUB_HOME: this hub's secret key, in minisign's unencrypted secret key
  format (so `minisign -S -s keys/hub.key` works too), file mode 0600 in a 0700 folder. It is
  kept out of hub.db so that a copied or shared database never carries the secret.
  `keys/hub.pub` beside it is the public key to hand to other hubs.
- The trusted publisher keys are rows of the `trusted_keys` table in hub.db, with the name
  people see: SQLite is the source of truth for everything the marks depend on, a change is
  one transaction seen by every thread at once, and a trigger moves the library generation
  so cached course lists drop a "verified" mark the moment a key is untrusted. The hub's
  own key is trusted too (added when it is made), like any other key it can be removed.

A course's mark is worked out when it is shown (hub/sources.py), never stored at import.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlite_utils import Database

from content.package import check_signature
from content.signing import (
    PublicKey,
    SecretKey,
    SignatureError,
    generate_key,
    parse_key_id,
    parse_public_key,
    parse_secret_key,
)
from hub.db import transaction
from hub.i18n import N_
from hub.learners import LearnerError
from hub.library import now
from hub.sources import TrustedKey

KEYS_FOLDER = "keys"
OWN_SECRET_KEY = "hub.key"
OWN_PUBLIC_KEY = "hub.pub"
MAX_NAME = 80


class TrustError(LearnerError):
    """A key or name a person must correct; the message (translatable) says how."""


NOT_A_KEY = N_(
    "This is not a minisign public key. Paste the line that starts with “RW” from the "
    "publisher's .pub file, or upload that file."
)


def read_public_key(text: str | bytes) -> PublicKey:
    """A public key a person pasted or uploaded, or a clear message saying what is wrong."""
    try:
        return parse_public_key(text)
    except SignatureError:
        raise TrustError(NOT_A_KEY) from None


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise TrustError(N_("Give the publisher a name of 1 to 80 characters (one line)."))
    return name


def trust_key(db: Database, key: PublicKey, name: str) -> TrustedKey:
    """Trust `key` as `name` (renaming it when already trusted).

    Courses that came in signed by this key id before it was trusted are checked now: their
    stored manifest and signature must match this key before they count as verified.
    """
    name = _check_name(name)
    added = now()
    with transaction(db):
        row = db.execute("SELECT public_key FROM trusted_keys WHERE key_id = ?", [key.id]).fetchone()
        if row and row[0] != key.fingerprint:
            raise TrustError(
                N_("The hub already trusts a different key with the id %(key_id)s. Remove that one first."),
                key_id=key.id,
            )
        db.execute(
            "INSERT INTO trusted_keys (key_id, public_key, name, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key_id) DO UPDATE SET name = excluded.name",
            [key.id, key.fingerprint, name, added],
        )
        _check_waiting_courses(db, key)
    return TrustedKey(key, name, added)


def _check_waiting_courses(db: Database, key: PublicKey) -> None:
    rows = db.execute(
        "SELECT id, package_manifest, signature FROM courses"
        " WHERE signer_key_id = ? AND (signer_key IS NULL OR signer_key != ?)",
        [key.id, key.fingerprint],
    ).fetchall()
    for course_id, raw, signature in rows:
        try:
            check_signature(raw, signature.encode(), [key])
        except SignatureError:
            continue  # made by some other key with the same id: it stays unverified
        db.execute("UPDATE courses SET signer_key = ? WHERE id = ?", [key.fingerprint, course_id])


def untrust_key(db: Database, key_id: str) -> TrustedKey:
    """Stop trusting a key; every course it signed loses its "verified" mark at once."""
    try:
        key_id = parse_key_id(key_id)
    except SignatureError:
        raise TrustError(N_("%(key_id)s is not a key id: it has 16 letters and digits (0-9, A-F)."),
                         key_id=key_id) from None  # fmt: skip
    row = db.execute(
        "SELECT public_key, name, added_at FROM trusted_keys WHERE key_id = ?", [key_id]
    ).fetchone()
    if row is None:
        raise TrustError(N_("This hub does not trust a key with the id %(key_id)s."), key_id=key_id)
    db.execute("DELETE FROM trusted_keys WHERE key_id = ?", [key_id])
    return TrustedKey(parse_public_key(row[0]), row[1], row[2])


def keys_folder(home: Path) -> Path:
    return home / KEYS_FOLDER


def own_key(home: Path) -> SecretKey | None:
    """This hub's signing key, or None before one is made."""
    path = keys_folder(home) / OWN_SECRET_KEY
    return parse_secret_key(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_secret_key(path: Path, key: SecretKey) -> None:
    """Write a secret key readable by its owner only (0600), never over an existing file."""
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key.text())
            handle.flush()
            os.fsync(handle.fileno())
        os.link(part, path)  # fails if the key exists: a key is never replaced by accident
    finally:
        part.unlink(missing_ok=True)


def create_own_key(home: Path, db: Database, name: str) -> SecretKey:
    """Make this hub's signing key and trust it as `name`; refuse if the hub already has one."""
    name = _check_name(name)
    folder = keys_folder(home)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = generate_key()
    try:
        write_secret_key(folder / OWN_SECRET_KEY, key)
    except FileExistsError:
        raise TrustError(
            N_("This hub already has a signing key (%(path)s)."), path=str(folder / OWN_SECRET_KEY)
        ) from None
    (folder / OWN_PUBLIC_KEY).write_text(key.public.text(f"Commons Hub {name}"), encoding="utf-8")
    trust_key(db, key.public, name)
    return key


def ensure_own_key(home: Path, db: Database, name: str) -> SecretKey:
    """This hub's signing key, made now if it has none yet."""
    existing = own_key(home)
    if existing is not None:
        return existing
    try:
        return create_own_key(home, db, name)
    except TrustError:
        made_meanwhile = own_key(home)  # another request made it a moment ago
        if made_meanwhile is None:
            raise
        return made_meanwhile
