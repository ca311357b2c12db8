"""The hub's side of the HTTP sync protocol: every request to the central server goes through here.

Requests are signed with the device key (sync/protocol.py) and JSON goes out and comes back
gzip-compressed. Blobs are fetched into a `.part` file with `Range` + `If-Range`, so a cut
download resumes from the bytes already there; a finished file is checked against its
sha256 before anyone uses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.blobs import hash_file
from sync.device import Device, verify
from sync.protocol import API, HEADER_ANSWER, HEADER_NONCE, answer_bytes, pack_json, sign_request

if TYPE_CHECKING:
    import httpx

CHUNK = 256 * 1024


def _httpx() -> Any:
    """httpx, imported on first use: with its dependencies it is about 10 MB a serving hub would
    otherwise keep from its start, though it only syncs now and then."""
    import httpx

    return httpx


def _timeout() -> httpx.Timeout:
    return _httpx().Timeout(30.0, connect=10.0)


Progress = Callable[[int], None]  # bytes received so far of the current blob


class SyncError(Exception):
    """The exchange with the central server failed; the message says why in plain words."""


class Unreachable(SyncError):
    """The central server could not be reached (no link, wrong address, cut mid-answer)."""


class NotFound(SyncError):
    """The centre has no such thing (a course, a learner's card)."""


class DamagedBlob(SyncError):
    """A downloaded file did not match its sha256; the `.part` file was removed."""


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) else f"the central server answered {response.status_code}"


def _post_json(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    headers = {"content-type": "application/json", "content-encoding": "gzip", **headers}
    try:
        response = client.post(url, content=body, headers=headers)
    except _httpx().HTTPError as error:
        raise _unreachable(error) from None
    if response.status_code == 404:
        raise NotFound(_detail(response))
    if response.status_code >= 400:
        raise SyncError(_detail(response))
    return response


def enroll(
    url: str, token: str, device: Device, name: str, transport: httpx.BaseTransport | None = None
) -> Any:
    """Offer this hub's device key with a one-time token; the centre answers with its keys."""
    body = {"token": token.strip(), "device": device.id, "public_key": device.public_key, "name": name,
            "proof": device.sign(b"commons-hub enrol v1\n" + token.strip().encode())}  # fmt: skip
    with _httpx().Client(base_url=url.rstrip("/"), timeout=_timeout(), transport=transport) as client:
        return _post_json(client, f"{API}/enroll", pack_json(body), {}).json()


def _unreachable(error: Exception) -> Unreachable:
    """A network failure in words an admin can act on (the technical name kept at the end)."""
    httpx = _httpx()
    if isinstance(error, httpx.ConnectError):
        reason = "the central server cannot be reached (no network here, or the server is off)"
    elif isinstance(error, httpx.TimeoutException):
        reason = "the central server did not answer in time (a slow or broken link)"
    else:
        reason = "the connection to the central server broke off"
    return Unreachable(f"{reason}; the hub tries again on its own [{error.__class__.__name__}]")


@dataclass(frozen=True)
class Followed:
    """A learner the centre brought here: her id, the devices that write about her, its hand-over."""

    learner: str
    writers: list[str]
    proof: str


class CentralClient:
    """Signed requests to one central server, whose JSON answers must be signed by its device key
    (`centre_key`, base64); use as a context manager."""

    def __init__(
        self, url: str, device: Device, centre_key: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.device = device
        self.centre_key = centre_key
        self._client = _httpx().Client(base_url=url.rstrip("/"), timeout=_timeout(), transport=transport)

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _get(self, target: str) -> Any:
        headers = sign_request(self.device, "GET", target, b"")
        try:
            response = self._client.get(target, headers=headers)
        except _httpx().HTTPError as error:
            raise _unreachable(error) from None
        if response.status_code >= 400:
            raise SyncError(_detail(response))
        return self._checked(response, headers[HEADER_NONCE])

    def _post(self, target: str, data: Any) -> Any:
        body = pack_json(data)
        headers = sign_request(self.device, "POST", target, body)
        return self._checked(_post_json(self._client, target, body, headers), headers[HEADER_NONCE])

    def _checked(self, response: httpx.Response, nonce: str) -> Any:
        """The answer's JSON, if the centre signed it for this very request."""
        try:
            data = response.json()
        except ValueError:
            raise Unreachable("the central server's answer was cut short") from None
        signature = response.headers.get(HEADER_ANSWER, "")
        if not verify(self.centre_key, answer_bytes(nonce, data), signature):
            raise SyncError(
                "the central server's answer was not signed by it: it was changed on the way, or "
                "another server answered. Nothing of it was taken in"
            )
        return data

    def knowledge(self) -> tuple[dict[str, int], str | None]:
        """What the centre holds: per device, the highest change counter; and the signature of the
        highest change it holds of this hub's device (None from a centre that does not say)."""
        answer = self._get(f"{API}/progress/knowledge")
        return answer["knowledge"], answer.get("tip")

    def push(self, page: dict[str, Any]) -> tuple[dict[str, int], int]:
        """Send one page of changes; the centre answers with its knowledge after applying it, and
        how many changes it refused (about learners their device may not write about)."""
        answer = self._post(f"{API}/progress/push", page)
        return answer["knowledge"], int(answer.get("refused", 0))

    def pull(self, vector: dict[str, int], after: int) -> dict[str, Any]:
        """One page of this hub's feed at the centre above position `after` (sync/feed.py); `vector`
        is what this hub holds, its acknowledgement."""
        return self._post(f"{API}/progress/pull", {"knowledge": vector, "feed": after})

    def follow(self, code: str, pin_hash: str) -> Followed | None:
        """Ask the centre to bring the learner with this card here; None if no learner with that
        code and PIN shared a profile."""
        try:
            answer = self._post(f"{API}/progress/follow", {"code": code, "pin_hash": pin_hash})
            return Followed(str(answer["learner"]), [str(w) for w in answer["writers"]], str(answer["proof"]))
        except NotFound:
            return None
        except (KeyError, TypeError):
            raise SyncError("the central server's answer about a learner's card could not be read") from None

    def catalog(self) -> dict[str, Any]:
        """The centre's signed catalog: {"catalog": {...}, "signature": minisign text}."""
        return self._get(f"{API}/catalog")

    def manifest(self, course_id: str) -> tuple[bytes, bytes]:
        """A course's manifest bytes and their signature, exactly as the publisher signed them."""
        answer = self._get(f"{API}/courses/{course_id}/manifest")
        return answer["manifest"].encode(), answer["signature"].encode()

    def fetch_blob(self, sha256: str, size: int, part: Path, progress: Progress) -> int:
        """Download a blob into `part`, resuming from what is there; return the bytes received.

        The finished file is checked against `sha256` (DamagedBlob, with the part removed, if
        it does not match); on a cut the part is kept for the next try.
        """
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        received = 0
        if have < size:
            target = f"{API}/blobs/{sha256}"
            headers = sign_request(self.device, "GET", target, b"")
            if have:
                headers |= {"range": f"bytes={have}-", "if-range": f'"{sha256}"'}
            try:
                with self._client.stream("GET", target, headers=headers) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise SyncError(_detail(response))
                    if response.status_code != 206:
                        have = 0  # the centre sends the whole file: start the part again
                    part.parent.mkdir(parents=True, exist_ok=True)
                    with part.open("r+b" if have else "wb") as out:
                        out.seek(have)
                        out.truncate()
                        try:
                            for chunk in response.iter_raw(CHUNK):
                                out.write(chunk)
                                received += len(chunk)
                                progress(have + received)
                        finally:
                            out.flush()
                            os.fsync(out.fileno())
            except _httpx().HTTPError as error:
                raise Unreachable(
                    f"the download of {sha256[:12]}… was cut after {have + received} of {size} bytes "
                    f"({error.__class__.__name__}); it resumes from there next time"
                ) from None
        if hash_file(part) != (sha256, size):
            part.unlink()
            raise DamagedBlob(f"the file {sha256[:12]}… arrived damaged; it will be fetched again")
        return received
