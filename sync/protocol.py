"""What the hub and the central server agree on over HTTP (`/api/v1/sync/`), used by both sides.

Every request after enrolment carries the hub's device id, a timestamp, a random nonce and
an Ed25519 signature (by the device key) over the method, the path with its query, the
sha256 of the body exactly as sent, the timestamp and the nonce. The centre refuses a
request that is too old or whose nonce it has seen (a replay), and one whose signature does
not match the key it enrolled (forged or tampered). JSON travels gzip-compressed both ways.
See docs/sync.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import time
import zlib
from dataclasses import dataclass
from typing import Any

from content.package import canonical_json
from sync.device import Device, verify

API = "/api/v1/sync"
REQUEST_CONTEXT = b"commons-hub request v1\n"
ANSWER_CONTEXT = b"commons-hub answer v1\n"
CATALOG_COMMENT = "commons-hub catalog v1"
HEADER_DEVICE = "x-hub-device"
HEADER_TIME = "x-hub-time"
HEADER_NONCE = "x-hub-nonce"
HEADER_SIGNATURE = "x-hub-signature"
HEADER_ANSWER = "x-hub-answer-signature"
HEADER_RETRY_AFTER = "retry-after"
MAX_SKEW_SECONDS = 300  # a request older (or newer) than this is refused; nonces are kept this long
MAX_JSON_BYTES = 16 * 1024 * 1024  # a body that unpacks to more is refused (a gzip bomb?)
MAX_PAGE_BYTES = 4 * 1024 * 1024  # a pushed page as sent (gzip): a full page of real changes is ~0.2 MB
MAX_REQUEST_BYTES = 64 * 1024  # an enrolment (the other sync requests that carry a body are pages)
PAGE_CHANGES = 1000  # progress changes per page, each way


class BodyError(ValueError):
    """A JSON body that cannot be read: not gzip, not JSON, or too large."""


def request_bytes(method: str, target: str, body: bytes, timestamp: str, nonce: str) -> bytes:
    """What a device signs for one request; `target` is the path with its query string."""
    digest = hashlib.sha256(body).hexdigest()
    return REQUEST_CONTEXT + "\n".join((method.upper(), target, digest, timestamp, nonce)).encode()


def sign_request(device: Device, method: str, target: str, body: bytes) -> dict[str, str]:
    """The headers that authenticate one request as coming from `device`."""
    timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(18)
    return {
        HEADER_DEVICE: device.id,
        HEADER_TIME: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: device.sign(request_bytes(method, target, body, timestamp, nonce)),
    }


def request_signed_by(
    public_key: str, method: str, target: str, body: bytes, headers: dict[str, str]
) -> bool:
    data = request_bytes(method, target, body, headers.get(HEADER_TIME, ""), headers.get(HEADER_NONCE, ""))
    return verify(public_key, data, headers.get(HEADER_SIGNATURE, ""))


def answer_bytes(nonce: str, data: Any) -> bytes:
    """What the centre signs for its JSON answer to the request that carried `nonce`: so nobody on
    the wire can change an answer (drop changes from a page, say) or hand one to another request."""
    return answer_bytes_of_digest(nonce, hashlib.sha256(canonical_json(data)).hexdigest())


def answer_bytes_of_digest(nonce: str, digest: str) -> bytes:
    """answer_bytes for an answer whose canonical JSON has this sha256 (hex)."""
    return ANSWER_CONTEXT + nonce.encode() + b"\n" + digest.encode()


def not_modified(etag: str) -> dict[str, str]:
    """What a 304 answer stands for, signed like a JSON answer: the catalog the hub holds is current."""
    return {"not_modified": etag}


def pack_json(data: Any) -> bytes:
    """A JSON body as sent: canonical JSON, gzip-compressed (deterministic: no name, no time)."""
    return _gzip(canonical_json(data))


def _gzip(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=6, mtime=0)


@dataclass(frozen=True)
class PackedJson:
    """An answer serialised once: its canonical JSON, that gzip-compressed, and its sha256 (what
    the answer signature covers), so a cached answer (the catalog) is never serialised again."""

    canonical: bytes
    gzipped: bytes
    digest: str

    @classmethod
    def of(cls, data: Any) -> PackedJson:
        raw = canonical_json(data)
        return cls(raw, _gzip(raw), hashlib.sha256(raw).hexdigest())


def unpack_json(body: bytes, encoding: str) -> Any:
    """Read a JSON body sent with this Content-Encoding (gzip or none), refusing a gzip bomb."""
    if encoding.strip().lower() == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            body = inflater.decompress(body, MAX_JSON_BYTES)
        except zlib.error:
            raise BodyError("the body is not valid gzip") from None
        if inflater.unconsumed_tail or not inflater.eof:
            raise BodyError("the body is cut short or unpacks to too much")
    elif encoding.strip():
        raise BodyError(f"the body uses an encoding this server does not read: {encoding}")
    try:
        return json.loads(body)
    except ValueError:
        raise BodyError("the body is not JSON") from None
    except RecursionError:
        raise BodyError("the body is nested deeper than any request of this protocol") from None


def change_line(device: str, counter: int, change: dict[str, Any], signature: str | None) -> dict[str, Any]:
    """One change as it travels: the same record a bundle log line holds."""
    return {"change": change, "counter": counter, "device": device, "sig": signature}
