"""Retractions: a signed statement that a course (or one version of it) must no longer be shown.

A retraction file is canonical JSON:

    {"retraction": {"format": "commons-hub-retraction", "format_version": 1, "course": ID,
                    "version": N or null (every version), "reason": TEXT, "issued_at": ISO time},
     "signature": a minisign signature (content/signing.py) of the canonical JSON of "retraction",
                  with the trusted comment "commons-hub retraction v1"}

The course id and version are inside what is signed, so a retraction cannot be replayed for
another course or version; the trusted comment keeps a course's manifest signature from being
passed off as a retraction. Which keys may retract which course is the hub's business
(hub/retractions.py): this module only reads, makes and checks the statement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from content.errors import ContentError
from content.model import ID_PATTERN
from content.package import canonical_json
from content.signing import PublicKey, SecretKey, SignatureError, parse_signature, sign, verify

FORMAT = "commons-hub-retraction"
FORMAT_VERSION = 1
COMMENT = "commons-hub retraction v1"
MAX_BYTES = 16 * 1024
MAX_REASON = 1000


class RetractionError(ContentError):
    """A retraction that cannot be taken: garbled, cut short, or not signed by a key allowed to."""


@dataclass(frozen=True)
class Retraction:
    course_id: str
    version: int | None  # None: every version of the course
    reason: str
    issued_at: str
    signer: str  # the key id that signed it (not yet checked until `check`)
    document: bytes  # the file exactly as it travels

    @property
    def version_key(self) -> int:
        """How the hub stores `version`: 0 stands for every version."""
        return self.version or 0

    @property
    def what(self) -> str:
        return (
            f"{self.course_id} version {self.version}"
            if self.version
            else f"{self.course_id} (every version)"
        )


def _check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise RetractionError(f"give a reason of 1 to {MAX_REASON} characters")
    return reason


def make(course_id: str, version: int | None, reason: str, key: SecretKey, issued_at: str) -> Retraction:
    """Sign a retraction of `course_id` (every version when `version` is None) with `key`."""
    if not re.match(ID_PATTERN, course_id):
        raise RetractionError(f"{course_id!r} is not a course id")
    if version is not None and version < 1:
        raise RetractionError("a version is a number from 1")
    statement = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "course": course_id,
        "version": version,
        "reason": _check_reason(reason),
        "issued_at": issued_at,
    }
    document = canonical_json(
        {"retraction": statement, "signature": sign(canonical_json(statement), key, COMMENT)}
    )
    return read(document)


def read(document: bytes) -> Retraction:
    """Read a retraction file without checking its signature; RetractionError says what is wrong."""
    if len(document) > MAX_BYTES:
        raise RetractionError("the retraction is larger than any retraction file: it is not one")
    try:
        data = json.loads(document)
    except (ValueError, RecursionError):
        raise RetractionError("the retraction is not complete JSON: it was cut short or damaged") from None
    try:
        statement, signature = data["retraction"], data["signature"]
        if statement["format"] != FORMAT or statement["format_version"] != FORMAT_VERSION:
            raise RetractionError(
                "this is not a Commons Hub retraction (or a version this hub does not read)"
            )
        course_id, version, reason = statement["course"], statement["version"], statement["reason"]
        issued_at = statement["issued_at"]
        if set(statement) != {"format", "format_version", "course", "version", "reason", "issued_at"}:
            raise RetractionError("the retraction holds fields this hub does not know")
    except (KeyError, TypeError):
        raise RetractionError("the retraction lacks its course, version, reason or signature") from None
    if not (isinstance(course_id, str) and re.match(ID_PATTERN, course_id)):
        raise RetractionError("the retraction does not name a course id")
    if version is not None and (type(version) is not int or version < 1):
        raise RetractionError("the retraction's version is not a version number")
    if not isinstance(reason, str) or not isinstance(issued_at, str) or not isinstance(signature, str):
        raise RetractionError("the retraction's reason, date or signature is not text")
    _check_reason(reason)
    try:
        signer = parse_signature(signature).signer
    except SignatureError:
        raise RetractionError("the retraction's signature is garbled or cut short") from None
    return Retraction(course_id, version, reason, issued_at, signer, document)


def check(retraction: Retraction, allowed: Collection[PublicKey]) -> PublicKey:
    """The key among `allowed` that signed `retraction`; RetractionError unless one did, over exactly
    this statement (course, version, reason) and as a retraction."""
    data = json.loads(retraction.document)
    signature = parse_signature(data["signature"])
    key = next((k for k in allowed if k.key_id == signature.key_id), None)
    if key is None:
        raise RetractionError(
            f"the retraction of {retraction.what} is signed by key {signature.signer}, which may not "
            "retract it here: only the course's publisher, with a key this hub trusts, or the central "
            "server may"
        )
    try:
        verify(canonical_json(data["retraction"]), signature, key)
    except SignatureError:
        raise RetractionError(
            f"the retraction of {retraction.what} does not match its signature: it was changed after "
            "signing (or made for another course or version)"
        ) from None
    if signature.trusted_comment != COMMENT:
        raise RetractionError("the signature is not a retraction's (it was made for something else)")
    return key
