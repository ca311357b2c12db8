"""Coaching reports at the size the issue names, against today's pages in the same run.

    PYTHONPATH=. /work/venv/bin/python bench/coach/run.py            # about 4 minutes
    PYTHONPATH=. /work/venv/bin/python bench/coach/run.py --quick    # smoke run (not for figures)

Builds a hub (bench/coach/build.py: 5,000 learners, 200 classes, 1 M progress rows) in a
temporary folder, starts it as a user does (`python -m hub serve`, bench/run.py's Server), then:

- the class grid of 60 learners × 30 assignments, as its tutor: one request at a time (what a
  tutor waits for: median and p95 of --requests timed GETs) and under wrk's load (req/s);
- today's /tutor page, the same way (the baseline the issue asks for);
- the home page of a learner in 3 classes (req/s under wrk), against the same page for a learner in
  no class (the baseline). With coaching part 1 merged, that page carries "For you"; before, both are
  today's home page, and the ratio shows the noise;
- a curve: the grid's time when each of its learners has 10 / 100 / 1,000 progress rows (flat-ish:
  its queries reach progress through the class's learners and assigned courses only).

Prints a table and writes JSON to bench/results/coach-<timestamp>.json. Nothing fails on a miss.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "coach")]

import build  # noqa: E402  (bench/coach/build.py)
import run as bench_run  # noqa: E402  (bench/run.py: servers and wrk)

from hub.plugins.admin.routes import COURSE_OVERVIEW  # noqa: E402

GRID = f"/tutor/classes/{build.GRID_CLASS}/report"
# The /tutor overview's query before the coaching reports (main at 154e4ce): three subqueries per
# course, each scanning progress or quiz_attempts, and every learner counted, other hubs' too.
OVERVIEW_BEFORE = """
SELECT c.id, c.title, c.language, c.lesson_count,
  (SELECT count(DISTINCT learner_id) FROM progress p WHERE p.course_id = c.id),
  (SELECT count(*) FROM (SELECT learner_id FROM progress p WHERE p.course_id = c.id
     AND p.completed_at IS NOT NULL GROUP BY learner_id HAVING count(*) >= c.lesson_count)),
  (SELECT count(*) FROM quiz_attempts q WHERE q.course_id = c.id AND q.passed)
FROM courses c ORDER BY c.title COLLATE NOCASE
"""
TARGETS = {"grid_p95_ms_max": 100.0, "home_ratio_min": 0.8}


def one_at_a_time(server: bench_run.Server, path: str, cookie: str, count: int, warmup: int = 5) -> dict:
    """Latency of `count` sequential GETs (after a warm-up), as one person waits for a page, and the
    server's CPU time per request (what the page costs whatever else the machine runs)."""
    times = []
    cpu_before = 0.0
    for n in range(warmup + count):
        if n == warmup:
            cpu_before = server.cpu_s()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path} gave {response.status}: {body[:300]!r}")
        if n >= warmup:
            times.append(elapsed * 1000)
    cpu_ms = (server.cpu_s() - cpu_before) * 1000 / count
    times.sort()
    return {
        "requests": count,
        "server_cpu_ms_per_request": round(cpu_ms, 1),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
        "bytes": len(body),
    }


def overview_queries(home: Path, runs: int = 3) -> dict:
    """The /tutor overview's query before and after, in process on the same database (medians, ms)."""
    conn = sqlite3.connect(home / "hub.db")
    timings = {}
    for name, query in (("before", OVERVIEW_BEFORE), ("after", COURSE_OVERVIEW)):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(query).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        timings[f"{name}_ms"] = round(statistics.median(times), 1)
    conn.close()
    return timings


def under_load(port: int, path: str, cookie: str, args: argparse.Namespace) -> dict:
    """wrk's req/s and p95, median of --repeats runs after a warm-up (bench/run.py's settings)."""
    bench_run.run_wrk(port, path, args, args.warmup, cookie)
    runs = [bench_run.run_wrk(port, path, args, args.duration, cookie) for _ in range(args.repeats)]
    return {
        "rps_median": round(statistics.median(r["rps"] for r in runs), 1),
        "p95_ms_median": round(statistics.median(r["latency_us"]["p95"] for r in runs) / 1000, 1),
        "non_2xx": sum(r["errors"]["status"] for r in runs),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument(
        "--requests", type=int, default=200, help="timed sequential GETs per page (default 200)"
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of untimed wrk (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="wrk runs per page (default 3)")
    parser.add_argument("--connections", type=int, default=20, help="wrk -c (default 20)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--wrk-timeout", type=float, default=10, help="wrk --timeout in seconds (default 10)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.duration, args.warmup, args.repeats = 30, 3, 1, 1
    return args


def measure(built: build.Built, server: bench_run.Server, args: argparse.Namespace) -> dict:
    tutor, in_3, in_none = (
        built.tutor_cookie,
        built.learner_in_3_classes_cookie,
        built.learner_in_no_class_cookie,
    )
    result: dict = {}
    print("class grid 60 × 30, one request at a time", flush=True)
    result["grid"] = one_at_a_time(server, GRID, tutor, args.requests)
    print("today's /tutor page, one request at a time (baseline)", flush=True)
    result["tutor_page"] = one_at_a_time(server, "/tutor", tutor, max(10, args.requests // 10))
    print("class grid under wrk", flush=True)
    result["grid_load"] = under_load(server.port, GRID, tutor, args)
    print("home page, learner in 3 classes, under wrk", flush=True)
    result["home_in_3_classes"] = under_load(server.port, "/", in_3, args)
    print("home page, learner in no class, under wrk (baseline)", flush=True)
    result["home_in_no_class"] = under_load(server.port, "/", in_none, args)
    print("the /tutor overview's query, before and after, in process", flush=True)
    result["overview_query"] = overview_queries(built.home)
    result["curve"] = {}
    conn = sqlite3.connect(built.home / "hub.db", timeout=60)
    for rows in (10, 100, 1000):
        print(f"curve: grid with {rows} progress rows per learner", flush=True)
        build.set_rows_per_learner(conn, built.grid_learners, rows)
        result["curve"][rows] = one_at_a_time(server, GRID, tutor, max(20, args.requests // 4))
    conn.close()
    return result


def report(result: dict) -> None:
    grid, tutor = result["grid"], result["tutor_page"]
    home, base = result["home_in_3_classes"], result["home_in_no_class"]
    ratio = home["rps_median"] / base["rps_median"] if base["rps_median"] else 0.0
    print()
    print("| what | median ms | p95 ms | server CPU ms per request | req/s under wrk |")
    print("|---|---|---|---|---|")
    load = result["grid_load"]["rps_median"]
    cpu = "server_cpu_ms_per_request"
    print(f"| class grid 60 × 30 | {grid['median_ms']} | {grid['p95_ms']} | {grid[cpu]} | {load} |")
    print(f"| /tutor (baseline) | {tutor['median_ms']} | {tutor['p95_ms']} | {tutor[cpu]} | |")
    print(f"| home, learner in 3 classes | | {home['p95_ms_median']} | | {home['rps_median']} |")
    print(f"| home, learner in no class (baseline) | | {base['p95_ms_median']} | | {base['rps_median']} |")
    print()
    print("grid median / /tutor median:", round(grid["median_ms"] / tutor["median_ms"], 3))
    print("home req/s, 3 classes / no class:", round(ratio, 2))
    query = result["overview_query"]
    print(f"/tutor overview query: before {query['before_ms']} ms, after {query['after_ms']} ms")
    curve = result["curve"]
    medians = " / ".join(str(c["median_ms"]) for c in curve.values())
    print("curve, median ms at 10 / 100 / 1,000 rows per learner:", medians)
    print("curve, server CPU ms:", " / ".join(str(c["server_cpu_ms_per_request"]) for c in curve.values()))
    met_grid = grid["p95_ms"] <= TARGETS["grid_p95_ms_max"]
    print(f"target grid p95 <= {TARGETS['grid_p95_ms_max']:g} ms: {'met' if met_grid else 'MISSED'}")
    met_home = ratio >= TARGETS["home_ratio_min"]
    print(f"target home ratio >= {TARGETS['home_ratio_min']}: {'met' if met_home else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as folder:
        print("building the hub (5,000 learners, 200 classes, 1 M progress rows)…", flush=True)
        built = build.build(Path(folder) / "home")
        print(f"  built in {built.build_s} s", flush=True)
        port = bench_run.free_port()
        server = bench_run.hub_server(built.home, port, Path(folder) / "logs", "coach")
        server.start()
        try:
            server.wait_ready()
            result = {"built_s": built.build_s, "git": bench_run.git_head(), **measure(built, server, args)}
        finally:
            server.stop()
    report(result)
    bench_run.RESULTS.mkdir(exist_ok=True)
    out = bench_run.RESULTS / f"coach-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"args": vars(args), "targets": TARGETS, **result}, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
