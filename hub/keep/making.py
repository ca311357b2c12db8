"""The background jobs that make booklets and ZIM files, and the process that does the work.

Laying out a PDF or compressing a ZIM keeps a core busy for seconds to minutes. Run in the hub's
own process, it would hold Python's lock and slow every page residents open, so the job starts
`python -m hub.keep.making` at a lower priority (os.nice) and waits for it, passing on its progress
lines. The child reads the database and the blobs and writes a work file; the job then stores
the file as a blob and records it in one transaction, only if the courses it was made from are
still there at the same versions: a course removed meanwhile ends the job with a message and
leaves no blob behind. Running twice is safe: the work file is new each time and a blob is
content-addressed.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.blobs import CHUNK, hash_file
from hub.i18n import N_
from hub.jobs import JobError, Report, child_process, get_job, submit
from hub.keep import store

if TYPE_CHECKING:
    from sqlite_utils import Database

    from hub.home import Hub
    from hub.jobs import Job

KIND = "keep"
WORK_FOLDER = "keep-work"
NICENESS = 19  # the maker yields the processor to the web server (SCHED_IDLE could starve it)
PROGRESS = "KEEP-PROGRESS "
GONE = N_("The course was removed or changed while this file was being made, so nothing was kept.")
NOTHING = N_("There is nothing to put in this file: its courses are no longer on this hub.")
FAILED = N_("The file could not be made: %(reason)s")


def queue(db: Database, scope: str, fmt: str, hub_address: str, created_by: str | None = None) -> int:
    """Ask for a keepsake to be made, unless a job for the same one is waiting or running."""
    for job in pending(db, scope, fmt):
        return job.id
    return submit(db, KIND, {"scope": scope, "format": fmt, "address": hub_address}, created_by)


def pending(db: Database, scope: str, fmt: str) -> list[Job]:
    rows = db.execute(
        "SELECT id FROM jobs WHERE kind = ? AND state IN ('queued', 'running')"
        " AND json_extract(params, '$.scope') = ? AND json_extract(params, '$.format') = ? ORDER BY id",
        [KIND, scope, fmt],
    ).fetchall()
    return [job for (job_id,) in rows if (job := get_job(db, job_id)) is not None]


def latest(db: Database, scope: str, fmt: str) -> Job | None:
    row = db.execute(
        "SELECT id FROM jobs WHERE kind = ? AND json_extract(params, '$.scope') = ?"
        " AND json_extract(params, '$.format') = ? ORDER BY id DESC LIMIT 1",
        [KIND, scope, fmt],
    ).fetchone()
    return get_job(db, row[0]) if row else None


def run(hub: Hub, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """The job: make the keepsake in a child process, then keep it if its courses are unchanged."""
    scope, fmt = str(params["scope"]), str(params["format"])
    store.forget_stale(hub.db, hub.blobs)
    kept = store.current(hub.db, hub.blobs, scope, fmt)
    if kept is not None:
        return {"sha256": kept.sha256, "size": kept.size}
    print_ = store.fingerprint(hub.db, scope)
    if print_ is None:
        raise JobError(NOTHING)
    work = hub.home / WORK_FOLDER
    work.mkdir(exist_ok=True)
    out = work / f"{secrets.token_hex(8)}.{'pdf' if fmt == store.BOOKLET else 'zim'}"
    try:
        left_out = _make_in_child(hub.home, scope, fmt, str(params.get("address", "")), out, report)
        sha256, size = hash_file(out)
        with out.open("rb") as handle:
            hub.blobs.put_stream(iter(lambda: handle.read(CHUNK), b""), sha256, size)
    finally:
        out.unlink(missing_ok=True)
    if not store.record(hub.db, scope, fmt, print_, sha256, size, left_out):
        store.delete_unused(hub.db, hub.blobs, sha256)
        raise JobError(GONE)
    store.forget_stale(hub.db, hub.blobs)
    return {"sha256": sha256, "size": size, "left_out": left_out}


def _make_in_child(home: Path, scope: str, fmt: str, address: str, out: Path, report: Report) -> list[str]:
    command = [sys.executable, "-m", "hub.keep.making", str(home), scope, fmt, address, str(out)]
    left_out: list[str] = []
    # Its errors go to a file, not a pipe: a pipe nobody reads while the progress lines are read
    # would stop the child once it filled (a layout engine's warnings can be many).
    with tempfile.TemporaryFile("w+") as errors_file:
        with child_process(command, stdout=subprocess.PIPE, stderr=errors_file, text=True) as child:
            assert child.stdout is not None
            for line in child.stdout:
                if not line.startswith(PROGRESS):
                    continue
                message = json.loads(line[len(PROGRESS) :])
                if "left_out" in message:
                    left_out = message["left_out"]
                else:
                    report(message["done"], message["total"], message["message"])
        errors_file.seek(0)
        errors = errors_file.read()
    if child.returncode != 0:
        reason = next((ln for ln in reversed(errors.splitlines()) if ln.strip()), "unknown error")
        if reason.startswith("hub.keep: "):
            raise JobError(reason.removeprefix("hub.keep: "))
        raise JobError(FAILED % {"reason": reason})
    return left_out


def make(home: Path, scope: str, fmt: str, address: str, out: Path) -> list[str]:
    """What the child process does: write the keepsake at `out`; return the left-out lines."""
    from content.blobs import BlobStore
    from hub.db import connect
    from hub.keep.documents import load_contents

    db = connect(home / "hub.db")
    courses = store.scope_courses(db, scope)
    if not courses:
        raise LookupError(NOTHING)
    contents = load_contents(db, BlobStore(home), [cid for cid, _ in courses])

    def step(done: int, total: int, message: str) -> None:
        print(PROGRESS + json.dumps({"done": done, "total": total, "message": message}), flush=True)

    if fmt == store.BOOKLET:
        from hub.keep.booklet import write_booklet

        write_booklet(contents, address or "http://hub.local/", out, step)
    else:
        from hub.keep.zimfile import write_zim

        title, name = zim_title(db, scope, contents.courses[0].course.title)
        write_zim(contents, title, name, out, step)
    return contents.left_out


def zim_title(db: Database, scope: str, first_title: str) -> tuple[str, str]:
    """The front page title and Kiwix book name of a scope's ZIM."""
    from hub.pathways import get_pathway

    kind, _, name = scope.partition(":")
    if kind == "pathway" and (pathway := get_pathway(db, int(name))) is not None:
        return pathway.title, f"commons-hub_pathway-{name}"
    if kind == "course":
        return first_title, f"commons-hub_{name}"
    return "Commons Hub", "commons-hub_library"


def main(argv: list[str]) -> int:
    home, scope, fmt, address, out = argv
    os.nice(NICENESS)
    try:
        left_out = make(Path(home), scope, fmt, address, Path(out))
    except LookupError as error:
        print(f"hub.keep: {error.args[0]}", file=sys.stderr)
        return 1
    print(PROGRESS + json.dumps({"left_out": left_out}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
