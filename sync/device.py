"""This hub's identity as a device: an Ed25519 key in keys/device.key and an id made from it.

The device id is a fingerprint of the public key (base32 of the first 16 bytes of its
sha256), so an id names exactly one key: an admin who compares ids read on two hubs has
compared their keys. The device key signs this hub's progress change logs and bundles; it
is not the content publisher's key (content/signing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "device.key"
PSEUDONYM_CONTEXT = b"commons-hub pseudonym v1\n"


class DeviceKeyError(Exception):
    """The device key file cannot be read; the message says what to do."""


def device_id_for(public_key: bytes) -> str:
    return base64.b32encode(hashlib.sha256(public_key).digest()[:16]).decode().rstrip("=").lower()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Device:
    key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        """The raw public key, base64."""
        return _b64(self.key.public_key().public_bytes_raw())

    @property
    def id(self) -> str:
        return device_id_for(self.key.public_key().public_bytes_raw())

    def sign(self, data: bytes) -> str:
        return _b64(self.key.sign(data))

    def pseudonym(self, learner_id: str) -> str:
        """A learner's id as this hub shares it when it shares nothing personal: the same for the
        same learner every time (so merges still meet), different on every hub, and not to be
        turned back into the id without this hub's device key."""
        secret = hashlib.sha256(PSEUDONYM_CONTEXT + self.key.private_bytes_raw()).digest()
        digest = hmac.new(secret, learner_id.encode(), hashlib.sha256).digest()
        return "anon-" + base64.b32encode(digest[:16]).decode().rstrip("=").lower()


def public_key_matches(device_id: str, public_key: str) -> bool:
    """Whether `public_key` (base64) is the key `device_id` was made from."""
    try:
        return device_id_for(base64.b64decode(public_key, validate=True)) == device_id
    except ValueError:
        return False


def verify(public_key: str, data: bytes, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), data)
    except (ValueError, InvalidSignature):
        return False
    return True


def load_or_create(keys_dir: Path) -> Device:
    """This hub's device key, made on first use (owner-only file, written atomically)."""
    path = keys_dir / KEY_FILE
    if not path.exists():
        keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # secret keys: the owner only
        raw = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        part = keys_dir / f"{KEY_FILE}.{secrets.token_hex(6)}.part"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(part, path)  # fails if another process made the key first: theirs wins
        except FileExistsError:
            pass
        finally:
            part.unlink()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise DeviceKeyError(
            f"{path} is not a readable device key ({error}); restore it from a backup"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DeviceKeyError(f"{path} is not an Ed25519 key; restore it from a backup")
    return Device(key)
