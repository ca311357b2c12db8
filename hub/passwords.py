"""PINs and passwords hashed with argon2id, within what a Raspberry Pi with 256 MB can give.

Parameters: OWASP's argon2id option of 19 MiB, 2 passes, 1 lane (the Password Storage Cheat
Sheet's second line). argon2-cffi's default (64 MiB, 3 passes, 4 lanes) let four sign-ins at
once take 256 MB; 19 MiB is still far beyond what GPUs guess cheaply, and one lane fits a
Pi's small cores. bench/argon2_params.py measures both: on the project's 2-core machine one
check took 64 MiB and 160-230 ms before, 19 MiB and 30 ms now (a Pi 4 is 3-4 times slower).

At most HASHING_SLOTS hashes or checks run at once, whoever asks: twenty sign-ins at the same
moment, right or wrong, use two hashes' memory and wait their turn for the rest. That bound
holds only if each check's memory goes back to the system when it ends: glibc's malloc
otherwise keeps a freed 19 MiB block in the arena of the thread that used it (blocks under
its 32 MiB ceiling stop being mmap'd once one has been freed), and twelve server threads that
each checked one PIN kept 228 MiB. A fixed mmap threshold keeps such blocks mmap'd, so the
same twelve checks peak at 38 MiB and keep nothing (bench/argon2_params.py).

Hashes made with older parameters still verify, and are remade with these at the next right
sign-in.
"""

from __future__ import annotations

import ctypes
import secrets
import sys
import threading
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
HASHING_SLOTS = 2
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
_MMAP_THRESHOLD = 128 * 1024  # glibc's starting value, kept: blocks this big are always mmap'd

_slots = threading.BoundedSemaphore(HASHING_SLOTS)


def _return_big_blocks_to_the_system() -> None:
    """Keep large blocks mmap'd, so that freeing one gives its memory back (glibc on Linux only)."""
    if sys.platform.startswith("linux"):
        mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
        if mallopt is not None:
            mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


@cache
def _hasher() -> PasswordHasher:
    """Argon2, loaded on the first sign-in rather than at start (it costs memory on a Pi)."""
    from argon2 import PasswordHasher

    _return_big_blocks_to_the_system()
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """The argon2id hash of a secret, with a random salt unless one is given (hub/learners.py)."""
    with _slots:
        return _hasher().hash(secret, salt=salt)


def verify(secret_hash: str, secret: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    with _slots:
        try:
            return _hasher().verify(secret_hash, secret)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(secret_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (it verifies all the same)."""
    return _hasher().check_needs_rehash(secret_hash)


@cache
def _decoy_hash() -> str:
    return hash_secret(secrets.token_urlsafe(16))


def verify_decoy(secret: str) -> None:
    """The work of a real check, for a name with no hash to check: its answer cannot be timed apart."""
    verify(_decoy_hash(), secret)
