"""The hub's side of the HTTP sync protocol: every request to the central server goes through here.

Requests are signed with the device key (sync/protocol.py) and JSON goes out and comes back
gzip-compressed. Blobs are fetched into a `.part` file with `Range` + `If-Range`, so a cut
download resumes from the bytes already there; a finished file is checked against its
sha256 before anyone uses it. A busy centre's 503 + Retry-After is waited out, within bounds
(Patience), and the catalog is asked for with the ETag of the one this hub last walked.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.blobs import hash_file
from sync.device import Device, verify
from sync.protocol import (
    API,
    HEADER_ANSWER,
    HEADER_NONCE,
    HEADER_RETRY_AFTER,
    answer_bytes,
    not_modified,
    pack_json,
    sign_request,
)

if TYPE_CHECKING:
    import httpx

CHUNK = 256 * 1024
BUSY = 503  # the central server paces syncs: come back after Retry-After seconds
NOT_MODIFIED = 304
JSON_BODY = {"content-type": "application/json", "content-encoding": "gzip"}


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


class Busy(SyncError):
    """The central server stayed busy with other hubs for longer than a hub waits in one sync."""


class DamagedBlob(SyncError):
    """A downloaded file did not match its sha256; the `.part` file was removed."""


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) else f"the central server answered {response.status_code}"


def _post_json(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    headers = JSON_BODY | headers
    try:
        response = client.post(url, content=body, headers=headers)
    except _httpx().HTTPError as error:
        raise _unreachable(error) from None
    _refuse_errors(response)
    return response


def _refuse_errors(response: httpx.Response) -> None:
    """SyncError (NotFound for a 404) with the centre's words, for an answer that is an error."""
    if response.status_code == 404:
        raise NotFound(_detail(response))
    if response.status_code >= 400:
        raise SyncError(_detail(response))


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


class Patience:
    """How a hub waits while the central server is busy (503 + Retry-After): each wait as long as
    the centre asks, stretched by up to JITTER so hubs sent away together do not come back
    together, at most MAX_WAIT seconds; it gives up after MAX_WAITS waits or DEADLINE seconds of
    waiting in one sync. `sleep`, `clock` and `jitter` are replaceable for tests."""

    DEFAULT_WAIT = 20.0  # when the centre says no number
    MAX_WAIT = 120.0
    MAX_WAITS = 30
    DEADLINE = 600.0
    JITTER = 0.5

    def __init__(
        self,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.sleep, self.clock, self.jitter = sleep, clock, jitter
        self.waits = 0
        self._started: float | None = None

    def wait(self, response: httpx.Response) -> None:
        """Sleep as a busy centre asked, or raise Busy once waiting has gone on too long."""
        now = self.clock()
        self._started = now if self._started is None else self._started
        try:
            asked = min(self.MAX_WAIT, max(1.0, float(response.headers.get(HEADER_RETRY_AFTER, ""))))
        except ValueError:
            asked = self.DEFAULT_WAIT
        seconds = asked * (1 + self.JITTER * self.jitter())
        if self.waits >= self.MAX_WAITS or now + seconds - self._started > self.DEADLINE:
            minutes = max(1, round((now - self._started) / 60))
            raise Busy(
                f"the central server stayed busy with other hubs' syncs ({self.waits} waits, about "
                f"{minutes} min); the hub tries again on its own later"
            )
        self.waits += 1
        self.sleep(seconds)


class CentralClient:
    """Signed requests to one central server, whose JSON answers must be signed by its device key
    (`centre_key`, base64); use as a context manager. A busy centre's 503 is waited out (Patience)."""

    def __init__(
        self,
        url: str,
        device: Device,
        centre_key: str,
        transport: httpx.BaseTransport | None = None,
        patience: Patience | None = None,
    ) -> None:
        self.device = device
        self.centre_key = centre_key
        self.patience = patience or Patience()
        self._client = _httpx().Client(base_url=url.rstrip("/"), timeout=_timeout(), transport=transport)

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _send(
        self, method: str, target: str, body: bytes, extra: dict[str, str]
    ) -> tuple[httpx.Response, str]:
        """One signed request (signed anew after each wait), and the nonce its answer must be signed for."""
        while True:
            headers = sign_request(self.device, method, target, body) | extra
            try:
                response = self._client.request(method, target, content=body or None, headers=headers)
            except _httpx().HTTPError as error:
                raise _unreachable(error) from None
            if response.status_code != BUSY:
                break
            self.patience.wait(response)
        _refuse_errors(response)
        return response, headers[HEADER_NONCE]

    def _get(self, target: str) -> Any:
        return self._checked(*self._send("GET", target, b"", {}))

    def _post(self, target: str, data: Any) -> Any:
        return self._checked(*self._send("POST", target, pack_json(data), JSON_BODY))

    def _checked(self, response: httpx.Response, nonce: str) -> Any:
        """The answer's JSON, if the centre signed it for this very request."""
        try:
            data = response.json()
        except ValueError:
            raise Unreachable("the central server's answer was cut short") from None
        self._check_signed(data, response, nonce)
        return data

    def _check_signed(self, data: Any, response: httpx.Response, nonce: str) -> None:
        signature = response.headers.get(HEADER_ANSWER, "")
        if not verify(self.centre_key, answer_bytes(nonce, data), signature):
            raise SyncError(
                "the central server's answer was not signed by it: it was changed on the way, or "
                "another server answered. Nothing of it was taken in"
            )

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

    def done(self) -> None:
        """Say this sync is over, so the centre gives its place to another hub at once."""
        self._post(f"{API}/done", {})

    def catalog(self, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """The centre's signed catalog, {"catalog": {...}, "signature": minisign text}, and its ETag;
        None for the catalog when it is still the one whose ETag this hub gives (a 304)."""
        response, nonce = self._send("GET", f"{API}/catalog", b"", {"if-none-match": etag} if etag else {})
        if response.status_code == NOT_MODIFIED:
            self._check_signed(not_modified(etag or ""), response, nonce)
            return None, etag
        return self._checked(response, nonce), response.headers.get("etag")

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
            try:
                with self._blob_stream(
                    target, {"range": f"bytes={have}-", "if-range": f'"{sha256}"'} if have else {}
                ) as response:
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

    @contextmanager
    def _blob_stream(self, target: str, extra: dict[str, str]) -> Iterator[httpx.Response]:
        """A streamed answer to a signed GET, a busy centre waited out; SyncError for a refusal."""
        while True:
            headers = sign_request(self.device, "GET", target, b"") | extra
            with self._client.stream("GET", target, headers=headers) as response:
                if response.status_code == BUSY:
                    response.read()
                    self.patience.wait(response)
                    continue
                if response.status_code >= 400:
                    response.read()
                    raise SyncError(_detail(response))
                yield response
                return
