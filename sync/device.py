"""This hub's identity as a device: an Ed25519 key in keys/device.key and an id made from it.

The device id is a fingerprint of the public key (base32 of the first 16 bytes of its
sha256), so an id names exactly one key: an admin who compares ids read on two hubs has
compared their keys. The device key signs this hub's progress change logs and bundles; it
is not the content publisher's key (content/signing).

Opening a hub needs only the id and the public key, so they are kept in keys/device.public.json
(beside the sha256 of the key file they were read from) and `cryptography` (about 10 MB
resident) is loaded only when something signs or verifies. A missing or stale device.public.json
(an older hub, a key restored from a backup) is remade from the key file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_FILE = "device.key"
PUBLIC_FILE = "device.public.json"
PSEUDONYM_CONTEXT = b"commons-hub pseudonym v1\n"


class DeviceKeyError(Exception):
    """The device key file cannot be read; the message says what to do."""


def device_id_for(public_key: bytes) -> str:
    return base64.b32encode(hashlib.sha256(public_key).digest()[:16]).decode().rstrip("=").lower()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Device:
    """This hub's device key: the public half at hand, the private half read on first use."""

    def __init__(self, key_file: Path, public_key: bytes, key: Ed25519PrivateKey | None = None) -> None:
        self.key_file = key_file
        self._public_key = public_key
        self._key = key
        self._lock = threading.Lock()

    @property
    def key(self) -> Ed25519PrivateKey:
        """The private key, read the first time something signs (that loads `cryptography`)."""
        with self._lock:
            if self._key is None:
                key = _parse_key(self.key_file, self.key_file.read_bytes())
                if key.public_key().public_bytes_raw() != self._public_key:
                    raise DeviceKeyError(f"{self.key_file} was replaced while the hub runs; restart the hub")
                self._key = key
            return self._key

    @property
    def public_key(self) -> str:
        """The raw public key, base64."""
        return _b64(self._public_key)

    @property
    def id(self) -> str:
        return device_id_for(self._public_key)

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
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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
        _create_key(keys_dir, path)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    public_key = _cached_public_key(keys_dir / PUBLIC_FILE, digest)
    if public_key is not None:
        return Device(path, public_key)
    key = _parse_key(path, raw)
    public_key = key.public_key().public_bytes_raw()
    cache = json.dumps({"key_file_sha256": digest, "public_key": _b64(public_key)}).encode()
    os.replace(_write_part(keys_dir, PUBLIC_FILE, cache, 0o644), keys_dir / PUBLIC_FILE)
    return Device(path, public_key, key)


def _create_key(keys_dir: Path, path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # secret keys: the owner only
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    part = _write_part(keys_dir, KEY_FILE, raw, 0o600)
    try:
        os.link(part, path)  # fails if another process made the key first: theirs wins
    except FileExistsError:
        pass
    finally:
        part.unlink()


def _write_part(folder: Path, name: str, data: bytes, mode: int) -> Path:
    """`data` in a new, fsynced `<name>.<random>.part` file in `folder`, to be linked or renamed."""
    part = folder / f"{name}.{secrets.token_hex(6)}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return part


def _cached_public_key(path: Path, key_file_sha256: str) -> bytes | None:
    """The public key device.public.json holds, if it was read from this very key file."""
    try:
        cached = json.loads(path.read_bytes())
        if not isinstance(cached, dict) or cached.get("key_file_sha256") != key_file_sha256:
            return None
        public_key = base64.b64decode(cached["public_key"], validate=True)
    except (OSError, ValueError, TypeError, KeyError):
        return None  # missing or garbled: it is remade from the key file
    return public_key if len(public_key) == 32 else None


def _parse_key(path: Path, raw: bytes) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as error:
        raise DeviceKeyError(
            f"{path} is not a readable device key ({error}); restore it from a backup"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DeviceKeyError(f"{path} is not an Ed25519 key; restore it from a backup")
    return key
