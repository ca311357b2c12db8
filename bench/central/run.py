"""The central server under 10 / 100 / 1,000 simulated hubs, and its /tutor/hubs page at millions of changes.

    PYTHONPATH=. python bench/central/run.py [--hubs 10,100,1000] [--quick]

By default 10 and 100 hubs (about 8 minutes with the /tutor/hubs sizes); 1,000 hubs add about 12.
Figures and what they leave out: bench/central/README.md.

A real centre (`python -m hub serve --role central`, as a user starts it) on loopback, enrolment
tokens made on its database before it starts (hub/plugins/sync/central.create_token). Each
simulated hub is a hub home of its own (bench/central/hubs.py): LEARNERS learners × CHANGES
lesson changes recorded with sync/store, enrolled over HTTP, synced with the client's own push
and pull steps (hub/plugins/sync/client.py, sync/http.py). Per number of hubs N:

1. push, all at once: every hub pushes its changes, CONCURRENCY at a time. Changes per second the
   centre took in (all changes / wall time), p50/p95 of one push page (request to answer read).
2. next sync: SAMPLE hubs (first, middle, last) sync once more (push, then pull to the end): lines
   pulled per hub and bytes on the wire (bodies as sent, gzip, plus heads). This must stay flat as
   N grows once pulls are scoped; a centre that sends everybody's lines makes it grow with N.
3. sync, all at once: every hub opens one more lesson per learner, then all sync (push, pull), as
   many at once as CONCURRENCY: wall time until all are done, p50/p95 of one hub's sync, errors,
   timeouts, 503s (a hub waits what Retry-After says, with jitter, and tries again, TRIES times at
   most). A pull stops after PULL_PAGES pages (0: never): hubs stopped so are counted as "cut".
4. the centre's database size (hub.db with its WAL) and resident memory (VmRSS, VmHWM).

Each phase also notes the CPU seconds the centre's process used (/proc/<pid>/stat): the simulated
hubs run in this process on the same two cores, so wall times include their own work.

Baseline, same run: the first N (10 by default); the table gives each figure's ratio to it.

Then /tutor/hubs on a centre holding REPORT_CHANGES changes of REPORT_HUBS hubs, written straight
into its SQLite before it starts (bench/central/report.py says how and why), as the admin the CLI
made (`hub admin create`), signed in through the sign-in form: the first GET, then the median of
ROUNDS more; a GET longer than PAGE_TIMEOUT stops that size. Database size and RSS after it.

Prints tables and writes bench/results/central-<time>.json. Nothing fails on a slow figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.central import engines, hubs, report
from hub.home import Hub
from hub.plugins.sync import central

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _p(values: list[float], quantile: int) -> float | None:
    """The `quantile`-th percentile (nearest rank), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(quantile / 100 * len(ordered)) - 1))]


def _memory(centre: engines.Centre) -> dict[str, float]:
    return {"rss_mb": centre.rss_mb(), "hwm_mb": centre.hwm_mb()}


def _with_centre_cpu(centre: engines.Centre, phase: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A phase's figures, with the CPU seconds the centre's processes (its workers and database
    too) used meanwhile: their share of the two cores, apart from the simulated hubs' own work."""
    before = centre.cpu_seconds()
    figures = phase()
    return figures | {"centre_cpu_s": centre.cpu_seconds() - before}


def _at_once(homes: list[Path], work: Callable[[Path], hubs.Outcome], concurrency: int) -> tuple[list, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(work, homes))
    return outcomes, time.perf_counter() - started


def _errors(outcomes: list[hubs.Outcome]) -> dict[str, Any]:
    failed = Counter(o.error for o in outcomes if o.error)
    return {"errors": sum(failed.values()), "error_kinds": dict(failed),
            "retried_hubs": sum(1 for o in outcomes if o.tries > 1)}  # fmt: skip


def _push_phase(homes: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    tally = hubs.Tally()
    outcomes, wall = _at_once(
        homes, lambda h: hubs.sync(h, tally, True, False, 0, args.tries), args.concurrency
    )
    pages = tally.seconds_of("/progress/push")
    pushed = sum(o.pushed for o in outcomes)
    return {
        "pushed": pushed, "wall_s": wall, "changes_per_s": pushed / wall, "pages": len(pages),
        "page_p50_ms": 1000 * (_p(pages, 50) or 0), "page_p95_ms": 1000 * (_p(pages, 95) or 0),
        "timeouts": tally.timeouts, "status_503": tally.statuses(503), **_errors(outcomes),
    }  # fmt: skip


def _next_sync(homes: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    """A few hubs' next full sync, one after the other: what each pulls, and the bytes it moved."""
    picked = sorted({homes[0], homes[len(homes) // 2], homes[-1]})[: args.sample]
    each = []
    for home in picked:
        tally = hubs.Tally()
        outcome = hubs.sync(home, tally, True, True, 0, args.tries)
        sent, received = sum(r.sent for r in tally.requests), sum(r.received for r in tally.requests)
        each.append(asdict(outcome) | {"hub": home.name, "sent": sent, "received": received,
                                       "requests": len(tally.requests)})  # fmt: skip
    return {
        "median_lines": statistics.median(e["pulled_lines"] for e in each),
        "median_bytes": statistics.median(e["sent"] + e["received"] for e in each),
        "median_s": statistics.median(e["seconds"] for e in each),
        "hubs": each,
    }


def _sync_phase(homes: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    for home in homes:
        hubs.add_progress(home, args.learners)
    tally = hubs.Tally()
    outcomes, wall = _at_once(
        homes, lambda h: hubs.sync(h, tally, True, True, args.pull_pages, args.tries), args.concurrency
    )
    done = [o.seconds for o in outcomes if not o.error]
    return {
        "wall_s": wall, "sync_p50_s": _p(done, 50), "sync_p95_s": _p(done, 95),
        "timeouts": tally.timeouts, "status_503": tally.statuses(503),
        "cut_hubs": sum(1 for o in outcomes if o.cut),
        "median_lines": statistics.median(o.pulled_lines for o in outcomes), **_errors(outcomes),
    }  # fmt: skip


def hub_round(
    folder: Path, count: int, args: argparse.Namespace, engine: str, url: str | None
) -> dict[str, Any]:
    """Every measure of one number of hubs, against a fresh centre of the engine."""
    centre_home = folder / "central"
    hub = Hub(centre_home)
    if url is not None:
        hub.use_sync_database(url)
    tokens = [central.create_token(hub.sync_db, f"hub-{n:04d}") for n in range(count)]
    centre = engines.start(centre_home, engine, url, args.workers)
    server = centre.server
    try:
        started = time.perf_counter()
        homes = list(hubs.homes(folder, count))
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            made_hubs = pool.map(hubs.make_hub, homes, [server.url] * count, tokens,
                                 [args.learners] * count, [args.changes] * count)  # fmt: skip
            list(made_hubs)
        made = time.perf_counter() - started
        print(f"  {count} hubs made and enrolled in {made:.0f} s", flush=True)
        push = _with_centre_cpu(centre, lambda: _push_phase(homes, args))
        print(f"  push: {push['changes_per_s']:.0f} changes/s", flush=True)
        pulled = _with_centre_cpu(centre, lambda: _next_sync(homes, args))
        print(f"  next sync: {pulled['median_lines']} lines pulled", flush=True)
        synced = _with_centre_cpu(centre, lambda: _sync_phase(homes, args))
        print(f"  all at once: {synced['wall_s']:.0f} s", flush=True)
        return {"engine": engine, "hubs": count, "setup_s": made, "push": push, "next_sync": pulled,
                "at_once": synced, "db_mb": centre.db_mb(centre_home, url), **_memory(centre)}  # fmt: skip
    finally:
        server.stop()


def report_round(
    folder: Path, total: int, args: argparse.Namespace, engine: str, url: str | None
) -> dict[str, Any]:
    """/tutor/hubs on a centre of the engine holding `total` changes: filled in SQLite, then (for
    PostgreSQL) moved over as `hub serve --database` moves a centre's tables (COPY)."""
    home = folder / "central"
    lessons = report.starter_lessons(folder / "starter")
    started = time.perf_counter()
    report.lay_schema(home)
    report.fill(home, total, args.report_hubs, lessons)
    report.finish_centre(home)
    filled = time.perf_counter() - started
    moved = None
    if url is not None:
        started = time.perf_counter()
        Hub(home).use_sync_database(url)
        moved = time.perf_counter() - started
        print(f"  moved to PostgreSQL in {moved:.0f} s", flush=True)
    print(f"  {total:,} changes written and the centre made in {filled:.0f} s", flush=True)
    centre = engines.start(home, engine, url, args.workers)
    try:
        session = report.admin_client(centre.server.url, args.page_timeout)
        page = report.time_page(session, "/tutor/hubs", args.rounds)
        session.close()
        return {"engine": engine, "changes": total, "hubs": args.report_hubs, "fill_s": filled,
                "move_s": moved, **asdict(page), "db_mb": centre.db_mb(home, url),
                **_memory(centre)}  # fmt: skip
    finally:
        centre.server.stop()


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value is not None and base else "-"


ROWS = (
    ("push: changes/s at the centre", lambda r: r["push"]["changes_per_s"]),
    ("push: changes per centre CPU second", lambda r: r["push"]["pushed"] / r["push"]["centre_cpu_s"]),
    ("push: p95 of one page (ms)", lambda r: r["push"]["page_p95_ms"]),
    ("next sync: lines pulled per hub", lambda r: r["next_sync"]["median_lines"]),
    ("next sync: KB on the wire per hub", lambda r: r["next_sync"]["median_bytes"] / 1024),
    ("next sync: seconds per hub", lambda r: r["next_sync"]["median_s"]),
    ("all at once: wall time (s)", lambda r: r["at_once"]["wall_s"]),
    ("all at once: p95 of one sync (s)", lambda r: r["at_once"]["sync_p95_s"]),
    ("all at once: centre CPU (s)", lambda r: r["at_once"]["centre_cpu_s"]),
    ("push + all at once: failed syncs", lambda r: r["at_once"]["errors"] + r["push"]["errors"]),
    ("push + all at once: timeouts", lambda r: r["at_once"]["timeouts"] + r["push"]["timeouts"]),
    ("push + all at once: 503s", lambda r: r["at_once"]["status_503"] + r["push"]["status_503"]),
    ("all at once: hubs whose pull was cut", lambda r: r["at_once"]["cut_hubs"]),
    ("centre DB (MB)", lambda r: r["db_mb"]),
    ("centre RSS after (MB)", lambda r: r["rss_mb"]),
)


def print_tables(rounds: list[dict[str, Any]], reports: list[dict[str, Any]], pull_pages: int) -> None:
    for engine in engines.ENGINES:
        _print_engine(engine, [r for r in rounds if r["engine"] == engine],
                      [r for r in reports if r["engine"] == engine], pull_pages)  # fmt: skip


def _print_engine(
    engine: str, rounds: list[dict[str, Any]], reports: list[dict[str, Any]], pull_pages: int
) -> None:
    if rounds or reports:
        print(f"\n== centre on {engine}")
    if rounds:
        base = rounds[0]
        head = "".join(f"{str(r['hubs']) + ' hubs':>12}" for r in rounds)
        ratios = "".join(f"{r['hubs']:>6}/{base['hubs']:<2}" for r in rounds[1:])
        print(f"\n{'':38}{head}{ratios}")
        for label, figure in ROWS:
            values = [figure(r) for r in rounds]
            shown = "".join(f"{v:>12,.1f}" if v is not None else f"{'-':>12}" for v in values)
            print(f"{label:38}{shown}" + "".join(f"{_ratio(v, values[0]):>9}" for v in values[1:]))
        print(f"(a pull in 'all at once' stops after {pull_pages} pages; 0 = never)")
    if reports:
        heads = (
            ("hubs", 6),
            ("shown", 7),
            ("first s", 9),
            ("median s", 10),
            ("KB", 7),
            ("DB MB", 9),
            ("RSS MB", 8),
        )
        print(f"\n{'/tutor/hubs':14}" + "".join(f"{head:>{width}}" for head, width in heads))
        for r in reports:
            first = f"{r['first']:.2f}" if r["first"] is not None else "timeout"
            median = f"{r['median']:.2f}" if r["median"] is not None else "timeout"
            print(f"{r['changes']:>14,}{r['hubs']:>6}{r['hubs_named']:>7}{first:>9}{median:>10}"
                  f"{r['bytes'] / 1024:>7.0f}{r['db_mb']:>9.0f}{r['rss_mb']:>8.0f}")  # fmt: skip


def _counts(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


# Every knob but --quick: name, type, default, what it sets.
OPTIONS: tuple[tuple[str, Callable[[str], Any], Any, str], ...] = (
    ("--hubs", _counts, [10, 100], "numbers of hubs, comma-separated; the first is the baseline"),
    ("--learners", int, 10, "learners per hub"),
    ("--changes", int, 10, "lesson changes per learner"),
    ("--concurrency", int, 100, "hubs syncing at once"),
    ("--pull-pages", int, 1, "pages a pull takes at most when all sync (0: no limit)"),
    ("--sample", int, 3, "hubs whose next sync is measured"),
    ("--tries", int, 5, "tries per sync when the centre answers 503"),
    ("--report-changes", _counts, [1_000_000, 3_000_000], "changes in the centre for /tutor/hubs"),
    ("--report-hubs", int, 1000, "hubs those changes come from"),
    ("--rounds", int, 5, "timed GETs of /tutor/hubs"),
    ("--page-timeout", float, 120.0, "seconds one GET may take"),
    (
        "--engines",
        lambda text: [e.strip() for e in text.split(",")],
        list(engines.ENGINES),
        "the centres to compare: sqlite, postgresql",
    ),
    ("--workers", int, 2, "worker processes of the centre on PostgreSQL"),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, kind, default, meaning in OPTIONS:
        parser.add_argument(name, type=kind, default=default, help=meaning)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10 hubs, 100,000 changes")
    args = parser.parse_args()
    if args.quick:
        args.hubs, args.report_changes, args.rounds = [10], [100_000], 2
    return args


def main() -> None:
    args = parse_args()
    hubs.write_apart()
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    RESULTS.mkdir(exist_ok=True)
    rounds, reports = [], []
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp, engines.cluster(args.engines) as server:
        for count in args.hubs:
            for engine in args.engines:  # side by side: each number of hubs on each engine in turn
                print(
                    f"{engine}: {count} hubs, {args.learners} learners × {args.changes} changes each",
                    flush=True,
                )
                folder = Path(tmp) / f"{engine}-hubs-{count}"
                with engines.database(server, engine, f"bench_hubs_{count}") as url:
                    rounds.append(hub_round(folder, count, args, engine, url))
                if (
                    rounds[-1]["push"]["errors"] or rounds[-1]["at_once"]["errors"]
                ):  # keep what the centre said
                    shutil.copy(
                        folder / "central-serve.log", RESULTS / f"central-{stamp}-{engine}-{count}-hubs.log"
                    )
                shutil.rmtree(folder)
        for total in args.report_changes:
            for engine in args.engines:
                print(f"{engine}: /tutor/hubs at {total:,} changes", flush=True)
                folder = Path(tmp) / f"{engine}-report-{total}"
                with engines.database(server, engine, f"bench_report_{total}") as url:
                    reports.append(report_round(folder, total, args, engine, url))
                shutil.rmtree(folder)
    print_tables(rounds, reports, args.pull_pages)
    out = RESULTS / f"central-{stamp}.json"
    out.write_text(json.dumps({"args": vars(args), "hub_rounds": rounds, "reports": reports}, indent=1))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
