"""First-run setup's one-time code: only the person at the machine can make the first admin.

While the hub has no admin, anyone on the Wi-Fi can reach /admin/setup, so the page also asks
for a code that `hub serve`, `hub init` and `hub desktop` print in the terminal (the desktop
window opens the setup page with it filled in). The code lives in hub.db, which only the hub's
owner can read, until the first admin exists. Presenting it uses it up in one transaction, so
of many requests racing to set the hub up, exactly one can make the admin.
"""

from __future__ import annotations

import json
import secrets

from sqlite_utils import Database

from hub.db import transaction
from hub.learners import count_admins

SETTING = "setup_code"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
GROUPS, GROUP = 3, 4  # 12 characters: 60 bits, far beyond guessing over a Wi-Fi


def _new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP)) for _ in range(GROUPS))


def normalise(text: str) -> str:
    """The code as stored, from what a person typed (any case, spaces or dashes anywhere)."""
    letters = "".join(c for c in text.upper() if c.isalnum())[: GROUPS * GROUP]
    return "-".join(letters[i : i + GROUP] for i in range(0, len(letters), GROUP))


def _stored(db: Database) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
    return json.loads(row[0]) if row else None


def setup_code(db: Database) -> str | None:
    """The code that opens first-run setup (made on first need), or None once the hub has an admin."""
    with transaction(db):
        if count_admins(db):
            db.execute("DELETE FROM settings WHERE key = ?", [SETTING])
            return None
        code = _stored(db)
        if code is None:
            code = _new_code()
            db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", [SETTING, json.dumps(code)])
    return code


def setup_path(code: str) -> str:
    """The setup page with the code filled in, relative to the hub's address."""
    return f"admin/setup?code={code}"


def claim(db: Database, given: str) -> bool:
    """Use the code up if `given` is it and the hub still has no admin: True for one caller only."""
    with transaction(db):
        code = _stored(db)
        if code is None or count_admins(db) or not secrets.compare_digest(normalise(given), code):
            return False
        db.execute("DELETE FROM settings WHERE key = ?", [SETTING])
    return True


def give_back(db: Database, code: str) -> None:
    """Keep the code usable after all (the admin it was claimed for could not be made)."""
    db.execute(
        "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", [SETTING, json.dumps(normalise(code))]
    )


def forget(db: Database) -> None:
    """An admin was made another way (`hub admin create`): the code opens nothing any more."""
    db.execute("DELETE FROM settings WHERE key = ?", [SETTING])
