"""The code on a learner's card, and the salt of her PIN's hash, both made from her id.

The code finds her profile on another hub (where named profiles are shared): with her PIN it is
how she is brought there (sync/feed.py). Her PIN is hashed with a salt made from the code, so
a hub that knows only the code and the PIN she types makes the very hash her own hub made, and
the centre can compare the two without any hub keeping a PIN.
"""

from __future__ import annotations

import base64
import hashlib

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud and typed without doubt
CODE_LETTERS = 12
CODE_GROUP = 4


def learner_code(learner_id: str) -> str:
    """Her card's code, e.g. "KM7Q-DR2X-WA3B": the same on every hub.

    Twelve letters of a 30-letter alphabet are 59 bits: among five million learners the chance
    that two share a code is about one in forty thousand, and where two do, the PIN tells them apart.
    """
    number = int.from_bytes(hashlib.sha256(b"commons-hub learner code\n" + learner_id.encode()).digest())
    letters = []
    for _ in range(CODE_LETTERS):
        number, index = divmod(number, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[index])
    return _grouped("".join(letters))


def _grouped(letters: str) -> str:
    return "-".join(letters[i : i + CODE_GROUP] for i in range(0, len(letters), CODE_GROUP))


def normal_code(typed: str) -> str | None:
    """A code as a person typed it (lower case, spaces, no dashes) in learner_code's form; None if
    what she typed cannot be a code (a name, say)."""
    letters = "".join(c for c in typed.upper() if not c.isspace() and c != "-")
    if len(letters) != CODE_LETTERS or any(c not in CODE_ALPHABET for c in letters):
        return None
    return _grouped(letters)


def pin_salt(code: str) -> bytes:
    """The salt of a learner's PIN hash (argon2 wants 16 bytes)."""
    return hashlib.sha256(b"commons-hub pin salt\n" + code.encode()).digest()[:16]


def salted_from_code(learner_id: str, pin_hash: str) -> bool:
    """Whether an argon2 hash ("$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>") has her code's salt."""
    parts = pin_hash.split("$")
    if len(parts) != 6:
        return False
    try:
        salt = base64.b64decode(parts[4] + "=" * (-len(parts[4]) % 4), validate=True)
    except ValueError:
        return False
    return salt == pin_salt(learner_code(learner_id))
