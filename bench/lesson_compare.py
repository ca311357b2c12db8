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
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "library_scale"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run
from checkouts import alternate, use_checkout, write_result
from library_scale import run as scale

COURSE = "hand-hygiene-en"
LESSONS = [f"/courses/{COURSE}/{lesson}" for lesson in ("why-hands", "when-to-wash", "how-to-wash")]
VIEWS, FIGURES = ("lesson_rotating", "lesson_write"), ("rps", "p50_ms", "p95_ms")


def one_round(checkout: Path, home: Path, logs: Path, tag: str, args: argparse.Namespace) -> dict:
    use_checkout(checkout)
    server = run.hub_server(home, run.free_port(), logs, tag)
    server.start()
    try:
        server.wait_ready()
        cookie = scale.learner_cookie(server.port, COURSE, "why-hands")
        figures = {
            "lesson_rotating": scale.measure(server, LESSONS, 20, args, cookie),
            "lesson_write": scale.measure(server, LESSONS[:1], 20, args, cookie),
        }
        print(tag, json.dumps(figures), flush=True)
        return figures
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
    rounds = alternate(checkouts, args.rounds, lambda *place: one_round(*place, args))
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
    write_result("lesson-compare", checkouts, {"medians": medians, "rounds": rounds})
    return 0


if __name__ == "__main__":
    sys.exit(main())
