"""The central server paces sync: at most a few hubs' sync sessions at once, the others asked to
come back later (503 + Retry-After), so 200 hubs syncing together take turns instead of all
timing out together.

A session belongs to one hub. It opens with that hub's first request (a sync starts by asking
the centre's knowledge) and lasts while the hub keeps sending requests: it ends once the hub has
had no request in flight for IDLE_SECONDS (or no new request for STUCK_SECONDS). A request of a
hub with a session is always let in, so a sync that started finishes. Sessions live in this
process's memory (Sessions): a restarted centre starts with none, and hubs mid-sync simply open
new ones. A centre on PostgreSQL, whose worker processes each take some of a hub's requests, keeps
them in its database instead (SharedSessions), so every worker counts the same ones.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.i18n import N_
from hub.plugins.sync.central import Refused
from sync.storage import SESSIONS_LOCK, PgDatabase

SESSIONS_SETTING = "sync_sessions"
DEFAULT_SESSIONS = max(8, 2 * (os.cpu_count() or 1))  # a session mostly waits on a hub's slow link
IDLE_SECONDS = 15.0  # a hub's pause between two requests of one sync is well under a second
# A session is let go after this long without a new request even with one in flight: a download
# on a slow link goes on outside the count, and a cut one whose end the server never saw frees its place.
STUCK_SECONDS = 300.0
RETRY_SECONDS = 6  # the Retry-After asked, before jitter: places free often (a sync says it is done)


class Busy(Refused):
    """Every session is taken: come back after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            503,
            N_("The central server is busy with other hubs' syncs. Try again in %(seconds)d seconds."),
            seconds=retry_after,
        )
        self.retry_after = retry_after


@dataclass
class _Session:
    in_flight: int
    last_seen: float  # when a request of it last came in or was answered


class Sessions:
    """The open sync sessions of one central server, safe to use from any thread."""

    def __init__(
        self,
        limit: int,
        idle_seconds: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._jitter = jitter
        self._open: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def enter(self, device: str) -> bool:
        """Let one request of `device` in, opening its session if it has none; True when it opened
        one. Busy when every session is taken by other hubs."""
        with self._lock:
            now = self._clock()
            session = self._open.get(device)
            opened = session is None
            if session is None:
                self._close_idle(now)
                if len(self._open) >= self.limit:
                    raise Busy(round(RETRY_SECONDS * (0.5 + self._jitter())))
                session = self._open[device] = _Session(0, now)
            session.in_flight += 1
            session.last_seen = now
            return opened

    def leave(self, device: str, *, close: bool = False) -> None:
        """One request of `device` is answered; `close` ends the session it opened (a request that
        turned out not to be the hub's: a forged signature must not hold a session)."""
        with self._lock:
            session = self._open.get(device)
            if session is None:
                return
            session.in_flight -= 1
            session.last_seen = self._clock()
            if close and session.in_flight == 0:
                del self._open[device]

    def open_count(self) -> int:
        with self._lock:
            self._close_idle(self._clock())
            return len(self._open)

    def _close_idle(self, now: float) -> None:
        def ended(session: _Session) -> bool:
            quiet = now - session.last_seen
            return quiet >= STUCK_SECONDS or (session.in_flight == 0 and quiet >= self.idle_seconds)

        for device in [d for d, session in self._open.items() if ended(session)]:
            del self._open[device]


class SharedSessions:
    """The open sync sessions of a central server's worker processes, in its PostgreSQL database
    (table sync_sessions, counted under one advisory lock): the same rules as Sessions."""

    def __init__(
        self,
        db: Callable[[], PgDatabase],
        limit: int,
        idle_seconds: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self._db = db
        self._clock = clock
        self._jitter = jitter

    def enter(self, device: str) -> bool:
        db, now = self._db(), self._clock()
        with db.transaction(SESSIONS_LOCK):
            entered = db.execute(
                "UPDATE sync_sessions SET in_flight = in_flight + 1, last_seen = ? WHERE device_id = ?",
                [now, device],
            )
            if entered.rowcount:
                return False
            self._close_idle(db, now)
            if db.execute("SELECT count(*) FROM sync_sessions").fetchone()[0] >= self.limit:
                raise Busy(round(RETRY_SECONDS * (0.5 + self._jitter())))
            db.execute(
                "INSERT INTO sync_sessions (device_id, in_flight, last_seen) VALUES (?, 1, ?)", [device, now]
            )
            return True

    def leave(self, device: str, *, close: bool = False) -> None:
        db = self._db()
        with db.transaction(SESSIONS_LOCK):
            row = db.execute(
                "UPDATE sync_sessions SET in_flight = in_flight - 1, last_seen = ? WHERE device_id = ?"
                " RETURNING in_flight",
                [self._clock(), device],
            ).fetchone()
            if close and row is not None and row[0] <= 0:
                db.execute("DELETE FROM sync_sessions WHERE device_id = ?", [device])

    def open_count(self) -> int:
        db = self._db()
        with db.transaction(SESSIONS_LOCK):
            self._close_idle(db, self._clock())
            return int(db.execute("SELECT count(*) FROM sync_sessions").fetchone()[0])

    def _close_idle(self, db: PgDatabase, now: float) -> None:
        db.execute(
            "DELETE FROM sync_sessions WHERE last_seen <= ? OR (in_flight <= 0 AND last_seen <= ?)",
            [now - STUCK_SECONDS, now - self.idle_seconds],
        )
