"""A centre holding millions of changes, written straight into its SQLite, and /tutor/hubs timed on it.

Sending millions of changes through HTTP would take hours here, so the rows go in by bulk INSERT
before the centre starts, shaped as the centre keeps what it takes in (sync/store.py `_keep` and
`_merge_into_tables`, hub/plugins/sync/central.enroll): per simulated hub a `sync_hubs` row and a device,
its knowledge counter, and per change a `changes` row (canonical JSON body, a signature-shaped
string: the centre never re-verifies what it holds) merged into `progress` + `progress_time`
(lessons) or `quiz_attempts` (quiz lessons), and the learner's first writer in `learner_writers`.
Learners are pseudonyms, as hubs send by default. Lessons are the starter courses' real lessons, so
the page's "courses completed" has something to count. Report aggregates are not written here: the
fill lays down only the migrations its tables need (lay_schema), and `hub init` runs the later ones,
which fill the aggregates from the rows, as on a centre upgraded with progress in it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from content.package import canonical_json
from hub.db import MIGRATIONS, connect
from sync.merge import Attempt, LessonState, attempt_change, lesson_change

ADMIN = ("bench-admin", "bench-admin-password-2026")
LESSONS_EACH = 20  # lessons each learner has a change about
STAMP = "2026-05-01T10:00:00+00:00"


def _b32(seed: str) -> str:
    return base64.b32encode(hashlib.sha256(seed.encode()).digest()[:16]).decode().rstrip("=").lower()


def _signature(seed: str) -> str:
    return base64.b64encode(hashlib.sha512(seed.encode()).digest()).decode()


# The tables the fill writes: it lays down the migrations up to the one that completes them, no more.
FILLED_TABLES = frozenset({"changes", "progress", "progress_time", "quiz_attempts", "learner_writers",
                           "knowledge", "devices", "sync_hubs"})  # fmt: skip


def _hub_cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "hub", *args], check=True, capture_output=True)


def starter_lessons(home: Path) -> list[tuple[str, str, str]]:
    """The starter courses' lessons (course, lesson, kind), read from a hub `hub init` makes at `home`."""
    _hub_cli("init", "--home", str(home))
    with sqlite3.connect(home / "hub.db") as db:
        return db.execute("SELECT course_id, id, kind FROM lessons ORDER BY course_id, position").fetchall()


def lay_schema(home: Path) -> None:
    """A centre database with the migrations up to the first one after which every table the fill
    writes exists (the loop of hub.db.migrate, stopped early). Later ones, report aggregates among
    them, then run on the filled data at `hub init`, as on a centre upgraded with progress in it."""
    home.mkdir(parents=True)
    db = connect(home / "hub.db")
    for number, script in enumerate(MIGRATIONS, start=1):
        db.conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        if set(db.table_names()) >= FILLED_TABLES:
            break
    db.conn.close()


def finish_centre(home: Path) -> None:
    """The rest of the centre as `hub init` makes it (later migrations, starter courses), with an
    admin made by the CLI."""
    _hub_cli("init", "--home", str(home))
    _hub_cli("admin", "create", ADMIN[0], "--password", ADMIN[1], "--home", str(home))


@dataclass(frozen=True)
class Rows:
    changes: list[tuple[object, ...]]
    progress: list[tuple[object, ...]]
    times: list[tuple[object, ...]]
    attempts: list[tuple[object, ...]]
    writers: list[tuple[str, str]]


def _hub_rows(device: str, count: int, lessons: list[tuple[str, str, str]]) -> Rows:
    """`count` changes of one hub's learners, LESSONS_EACH lessons each (a quiz lesson: an attempt)."""
    rows = Rows([], [], [], [], [])
    for counter in range(1, count + 1):
        learner_no, step = divmod(counter - 1, LESSONS_EACH)
        learner = f"{device[:16]}{learner_no:010d}"
        if step == 0:
            rows.writers.append((learner, device))
        course, lesson, kind = lessons[(learner_no * 7 + step) % len(lessons)]
        if kind == "quiz":
            attempt = Attempt(f"{learner}-{counter}", learner, course, lesson, step % 4, 3, step % 4 == 3,
                              "[]", STAMP)  # fmt: skip
            change = attempt_change(attempt)
            rows.attempts.append(tuple(attempt.__dict__.values()))
        else:
            completed = STAMP if step % 2 else None
            change = lesson_change((learner, course, lesson), LessonState(1.0, completed, STAMP), device)
            rows.progress.append((learner, course, lesson, 1.0, completed, STAMP))
            rows.times.append((learner, course, lesson, device, 30 + step))
        body, signature = canonical_json(change).decode(), _signature(f"{device}{counter}")
        rows.changes.append((device, counter, learner, change["kind"], body, signature))
    return rows


_INSERTS = {
    "changes": "INSERT INTO changes (device_id, counter, learner_id, kind, body, signature)"
    " VALUES (?,?,?,?,?,?)",
    "progress": "INSERT OR IGNORE INTO progress (learner_id, course_id, lesson_id, progress, completed_at,"
    " last_opened_at) VALUES (?,?,?,?,?,?)",
    "times": "INSERT OR IGNORE INTO progress_time (learner_id, course_id, lesson_id, device_id, seconds)"
    " VALUES (?,?,?,?,?)",
    "attempts": "INSERT OR IGNORE INTO quiz_attempts (id, learner_id, course_id, lesson_id, score, total,"
    " passed, answers, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
    "writers": "INSERT OR IGNORE INTO learner_writers (learner_id, device_id) VALUES (?,?)",
}


def _devices(hubs: int) -> Iterator[tuple[int, str, str]]:
    """Each simulated hub's number, device id and public key, in device id order (as the centre's
    primary keys sort them, so the bulk inserts append)."""
    for n in sorted(range(hubs), key=lambda n: _b32(f"bench hub {n}")):
        key = base64.b64encode(hashlib.sha256(f"key {n}".encode()).digest()).decode()
        yield n, _b32(f"bench hub {n}"), key


def fill(home: Path, total: int, hubs: int, lessons: list[tuple[str, str, str]]) -> None:
    """Write `total` changes of `hubs` enrolled hubs about `lessons` into the centre database at `home`."""
    db = sqlite3.connect(home / "hub.db", isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    each, extra = divmod(total, hubs)
    db.execute("BEGIN")
    for n, device, key in _devices(hubs):
        count = each + (1 if n < extra else 0)
        rows = _hub_rows(device, count, lessons)
        for table, sql in _INSERTS.items():
            db.executemany(sql, getattr(rows, table))
        db.execute("INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?,?,NULL,?)",
                   [device, key, STAMP])  # fmt: skip
        db.execute("INSERT INTO knowledge (device_id, counter) VALUES (?, ?)", [device, count])
        db.execute(
            "INSERT INTO sync_hubs (device_id, public_key, name, enrolled_at, last_seen_at)"
            " VALUES (?,?,?,?,?)",
            [device, key, f"Hub {n:04d}", STAMP, STAMP],
        )
        if n % 50 == 49:
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def admin_client(url: str, timeout: float) -> httpx.Client:
    """A browser-like session signed in as the centre's admin (the sign-in form, with its CSRF token)."""
    session = httpx.Client(base_url=url, timeout=timeout)
    form = session.get("/signin").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = session.post("/signin", data={"name": ADMIN[0], "pin": ADMIN[1], "csrf_token": token})
    if signed.status_code >= 400 or "hub_session" not in session.cookies:
        raise SystemExit(f"the bench admin could not sign in at the centre ({signed.status_code})")
    return session


@dataclass(frozen=True)
class PageTimes:
    first: float | None  # the first GET after the start (cold caches); None: longer than the timeout
    median: float | None  # of the timed GETs after it; None: none finished in time
    each: list[float]
    bytes: int
    hubs_named: int  # simulated hubs' names on the page (0: it showed none of their progress)


def time_page(session: httpx.Client, path: str, rounds: int) -> PageTimes:
    """One GET on cold caches, then the median of `rounds` more (a tutor who comes back); stop at the
    first that takes longer than the session's timeout."""
    timings: list[float] = []
    size = named = 0
    for _ in range(rounds + 1):
        started = time.perf_counter()
        try:
            page = session.get(path)
        except httpx.TimeoutException:
            break
        if page.status_code != 200:
            raise SystemExit(f"{path} answered {page.status_code}, not the page")
        size, named = len(page.content), len(set(re.findall(r"Hub \d{4}", page.text)))
        timings.append(time.perf_counter() - started)
    first, rest = (timings[0], timings[1:]) if timings else (None, [])
    return PageTimes(first, statistics.median(rest) if rest else None, rest, size, named)
