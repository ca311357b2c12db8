"""/tutor/hubs at a million changes: the aggregates kept at ingest against the old scanning queries.

    PYTHONPATH=. python bench/tallies/run.py [--changes 100000 1000000] [--rounds 5]

For each size, a centre database is filled directly (SQL, no signing): 200 enrolled hubs,
20 held courses of 10 lessons, learners of 20 changes each (15 lesson rows over two courses, 5
quiz attempts), one in ten named. The aggregates are then filled by the upgrade's migration
(timed: what an upgrade costs). Measured, same run, same database: the report's three lists
(first page each) read from the aggregates, median of `--rounds`; the old queries (the oracle of
tests/sync/test_tallies.py), once (they take seconds). Also the cost of keeping the aggregates:
1,000 new changes taken in (store.receive) with and without tallies.count_change, medians of
`--rounds`, each round rolled back. Target: the report at most 0.5 s and flat from 100 k to 1 M.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from hub.db import MIGRATIONS, connect, migrate
from hub.plugins.sync import overview
from sync import store, tallies
from tests.sync.test_tallies import recomputed

HUBS, COURSES, LESSONS, CHANGES_PER_LEARNER = 200, 20, 10, 20
OWN = "centre-device"


def _fill(path: Path, changes: int) -> Any:
    db = connect(path)
    migrate(db)
    learners = changes // CHANGES_PER_LEARNER
    db.execute("BEGIN")
    db.execute("INSERT INTO settings VALUES ('device_id', ?)", [f'"{OWN}"'])
    db.conn.executemany(
        "INSERT INTO courses (id, version, title, summary, language, topics, publisher, lesson_count,"
        " manifest, manifest_sha256, origin, imported_at)"
        " VALUES (?, 1, ?, '', 'en', '[]', '', ?, '{}', '', 'x', '')",
        [(f"course-{c:02d}", f"Course {c:02d}", LESSONS) for c in range(COURSES)],
    )
    db.conn.executemany(
        "INSERT INTO sync_hubs (device_id, public_key, name, enrolled_at) VALUES (?, 'key', ?, '')",
        [(f"hub-{h:03d}", f"Hub {h:03d}") for h in range(HUBS)],
    )
    lesson_rows = [
        (f"learner-{n}", f"course-{(n + k // LESSONS) % COURSES:02d}", f"lesson-{k % LESSONS}", k % 3 != 0)
        for n in range(learners)
        for k in range(15)
    ]
    db.conn.executemany(
        "INSERT INTO progress (learner_id, course_id, lesson_id, progress, completed_at, last_opened_at)"
        " VALUES (?, ?, ?, 1.0, CASE WHEN ? THEN '2026-01-01' END, '2026-01-01')",
        lesson_rows,
    )
    db.conn.executemany(
        "INSERT INTO quiz_attempts VALUES (?, ?, ?, 'lesson-9', ?, 4, 1, '[]', '2026-01-01')",
        [(f"attempt-{n}-{a}", f"learner-{n}", f"course-{n % COURSES:02d}", a % 5) for n in range(learners)
         for a in range(5)],
    )  # fmt: skip
    db.conn.executemany(
        "INSERT INTO changes (device_id, counter, learner_id, kind, body, signature)"
        " VALUES (?, ?, ?, ?, ?, 's')",
        [(f"hub-{n % HUBS:03d}", n * CHANGES_PER_LEARNER + k, f"learner-{n}",
          "lesson" if k < 15 else "attempt", '{"kind": "lesson", "padding": "' + "x" * 120 + '"}')
         for n in range(learners) for k in range(CHANGES_PER_LEARNER)],
    )  # fmt: skip
    db.conn.executemany(
        "INSERT INTO learner_names VALUES (?, ?, '2026')",
        [(f"learner-{n}", f"Name {n}") for n in range(0, learners, 10)],
    )
    db.execute("COMMIT")
    return db


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _report(db: Any) -> None:
    overview.per_course(db, OWN), overview.per_hub(db, OWN), overview.named_learners(db, OWN)


def _ingest(db: Any, rounds: int) -> float:
    """Median seconds to take in 1,000 new lesson changes about new and known learners."""
    times = []
    for round_ in range(rounds):
        db.execute("BEGIN")
        start = time.perf_counter()
        for n in range(1000):
            change = {"kind": "lesson", "learner": f"learner-{n * 7}", "course": "course-03",
                      "lesson": f"new-{round_}-{n}", "progress": 1.0, "completed_at": "2026-02-01",
                      "opened_at": "2026-02-01"}  # fmt: skip
            store.receive(db, f"hub-{(n * 7) % HUBS:03d}", 10**9 + n, change, "s")
        times.append(time.perf_counter() - start)
        db.execute("ROLLBACK")
    return statistics.median(times)


def _measure(db: Any, changes: int, rounds: int) -> None:
    [fill] = [script for script in MIGRATIONS if "CREATE TABLE tally_learners" in script]
    tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'tally_%'"
    for (table,) in db.execute(tables).fetchall():
        db.execute(f"DROP TABLE {table}")
    upgrade = _timed(lambda: db.conn.executescript(f"BEGIN;{fill}COMMIT;"))
    new = statistics.median(_timed(lambda: _report(db)) for _ in range(rounds))
    old = _timed(lambda: recomputed(db, OWN))
    kept = _ingest(db, rounds)
    with mock.patch.object(tallies, "count_change", lambda *a: None):
        bare = _ingest(db, rounds)
    verdict = "met" if new <= 0.5 else "MISSED"
    print(
        f"{changes:>9,} changes: report {new * 1000:7.1f} ms from aggregates ({verdict} <= 500 ms),"
        f" {old * 1000:8.1f} ms by the old queries; upgrade fill {upgrade:5.1f} s;"
        f" 1,000 changes in {kept * 1000:6.1f} ms with tallies, {bare * 1000:6.1f} ms without"
        f" (x{kept / bare:.2f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for changes in args.changes:
        with tempfile.TemporaryDirectory() as folder:
            _measure(_fill(Path(folder) / "hub.db", changes), changes, args.rounds)


if __name__ == "__main__":
    main()
