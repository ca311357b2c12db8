"""The lesson view with a progress write, two checkouts of the hub in one run (issue 21).

    /work/main/.venv/bin/python bench/lesson_compare.py BEFORE_DIR AFTER_DIR --rounds 3

"Lesson view with a write >= 2x today's in the same run" cannot be judged from figures taken an
hour apart on a shared machine. This serves the starter library from each checkout in turn
(each on its own home made by that checkout's `hub init`, with PYTHONPATH and the working
directory set to the checkout; ABAB…, the order flipped every round), makes a returning learner
(a first lesson visit, then a first progress save) and loads, with 20 wrk connections, the three
lessons of the hand-washing course in turn, so each view records the next lesson's progress, as
bench/library_scale measures `lesson_rotating`; and one lesson reloaded (`lesson_write`). Prints
medians of the rounds' medians and writes bench/results/lesson-compare-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "library_scale"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run
from library_scale import run as scale

COURSE = "hand-hygiene-en"
LESSONS = [f"/courses/{COURSE}/{lesson}" for lesson in ("why-hands", "when-to-wash", "how-to-wash")]
VIEWS, FIGURES = ("lesson_rotating", "lesson_write"), ("rps", "p50_ms", "p95_ms")


def one_round(checkout: Path, home: Path, logs: Path, tag: str, args: argparse.Namespace) -> dict:
    run.ROOT = checkout  # bench/run.py starts servers in ROOT; `python -m hub` then imports its hub
    os.environ["PYTHONPATH"] = str(checkout)
    server = run.hub_server(home, run.free_port(), logs, tag)
    server.start()
    try:
        server.wait_ready()
        cookie = scale.learner_cookie(server.port, COURSE, "why-hands")
        return {
            "lesson_rotating": scale.measure(server, LESSONS, 20, args, cookie),
            "lesson_write": scale.measure(server, LESSONS[:1], 20, args, cookie),
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="checkout measured as 'before'")
    parser.add_argument("after", type=Path, help="checkout measured as 'after'")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="timed wrk runs per round (default 3)")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--warmup", type=float, default=2)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    work = Path(tempfile.mkdtemp(prefix="hub-lesson-compare-"))
    rounds: dict[str, list[dict]] = {name: [] for name in checkouts}
    try:
        for name, checkout in checkouts.items():
            init = [sys.executable, "-m", "hub", "init", "--home", str(work / name)]
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            subprocess.run(init, cwd=checkout, env=env, check=True, capture_output=True)
        for round_ in range(args.rounds):
            order = list(checkouts.items())
            for name, checkout in order if round_ % 2 == 0 else reversed(order):
                figures = one_round(checkout, work / name, work / "logs", f"{name}{round_}", args)
                print(name, round_, json.dumps(figures), flush=True)
                rounds[name].append(figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {
        name: {
            view: {key: round(statistics.median(r[view][key] for r in rows), 1) for key in FIGURES}
            for view in VIEWS
        }
        for name, rows in rounds.items()
    }
    for view in VIEWS:
        before, after = medians["before"][view], medians["after"][view]
        print(f"{view}: before {before['rps']} req/s (p95 {before['p95_ms']} ms), after {after['rps']} req/s "
              f"(p95 {after['p95_ms']} ms): {after['rps'] / max(before['rps'], 0.1):.2f}x")  # fmt: skip
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS / f"lesson-compare-{datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
    result = {"checkouts": {k: str(v) for k, v in checkouts.items()}, "medians": medians, "rounds": rounds}
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
