"""Simulated hubs for bench/central/run.py: small data dirs that sync through the project's own client.

A simulated hub is a real hub home (hub.home.Hub: its SQLite database and device key), nothing
else: no server, no courses. It records lesson changes with sync/store.record, enrols with a
one-time token and syncs with hub/plugins/sync/client's push and pull steps over a real HTTP
connection. The connection goes through a counting transport (bytes each way, status codes,
the time of each request), and the client stops a pull after a given number of pages (a centre
that sends every hub everybody's lines would otherwise take hours at 1,000 hubs): it says so.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub import db as hub_db
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import client
from sync import http, store
from sync.merge import LessonState, lesson_change

LESSONS_PER_COURSE = 10
RETRY_CAP_SECONDS = 30.0  # never wait longer than this on one Retry-After


def _quiet(done: int, total: int, message: str) -> None:
    """Progress reports go nowhere."""


def write_apart() -> None:
    """Let the simulated hubs in this process write at the same time, as hubs on their own machines do.

    hub/db.py queues every writer of a process on one lock, right for a hub (one database), but here
    1,000 hubs' databases would wait on each other's writes; each is touched by one thread at a time,
    so SQLite's own locking is enough. Fails loudly if that lock is renamed (the bench would then
    measure the queue again)."""
    assert isinstance(hub_db._WRITER, type(threading.RLock())), "hub/db.py no longer has _WRITER"
    hub_db._WRITER = contextlib.nullcontext()  # type: ignore[assignment]


def _open(home: Path) -> Hub:
    """A simulated hub, its writes not flushed to disk: on its own machine they would wait for its own
    SD card, here they would queue on the disk the centre writes to."""
    hub = Hub(home)
    hub.db.execute("PRAGMA synchronous=OFF")
    return hub


@dataclass
class Request:
    path: str
    status: int
    seconds: float
    sent: int
    received: int


@dataclass
class Tally:
    """What crossed the wire, shared by every connection of one phase (threads append under a lock)."""

    requests: list[Request] = field(default_factory=list)
    timeouts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def timed_out(self) -> None:
        with self.lock:
            self.timeouts += 1

    def statuses(self, status: int) -> int:
        return sum(1 for r in self.requests if r.status == status)

    def seconds_of(self, path_end: str) -> list[float]:
        return [r.seconds for r in self.requests if r.path.endswith(path_end) and r.status < 400]


def _head_bytes(headers: httpx.Headers) -> int:
    """A head's size on the wire, near enough: `name: value\\r\\n` per header, plus the first line."""
    return 32 + sum(len(name) + len(value) + 4 for name, value in headers.raw)


class CountingTransport(httpx.BaseTransport):
    """httpx's own transport, noting each request's time, status and bytes (bodies as sent, gzip)."""

    def __init__(self, tally: Tally) -> None:
        self._inner = httpx.HTTPTransport()
        self._tally = tally
        self.retry_after: float | None = None  # what the last 503 asked for

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
            body = b"".join(response.stream)
        except httpx.TimeoutException:
            self._tally.timed_out()
            raise
        response.close()
        self._tally.add(Request(
            request.url.path, response.status_code, time.perf_counter() - started,
            _head_bytes(request.headers) + len(request.content), _head_bytes(response.headers) + len(body),
        ))  # fmt: skip
        if response.status_code == 503:
            self.retry_after = _seconds(response.headers.get("retry-after"))
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, extensions=response.extensions
        )

    def close(self) -> None:
        self._inner.close()


def _seconds(retry_after: str | None) -> float:
    try:
        return min(RETRY_CAP_SECONDS, max(0.0, float(retry_after or 1)))
    except ValueError:
        return 1.0


class PagedClient(http.CentralClient):
    """The project's client, counting the lines it pulls and stopping a pull after `pull_pages` pages
    (0: never), as if the last page said nothing more waited; `cut` says a pull was stopped."""

    def __init__(self, url: str, hub: Hub, centre_key: str, transport: CountingTransport, pull_pages: int):
        super().__init__(url, hub.device, centre_key, transport)
        self.pull_pages = pull_pages
        self.pages = 0
        self.lines = 0
        self.cut = False

    def pull(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        page = super().pull(*args, **kwargs)
        self.pages += 1
        self.lines += len(page.get("changes", []))
        if self.pull_pages and self.pages >= self.pull_pages and page.get("more"):
            self.cut = True
            return {**page, "more": False}
        return page


def record_progress(hub: Hub, learners: int, changes_each: int, round_no: int) -> None:
    """`learners` learners each open `changes_each` lessons (one change each), in one transaction."""
    state = LessonState(0.5, None, f"2026-05-{1 + round_no:02d}T10:00:00", ((hub.device.id, 30),))
    with transaction(hub.db):
        for learner in range(learners):
            for n in range(changes_each):
                course, lesson = divmod(n + round_no * changes_each, LESSONS_PER_COURSE)
                key = (f"learner-{learner}", f"course-{course}", f"lesson-{lesson}")
                store.record(hub.db, lesson_change(key, state, hub.device.id))


def make_hub(home: Path, url: str, token: str, learners: int, changes_each: int) -> None:
    """A new hub at `home` with its learners' progress, enrolled with the centre at `url`."""
    hub = _open(home)
    record_progress(hub, learners, changes_each, 0)
    client.enroll(hub, url, token, home.name)
    hub.db.conn.close()


def add_progress(home: Path, learners: int) -> None:
    """One more lesson opened by each learner of the hub at `home` (its next sync pushes them)."""
    hub = _open(home)
    record_progress(hub, learners, 1, 1)
    hub.db.conn.close()


@dataclass
class Outcome:
    seconds: float
    pushed: int = 0
    pulled_lines: int = 0
    pulled_new: int = 0
    cut: bool = False
    tries: int = 1
    error: str | None = None


def sync(home: Path, tally: Tally, push: bool, pull: bool, pull_pages: int, tries: int) -> Outcome:
    """Push and/or pull for the hub at `home`; on a 503 wait what Retry-After asks (plus jitter) and
    try again, `tries` times at most, as a hub's background sync does."""
    started = time.perf_counter()
    hub = _open(home)
    centre = client.central(hub)
    assert centre is not None, f"{home.name} is not enrolled"
    attempt = 0
    try:
        while True:
            attempt += 1
            transport = CountingTransport(tally)
            result = client.SyncResult()
            try:
                with PagedClient(centre["url"], hub, centre["public_key"], transport, pull_pages) as paged:
                    if push:
                        client._push(hub, paged, centre["device"], result, _quiet)
                    if pull:
                        client._pull(hub, paged, centre["device"], result, _quiet)
                    paged.done()  # as client.sync_now ends: the centre's session place goes to the next hub
                seconds = time.perf_counter() - started
                return Outcome(seconds, result.pushed, paged.lines, result.pulled, paged.cut, attempt)
            except http.SyncError as error:
                if transport.retry_after is None or attempt >= tries:
                    return Outcome(time.perf_counter() - started, tries=attempt, error=str(error))
                time.sleep(transport.retry_after + random.uniform(0, 1))
    finally:
        hub.db.conn.close()


def homes(folder: Path, count: int) -> Iterator[Path]:
    return (folder / f"hub-{n:04d}" for n in range(count))
