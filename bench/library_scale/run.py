"""A hub with 17, 1,000 and 10,000 courses against the FastAPI floor (issue 21).

    PYTHONPATH=. /work/main/.venv/bin/python bench/library_scale/run.py                 # 17, 1,000, 10,000
    PYTHONPATH=. /work/main/.venv/bin/python bench/library_scale/run.py --sizes 17 1000 --runs 1

For each size a fresh hub is generated (bench/library_scale/generate.py: the starter courses plus
generated ones in en, fr, es, ar, written straight into hub.db; the search index built as
`hub search rebuild` builds it), then served by a real `hub serve` on loopback and loaded with wrk
(bench/library_scale/rotate.lua: readers rotate Accept-Language en/fr/es/ar, and searches rotate
twenty queries in the four languages). Measured, medians of `--runs` timed wrk runs after a warm-up:
home, /courses, a course page, /api/v1/courses (20 connections); search with 1 and 20 connections;
a lesson view by a returning learner (each view records progress: a write); the warm start (launch
until the first 200 on /, median of `--starts`), idle RSS after the start, RSS after every course
page was opened once (in four languages, in turn) and after all the load; hub.db and index size.
The FastAPI floor (bench/baseline_app.py, a fixed page from a plain `def` route) is started and
loaded in the same run. Writes results/<time>.json beside this file; nothing fails on a missed target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote_plus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from library_scale.generate import LANGUAGES, QUERIES, a_generated_course, course_manifest, generate  # noqa: E402
from run import Server, baseline_server, free_port, http_request, hub_server  # noqa: E402

LUA = HERE / "rotate.lua"
TARGETS = "home at 10,000 >= 0.8x home at 17; search p95 (1 visitor) <= 25 ms; RSS after load <= 150 MB; " \
    "lesson view with a write >= 2x the baseline run's; warm start at 17 <= 2x the FastAPI floor"  # fmt: skip


def wrk(port: int, paths: list[str], connections: int, seconds: float, cookie: str = "") -> dict:
    env = {**os.environ, "BENCH_PATHS": "|".join(paths), "BENCH_LANGS": ",".join(LANGUAGES),
           "BENCH_COOKIE": cookie}  # fmt: skip
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout=10s", "-s", str(LUA), f"http://127.0.0.1:{port}{paths[0]}"]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed: {done.stdout} {done.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    return {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["latency_us"]["p50"] / 1000,
        "p95_ms": result["latency_us"]["p95"] / 1000,
        "bytes_per_response": result["bytes"] // max(result["requests"], 1),
        "errors": sum(result["errors"].values()),
    }


def measure(
    server: Server, paths: list[str], connections: int, args: argparse.Namespace, cookie: str = ""
) -> dict:
    """Median of `args.runs` wrk runs after a warm-up; the server is let finish what the load left
    queued (it may answer after wrk gave up) before and after."""
    server.wait_idle(limit_s=120)
    port = server.port
    wrk(port, paths, connections, args.warmup, cookie)
    runs = [wrk(port, paths, connections, args.seconds, cookie) for _ in range(args.runs)]
    server.wait_idle(limit_s=120)
    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
        "p95_ms": round(statistics.median(r["p95_ms"] for r in runs), 2),
        "bytes_per_response": runs[-1]["bytes_per_response"],
        "errors": sum(r["errors"] for r in runs),
    }


def learner_cookie(port: int, course_id: str, lesson_id: str) -> str:
    """The cookies of a returning learner: a first lesson visit, then her first progress save."""
    jar: SimpleCookie = SimpleCookie()

    def visit(method: str, path: str, body: dict | None = None) -> int:
        headers = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in jar.items())} if jar else {}
        if body is not None:
            headers |= {"Content-Type": "application/json", "X-CSRF-Token": jar["hub_csrf"].value}
        payload = json.dumps(body).encode() if body else b""
        status, answer, _ = http_request(port, method, path, headers, payload, timeout=120)
        for name, value in answer:
            if name.lower() == "set-cookie":
                jar.load(value)
        return status

    visit("GET", f"/courses/{course_id}/{lesson_id}")
    save = {"course_id": course_id, "lesson_id": lesson_id, "progress": 0.1}
    if visit("POST", "/api/v1/progress", save) != 204:
        raise RuntimeError("the first progress save was refused")
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


def open_every_course(port: int, course_ids: list[str]) -> float:
    """GET every course page once on one keep-alive connection (languages in turn); seconds taken."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for number, course_id in enumerate(course_ids):
        conn.request("GET", f"/courses/{course_id}", headers={"Accept-Language": LANGUAGES[number % 4]})
        conn.getresponse().read()
    conn.close()
    return round(time.perf_counter() - started, 1)


def warm_starts(make, count: int) -> tuple[float, float]:
    """(median seconds to the first 200, idle RSS MB after the last start)."""
    times, rss = [], 0.0
    for _ in range(count):
        server = make()
        server.start()
        try:
            times.append(server.wait_ready("/", timeout=120))
            server.wait_idle(limit_s=60)
            rss = server.rss_mb()
        finally:
            server.stop()
    return round(statistics.median(times), 3), round(rss, 1)


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def one_size(total: int, work: Path, args: argparse.Namespace) -> dict:
    home = work / f"hub-{total}"
    started = time.perf_counter()
    hub = generate(home, total)
    course_ids = [r[0] for r in hub.db.execute("SELECT id FROM courses ORDER BY id").fetchall()]
    del hub
    generated_s = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hub", "search", "rebuild", "--home", str(home)], check=True,
                   capture_output=True, cwd=ROOT)  # fmt: skip
    indexed_s = time.perf_counter() - started
    result: dict = {"courses": len(course_ids), "generated_s": round(generated_s, 1),
                    "index_built_s": round(indexed_s, 1)}  # fmt: skip
    port = free_port()
    result["warm_start_s"], result["idle_rss_mb"] = warm_starts(
        lambda: hub_server(home, port, work / "logs", str(total)), args.starts
    )
    server = hub_server(home, port, work / "logs", str(total))
    server.start()
    try:
        server.wait_ready("/", timeout=120)
        server.wait_idle(limit_s=60)
        course = a_generated_course(total)
        lesson = "lesson-1" if total > 17 else "why-hands"
        queries = [f"/search?q={quote_plus(q)}" for lang in LANGUAGES for q in QUERIES[lang]]
        lessons = (
            [f"/courses/{course}/{ls}" for ls in ("lesson-1", "lesson-2", "lesson-3")]
            if total > 17
            else [f"/courses/{course}/{ls}" for ls in ("why-hands", "when-to-wash", "how-to-wash")]
        )
        plan = {
            "home": (["/"], 20),
            "courses_page": (["/courses"], 20),
            "course_page": ([f"/courses/{course}"], 20),
            "api_courses": (["/api/v1/courses"], 20),
            "search_1": (queries, 1),
            "search_20": (queries, 20),
        }
        for key, (paths, connections) in plan.items():
            if not args.only or key in args.only:
                result[key] = measure(server, paths, connections, args)
        if not args.only or {"lesson_write", "lesson_rotating"} & set(args.only):
            cookie = learner_cookie(port, course, lesson)
            # The same lesson again and again (a reload), then three lessons in turn (each view a write).
            result["lesson_write"] = measure(server, [f"/courses/{course}/{lesson}"], 20, args, cookie)
            result["lesson_rotating"] = measure(server, lessons, 20, args, cookie)
        result["rss_after_load_mb"] = round(server.rss_mb(), 1)
        result["open_every_course_s"] = open_every_course(port, course_ids)
        result["rss_after_opening_all_mb"] = round(server.rss_mb(), 1)
        result["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
        learners = server_rows(home, "SELECT count(*) FROM learners")
        result["learners_after_load"] = learners
        result["changes_after_load"] = server_rows(home, "SELECT count(*) FROM changes")
    finally:
        server.stop()
    result["hub_db_mb"] = round(sum(p.stat().st_size for p in home.glob("hub.db*")) / 1e6, 1)
    result["index_mb"] = folder_mb(home / "index")
    return result


def server_rows(home: Path, sql: str) -> int | None:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{home / 'hub.db'}?mode=ro", uri=True) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.Error:
        return None


def floor(work: Path, args: argparse.Namespace) -> dict:
    port = free_port()
    start, rss = warm_starts(lambda: baseline_server(port, work / "logs", "floor"), args.starts)
    server = baseline_server(port, work / "logs", "floor")
    server.start()
    try:
        server.wait_ready("/")
        home = measure(server, ["/"], 20, args)
    finally:
        server.stop()
    return {"warm_start_s": start, "idle_rss_mb": rss, "home": home}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[17, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--label", default="")
    parser.add_argument("--only", nargs="*", default=[], help="measure only these (home, search_1, ...)")
    args = parser.parse_args()
    course_manifest(0)  # fail early if the generator is broken
    report: dict = {"when": datetime.now().isoformat(timespec="seconds"), "label": args.label,
                    "targets": TARGETS, "sizes": {}}  # fmt: skip
    out = HERE / "results" / f"{datetime.now():%Y%m%d-%H%M%S}{'-' + args.label if args.label else ''}.json"
    out.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="library-scale-") as folder:
        work = Path(folder)
        report["floor"] = floor(work, args)
        print("floor", json.dumps(report["floor"]), flush=True)
        for total in args.sizes:
            report["sizes"][total] = one_size(total, work, args)
            print(total, json.dumps(report["sizes"][total]), flush=True)
            out.write_text(json.dumps(report, indent=2))  # what is measured so far, should a size fail
    summarise(report)
    print("written", out)


def summarise(report: dict) -> None:
    keys = ("home", "courses_page", "course_page", "api_courses", "search_1", "search_20", "lesson_write",
            "lesson_rotating")  # fmt: skip
    keys = tuple(k for k in keys if any(k in r for r in report["sizes"].values()))  # those measured
    print(f"{'courses':>8} " + " ".join(f"{k:>18}" for k in keys))
    for total, r in report["sizes"].items():
        print(
            f"{total:>8} " + " ".join(f"{r[k]['rps']:>8.0f}/{r[k]['p95_ms']:>7.1f}ms" for k in keys if k in r)
        )
    print("req/s / p95. floor home:", report["floor"]["home"]["rps"], "req/s; floor warm start:",
          report["floor"]["warm_start_s"], "s")  # fmt: skip
    for total, r in report["sizes"].items():
        print(f"{total}: warm start {r['warm_start_s']} s, idle {r['idle_rss_mb']} MB, after opening all "
              f"{r['rss_after_opening_all_mb']} MB, after load {r['rss_after_load_mb']} MB, hub.db "
              f"{r['hub_db_mb']} MB, index {r['index_mb']} MB, learners {r['learners_after_load']}, "
              f"changes {r['changes_after_load']}")  # fmt: skip


if __name__ == "__main__":
    main()
