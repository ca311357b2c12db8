"""Background jobs that survive a restart: transcoding an uploaded video, a big import.

A job is a row in SQLite. One runner thread per hub process takes queued jobs in order and
runs them one at a time (a Raspberry Pi has few cores, and residents come first). Jobs someone is
waiting for come first; background work (speech for the whole library) runs when none is queued. A job found
"running" whose owner process is gone — the hub crashed or lost power — is queued again when a
runner starts, so every job kind must be safe to run twice: write to a temporary file and
replace at the end, import in one transaction. A job that fails MAX_ATTEMPTS times stays
"failed" with its error in plain words.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from hub.db import transaction
from hub.i18n import N_
from hub.library import now

if TYPE_CHECKING:
    from hub.home import Hub

log = logging.getLogger(__name__)

Report = Callable[[int, int, str], None]  # (done, total, what is happening now)
JobFunction = Callable[["Hub", dict[str, Any], Report], dict[str, Any] | None]

MAX_ATTEMPTS = 3
STATE_LABELS = {"queued": N_("Waiting"), "running": N_("Running"), "done": N_("Done"), "failed": N_("Failed")}
POLL_SECONDS = 1.0  # how often an idle runner looks for jobs queued by another process
REPORT_SECONDS = 0.5  # progress is written at most this often
CHILD_POLL_SECONDS = 0.2  # how often a job waiting for a child process asks whether the hub stops
KEEP_FINISHED_DAYS = 30  # finished jobs are shown this long, then forgotten (a sync runs every few minutes)
FORGET_EVERY_SECONDS = 3600


class JobError(Exception):
    """A failure to show as it is: the message is written for the person who queued the job."""


class JobInterrupted(Exception):
    """The hub is stopping: raised from a job's next progress report, so a long job (speech for a
    course) does not hold the hub's stop; the job goes back in the queue, its attempt not counted."""


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    params: dict[str, Any]
    state: str
    attempts: int
    done: int
    total: int
    message: str
    result: dict[str, Any] | None
    created_by: str | None
    created_at: str
    updated_at: str

    @property
    def percent(self) -> int | None:
        return min(100, self.done * 100 // self.total) if self.total > 0 else None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def _job(row: tuple[Any, ...]) -> Job:
    fields = list(row)
    fields[2] = json.loads(fields[2])
    fields[8] = json.loads(fields[8]) if fields[8] else None
    return Job(*fields)


_COLUMNS = (
    "id, kind, params, state, attempts, done, total, message, result, created_by, created_at, updated_at"
)


def submit(
    db: Database,
    kind: str,
    params: dict[str, Any],
    created_by: str | None = None,
    *,
    background: bool = False,
) -> int:
    """Queue a job; a running runner picks it up at once, or after every job someone is waiting
    for if it is `background` work (its id is returned)."""
    stamp = now()
    cursor = db.execute(
        "INSERT INTO jobs (kind, params, state, created_by, created_at, updated_at, background)"
        " VALUES (?, ?, 'queued', ?, ?, ?, ?)",
        [kind, json.dumps(params), created_by, stamp, stamp, int(background)],
    )
    for runner in list(_runners.values()):
        runner.wake()
    return int(cursor.lastrowid or 0)


def get_job(db: Database, job_id: int) -> Job | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id]).fetchone()
    return _job(row) if row else None


def recent_jobs(db: Database, kinds: Collection[str], limit: int = 50) -> list[Job]:
    """Jobs of these kinds: unfinished ones first, then the most recent ones."""
    marks = ", ".join("?" * len(kinds))
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE kind IN ({marks})"
        " ORDER BY state IN ('done', 'failed'), id DESC LIMIT ?",
        [*kinds, limit],
    ).fetchall()
    return [_job(row) for row in rows]


def forget_finished(db: Database, days: int = KEEP_FINISHED_DAYS) -> int:
    """Delete jobs that ended more than `days` ago; return how many."""
    cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    cursor = db.execute("DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < ?", [cutoff])
    return cursor.rowcount


def _boot_id() -> str:
    """Changes at every boot: after a power cut the hub often gets the same process id again."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown-boot"


def _owner() -> str:
    return f"{os.uname().nodename}:{_boot_id()}:{os.getpid()}"


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that claimed a job still runs (on this machine; the hub is one machine)."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != f"{os.uname().nodename}:{_boot_id()}" or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_orphans(db: Database) -> int:
    """Queue again the jobs left "running" by a process that is gone; return how many."""
    orphans = [
        job_id
        for job_id, owner in db.execute("SELECT id, owner FROM jobs WHERE state = 'running'").fetchall()
        if not _owner_alive(owner)
    ]
    for job_id in orphans:
        db.execute(
            "UPDATE jobs SET state = 'queued', owner = NULL, message = ?, updated_at = ?"
            " WHERE id = ? AND state = 'running'",
            ["Interrupted; it will run again.", now(), job_id],
        )
    return len(orphans)


def claim_next(db: Database, kinds: set[str]) -> Job | None:
    """Take the oldest queued job of a kind this process knows, background work last, marking it
    as ours."""
    if not kinds:
        return None
    marks = ", ".join("?" * len(kinds))
    with transaction(db):
        row = db.execute(
            f"SELECT id FROM jobs WHERE state = 'queued' AND kind IN ({marks})"
            " ORDER BY background, id LIMIT 1",
            sorted(kinds),
        ).fetchone()
        if row is None:
            return None
        db.execute(
            "UPDATE jobs SET state = 'running', owner = ?, attempts = attempts + 1, updated_at = ?"
            " WHERE id = ?",
            [_owner(), now(), row[0]],
        )
    return get_job(db, row[0])


def run_job(hub: Hub, job: Job, function: JobFunction, stopping: Callable[[], bool] = lambda: False) -> Job:
    """Run one claimed job to its end and record how it ended (or put it back if the hub stops)."""
    last_write = 0.0

    def report(done: int, total: int, message: str = "") -> None:
        nonlocal last_write
        if stopping():
            raise JobInterrupted
        if time.monotonic() - last_write < REPORT_SECONDS and done < total:
            return
        last_write = time.monotonic()
        hub.db.execute(
            "UPDATE jobs SET done = ?, total = ?, message = ?, updated_at = ? WHERE id = ?",
            [done, total, message, now(), job.id],
        )

    try:
        result = function(hub, job.params, report)
    except JobInterrupted:
        hub.db.execute(
            "UPDATE jobs SET state = 'queued', owner = NULL, attempts = attempts - 1, updated_at = ?"
            " WHERE id = ?",
            [now(), job.id],
        )
    except Exception as error:
        if isinstance(error, JobError):
            message = str(error)
        else:
            log.exception("job %s (%s) failed", job.id, job.kind)
            message = f"Something went wrong: {error}"
        retry = job.attempts < MAX_ATTEMPTS and not isinstance(error, JobError)
        hub.db.execute(
            "UPDATE jobs SET state = ?, owner = NULL, message = ?, updated_at = ? WHERE id = ?",
            ["queued" if retry else "failed", message, now(), job.id],
        )
    else:
        hub.db.execute(
            "UPDATE jobs SET state = 'done', owner = NULL, done = MAX(done, total), message = '',"
            " result = ?, updated_at = ? WHERE id = ?",
            [json.dumps(result or {}), now(), job.id],
        )
    finished = get_job(hub.db, job.id)
    assert finished is not None
    return finished


@contextmanager
def child_process(args: list[str], **options: Any) -> Iterator[subprocess.Popen[Any]]:
    """A job's child process (an encoder, a voice), killed if the job ends early: the hub
    stopping (JobInterrupted from a report), an error, a time limit. None runs on after its job."""
    with subprocess.Popen(args, **options) as process:
        try:
            yield process
        except BaseException:
            process.kill()
            raise


def run_child(
    args: list[str],
    keep_going: Callable[[], None],
    input: bytes | None = None,
    timeout: float = 3600,
    niceness: int = 10,
) -> subprocess.CompletedProcess[bytes]:
    """subprocess.run for a job: while the child works, `keep_going` (a call to the job's report,
    which raises JobInterrupted when the hub stops) runs every CHILD_POLL_SECONDS. The child runs
    at a lower priority (`niceness`), so residents' pages stay quick."""
    deadline = time.monotonic() + timeout
    stdin = subprocess.PIPE if input is not None else subprocess.DEVNULL
    with child_process(
        args,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.nice(niceness),
    ) as process:
        while True:
            try:
                out, errors = process.communicate(input, timeout=CHILD_POLL_SECONDS)
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    raise
                keep_going()
                input = None  # sent already: communicate() goes on writing what is left
            else:
                return subprocess.CompletedProcess(args, process.returncode, out, errors)


def run_queued(
    hub: Hub, functions: dict[str, JobFunction], stopping: Callable[[], bool] = lambda: False
) -> int:
    """Run every queued job of these kinds in this thread, oldest first, until none is left or the
    hub stops; return how many ran."""
    ran = 0
    while not stopping() and (job := claim_next(hub.db, set(functions))) is not None:
        run_job(hub, job, functions[job.kind], stopping)
        ran += 1
    return ran


class JobRunner:
    """The thread that runs a hub's jobs in this process."""

    def __init__(self, hub: Hub, functions: dict[str, JobFunction]) -> None:
        self.functions = functions
        self._hub_ref = weakref.ref(hub)
        self._wake = threading.Event()
        self._stopping = False
        requeue_orphans(hub.db)
        self._thread = threading.Thread(target=self._loop, name="hub-jobs", daemon=True)
        self._thread.start()

    @property
    def stopped(self) -> bool:
        return self._stopping or not self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        forgotten_at = 0.0
        while not self._stopping:
            hub = self._hub_ref()
            if hub is None or not hub.home.is_dir():
                return
            try:
                run_queued(hub, self.functions, lambda: self._stopping)
                if time.monotonic() - forgotten_at > FORGET_EVERY_SECONDS:
                    forget_finished(hub.db)
                    hub.remove_leftovers()
                    forgotten_at = time.monotonic()
            except Exception:
                log.exception("the job runner stumbled; it goes on")
            del hub
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()


_runners: weakref.WeakKeyDictionary[Hub, JobRunner] = weakref.WeakKeyDictionary()
_runners_lock = threading.Lock()


def start_runner(hub: Hub, functions: dict[str, JobFunction]) -> JobRunner:
    """The one job runner of this hub in this process, started on first call."""
    with _runners_lock:
        runner = _runners.get(hub)
        if runner is None or runner.stopped:
            runner = _runners[hub] = JobRunner(hub, functions)
    return runner


def job_functions(manager: Any) -> dict[str, JobFunction]:
    """Every job kind the enabled plugins provide."""
    return {kind: fn for kinds in manager.hook.hub_job_kinds() for kind, fn in kinds.items()}
