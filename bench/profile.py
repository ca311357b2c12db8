"""Where a page's time goes: py-spy samples the hub while wrk loads one path.

    /work/venv/bin/pip install py-spy        # for your own use; not a project dependency
    /work/venv/bin/python bench/profile.py /                       # home page, no cookie
    /work/venv/bin/python bench/profile.py / --cookie              # home page, returning learner
    /work/venv/bin/python bench/profile.py /courses/hand-hygiene-en/why-hands --cookie

Starts the hub as bench/run.py does (fresh home, 127.0.0.1, free port), runs wrk with the
same settings, and attaches `py-spy record` (non-blocking) to the server for the middle of
the run, sampling only the thread that holds the GIL (the server is one process, so the GIL
is the CPU it has for Python; use --all-threads to see waits too). Prints the share of
samples by area and by function (inclusive and self), and writes the collapsed stacks
(flamegraph.pl / speedscope input) and a summary JSON to bench/results/. py-spy needs ptrace
permission on the server process (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import RESULTS, ROOT, hub_server, learner_cookie, run_wrk

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")

# First match wins, tested on the file of each frame, innermost first.
AREAS: tuple[tuple[str, str], ...] = (
    ("sqlite3 (queries)", r"sqlite3/|sqlite_utils/"),
    ("jinja2 (template render)", r"jinja2/|markupsafe/|<template>|\.html$"),
    ("babel / gettext (translation)", r"babel/|gettext\.py"),
    ("markdown / nh3 (lesson body)", r"markdown_it/|mdurl/|nh3|content/markdown\.py"),
    ("pydantic (validation, JSON)", r"pydantic"),
    ("anyio thread pool (sync route/dependency hops)", r"anyio/|concurrent/futures|threading\.py|queue\.py"),
    ("fastapi (routing, dependencies, encoding)", r"fastapi/"),
    ("starlette (requests, responses, middleware)", r"starlette/"),
    ("uvicorn / httptools (HTTP)", r"uvicorn/|httptools"),
    ("hub / content code", r"^(hub|content|sync)/"),
    ("asyncio / uvloop (event loop)", r"asyncio/|uvloop"),
)


def parse_frame(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame)
    if not match:
        return frame, ""
    return match["func"], match["file"]


def area_of(stack: list[tuple[str, str]]) -> str:
    for func, file in reversed(stack):  # innermost first
        for name, pattern in AREAS:
            if re.search(pattern, file) or re.search(pattern, func):
                return name
    return "other"


def summarise(raw: Path, top: int) -> dict:
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    areas: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [parse_frame(f) for f in stack_text.split(";")]
        # Drop the thread/process label py-spy may put first.
        frames = [f for f in frames if f[1]]
        if not frames:
            continue
        total += count
        labels = [f"{func} ({file})" for func, file in frames]
        for label in set(labels):
            inclusive[label] += count
        own[labels[-1]] += count
        areas[area_of(frames)] += count

    def share(counter: collections.Counter) -> list[dict]:
        return [{"name": k, "share": round(v / total, 4), "samples": v} for k, v in counter.most_common(top)]

    return {"samples": total, "areas": share(areas), "inclusive": share(inclusive), "self": share(own)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Profile one hub path under wrk load with py-spy.")
    p.add_argument("path", help="path to load, e.g. / or /api/v1/courses")
    p.add_argument("--cookie", action="store_true", help="send a returning learner's session cookie")
    p.add_argument("--duration", type=float, default=15, help="seconds of wrk load (default 15)")
    p.add_argument("--sample", type=float, default=10, help="seconds py-spy records, mid-run (default 10)")
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second (default 200)")
    p.add_argument("--connections", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--top", type=int, default=25, help="functions to list (default 25)")
    p.add_argument(
        "--all-threads",
        action="store_true",
        help="sample every running thread, not only the one holding the GIL",
    )
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    args.wrk_timeout = 5
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy is not installed: /work/venv/bin/pip install py-spy", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="hub-profile-"))
    (work / "home").mkdir()
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", args.path.lower()).strip("-") or "home"
    slug += "-cookie" if args.cookie else ""
    args.out.mkdir(parents=True, exist_ok=True)
    raw = args.out / f"profile-{stamp}-{slug}.txt"
    from run import free_port

    server = hub_server(work / "home", free_port(), work / "logs", "profile")
    server.start()
    try:
        server.wait_ready()
        cookie = learner_cookie(server.port) if args.cookie else None
        run_wrk(server.port, args.path, args, 3, cookie)  # warm-up
        load: dict = {}
        thread = threading.Thread(
            target=lambda: load.update(run_wrk(server.port, args.path, args, args.duration, cookie))
        )
        thread.start()
        time.sleep(max(0.0, (args.duration - args.sample) / 2))
        subprocess.run(
            [
                py_spy,
                "record",
                "--pid",
                str(server.proc.pid),
                "--duration",
                f"{args.sample:g}",
                "--rate",
                str(args.rate),
                "--nonblocking",
                "--format",
                "raw",
                "-o",
                str(raw),
                *([] if args.all_threads else ["--gil"]),
            ],
            check=True,
            capture_output=True,
            timeout=args.sample + 60,
        )
        thread.join()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    summary = summarise(raw, args.top)
    summary.update(
        path=args.path,
        cookie=args.cookie,
        gil_only=not args.all_threads,
        rps_while_sampled=round(load.get("rps", 0), 1),
        p95_ms_while_sampled=round(load.get("latency_us", {}).get("p95", 0) / 1000, 2),
        errors=load.get("errors"),
        raw=str(raw.relative_to(ROOT)),
    )
    (args.out / f"profile-{stamp}-{slug}.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(
        f"{args.path}{' (learner cookie)' if args.cookie else ''}: {summary['rps_while_sampled']:.0f} req/s, "
        f"p95 {summary['p95_ms_while_sampled']:.1f} ms while sampled (py-spy costs some throughput); "
        f"{summary['samples']} samples"
    )
    for title, key in (
        ("by area (innermost matching frame)", "areas"),
        ("inclusive", "inclusive"),
        ("self", "self"),
    ):
        print(f"\n{title}:")
        for row in summary[key]:
            print(f"  {row['share'] * 100:5.1f}%  {row['name']}")
    print(f"\nWrote {raw.relative_to(ROOT)} and its .json summary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
