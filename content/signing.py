"""Ed25519 signatures in minisign's file formats, so `minisign -V` checks what we sign.

Public key (a `.pub` file, or its second line on its own):

    untrusted comment: <anything>
    base64("Ed" + key id (8 bytes) + public key (32 bytes))

Signature (`manifest.json.minisig`):

    untrusted comment: <anything>
    base64(algorithm (2) + key id (8) + signature (64))
    trusted comment: <text>
    base64(global signature (64))

The algorithm is "ED" (the signature covers the BLAKE2b-512 hash of the file; what we write)
or "Ed" (the file itself; minisign's legacy form, still accepted). The global signature
covers signature + trusted comment, so the trusted comment cannot be changed either.

Secret key: minisign's unencrypted secret key file (what `minisign -G -W` writes), so a key
made here signs with `minisign -S` and a key made by minisign signs here. Password-protected
minisign keys are refused with a message saying how to remove the password.

Key ids are shown as minisign shows them: the 8 bytes as a little-endian number, 16
upper-case hex digits. The "fingerprint" people compare is the public key's base64 line.

`cryptography` (about 10 MB resident) is imported only where a key signs or verifies, so a
server that reads keys and signatures without checking one yet does not carry it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from content.errors import ContentError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

UNTRUSTED = "untrusted comment: "
TRUSTED = "trusted comment: "
KEY_ALGORITHM = b"Ed"
HASHED = b"ED"
LEGACY = b"Ed"
_KDF_NONE = b"\x00\x00"
_CHECKSUM = b"B2"
_MAX_COMMENT = 1024


class SignatureError(ContentError):
    """A signature or key that is garbled, or a signature that does not match."""


class UnverifiedContent(ContentError):
    """Intact content that is not verified (unsigned, or signed by an unknown key).

    It may come in only when a person has explicitly allowed unverified content.
    """


class UnknownSigner(UnverifiedContent):
    """Signed by a key this hub does not trust."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"manifest.json is signed by key {key_id}, which this hub does not trust. An admin can add "
            "the publisher's key (Admin → Signing keys, or `hub keys trust`), or the package can be "
            "imported as unverified content."
        )
        self.key_id = key_id


def format_key_id(key_id: bytes) -> str:
    return f"{int.from_bytes(key_id, 'little'):016X}"


def parse_key_id(text: str) -> str:
    """A key id as a person typed it, in the one form the hub stores and shows."""
    try:
        number = int(text.strip(), 16)
    except ValueError:
        raise SignatureError(f"{text!r} is not a key id (16 hex digits, as `hub keys list` shows)") from None
    if not 0 <= number < 2**64:
        raise SignatureError(f"{text!r} is not a key id (16 hex digits, as `hub keys list` shows)")
    return f"{number:016X}"


def _b64(line: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(line.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"the {what} is not valid base64 (garbled?)") from None
    if len(raw) != size:
        raise SignatureError(f"the {what} has the wrong length (truncated or garbled?)")
    return raw


def _lines(text: str | bytes, what: str) -> list[str]:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError(f"the {what} is not text (garbled?)") from None
    return [line.rstrip("\r") for line in text.strip().split("\n")]


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes
    key: bytes

    @property
    def id(self) -> str:
        return format_key_id(self.key_id)

    @property
    def fingerprint(self) -> str:
        """The base64 line minisign users publish and compare (`minisign -P …`)."""
        return base64.b64encode(KEY_ALGORITHM + self.key_id + self.key).decode()

    def text(self, comment: str = "") -> str:
        """The key as a minisign `.pub` file."""
        return f"{UNTRUSTED}{_one_line(comment or f'minisign public key {self.id}')}\n{self.fingerprint}\n"

    def verifies(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_public_key(text: str | bytes) -> PublicKey:
    """A minisign public key: a whole `.pub` file, or only its base64 line."""
    lines = [line for line in _lines(text, "public key") if line.strip()]
    if len(lines) == 2 and lines[0].startswith(UNTRUSTED):
        lines = lines[1:]
    if len(lines) != 1:
        raise SignatureError(
            "a public key is one line of base64 (starting 'RW'), "
            "optionally after an 'untrusted comment:' line"
        )
    raw = _b64(lines[0], 42, "public key")
    if raw[:2] != KEY_ALGORITHM:
        raise SignatureError("this is not an Ed25519 minisign public key")
    return PublicKey(raw[2:10], raw[10:])


@dataclass(frozen=True)
class SecretKey:
    key_id: bytes
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key_id, self.private.public_key().public_bytes_raw())

    def _libsodium_secret(self) -> bytes:
        return self.private.private_bytes_raw() + self.public.key

    def text(self) -> str:
        """The key as minisign's unencrypted secret key file (`minisign -G -W`)."""
        secret = self._libsodium_secret()
        checksum = hashlib.blake2b(KEY_ALGORITHM + self.key_id + secret, digest_size=32).digest()
        raw = KEY_ALGORITHM + _KDF_NONE + _CHECKSUM + bytes(48) + self.key_id + secret + checksum
        comment = f"{UNTRUSTED}minisign secret key {self.public.id} (not encrypted)"
        return f"{comment}\n{base64.b64encode(raw).decode()}\n"


def generate_key() -> SecretKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return SecretKey(secrets.token_bytes(8), Ed25519PrivateKey.generate())


def parse_secret_key(text: str | bytes) -> SecretKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    lines = [line for line in _lines(text, "secret key") if line.strip()]
    if len(lines) != 2 or not lines[0].startswith(UNTRUSTED):
        raise SignatureError("this is not a minisign secret key file")
    raw = _b64(lines[1], 158, "secret key")
    if raw[:2] != KEY_ALGORITHM or raw[4:6] != _CHECKSUM:
        raise SignatureError("this is not an Ed25519 minisign secret key")
    if raw[2:4] != _KDF_NONE:
        raise SignatureError(
            "this secret key is protected by a password; remove the password with `minisign -C -W -s KEYFILE`"
        )
    key_id, secret = raw[54:62], raw[62:126]
    private = Ed25519PrivateKey.from_private_bytes(secret[:32])
    key = SecretKey(key_id, private)
    if key.public.key != secret[32:]:
        raise SignatureError("the secret key file is damaged (its two halves do not match)")
    return key


def _one_line(comment: str) -> str:
    if "\n" in comment or "\r" in comment or len(comment) > _MAX_COMMENT:
        raise SignatureError("a comment must be one line of at most 1024 characters")
    return comment


def sign(data: bytes, key: SecretKey, trusted_comment: str) -> str:
    """A minisign signature file (prehashed "ED") for `data`."""
    comment = _one_line(trusted_comment)
    signature = key.private.sign(hashlib.blake2b(data).digest())
    global_signature = key.private.sign(signature + comment.encode())
    return (
        f"{UNTRUSTED}signature from Commons Hub key {key.public.id}\n"
        f"{base64.b64encode(HASHED + key.key_id + signature).decode()}\n"
        f"{TRUSTED}{comment}\n"
        f"{base64.b64encode(global_signature).decode()}\n"
    )


@dataclass(frozen=True)
class Signature:
    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes

    @property
    def signer(self) -> str:
        return format_key_id(self.key_id)


def parse_signature(text: str | bytes) -> Signature:
    """Read a `.minisig` file, refusing one that is truncated or garbled."""
    lines = _lines(text, "signature file")
    if len(lines) != 4 or not lines[0].startswith(UNTRUSTED) or not lines[2].startswith(TRUSTED):
        raise SignatureError("manifest.json.minisig is not a minisign signature file (truncated or garbled?)")
    raw = _b64(lines[1], 74, "signature in manifest.json.minisig")
    if raw[:2] not in (HASHED, LEGACY):
        raise SignatureError("manifest.json.minisig uses an unknown signature algorithm")
    global_signature = _b64(lines[3], 64, "comment signature in manifest.json.minisig")
    return Signature(raw[:2], raw[2:10], raw[10:], lines[2][len(TRUSTED) :], global_signature)


def verify(data: bytes, signature: Signature, key: PublicKey) -> None:
    """Refuse `data` unless `signature` (made by `key`) matches it and its trusted comment."""
    message = hashlib.blake2b(data).digest() if signature.algorithm == HASHED else data
    if key.key_id != signature.key_id or not key.verifies(signature.signature, message):
        raise SignatureError(
            f"manifest.json does not match its signature from key {signature.signer}: it was changed "
            "after signing, or the signature is forged"
        )
    if not key.verifies(signature.global_signature, signature.signature + signature.trusted_comment.encode()):
        raise SignatureError("the trusted comment in manifest.json.minisig was changed after signing")
