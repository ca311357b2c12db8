"""Warm start and idle memory of two checkouts of the hub, launched alternately in one run.

    /work/venv/bin/python bench/start_compare.py /work/main /work/wt/perf --rounds 7

Timings on a shared machine drift with whatever else runs, so a "before" measured an hour ago
says little about an "after" measured now. This launches `hub serve` from each checkout in
turn (ABAB…, the order flipped every round; one unmeasured launch each first warms the page
cache), each on its own home made by that checkout's `hub init`, with PYTHONPATH and the
working directory set to the checkout. Per launch, as bench/run.py measures it: seconds to
the first 200 on `/`, to the port's first connection, the CLI part (until `hub serve` execs
a server, as it did before issue 21; "-" when it does not), and VmRSS once the server is
idle. Prints medians and writes bench/results/start-compare-<timestamp>.json.
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
import time
from datetime import datetime
from pathlib import Path

import run

FIGURES = ("first_200_s", "listening_s", "exec_s", "VmRSS", "RssAnon", "RssFile")


def launch(checkout: Path, home: Path, logs: Path, tag: str, settle_s: float) -> dict[str, float]:
    run.ROOT = checkout  # bench/run.py starts servers in ROOT; `python -m hub` then imports its hub
    os.environ["PYTHONPATH"] = str(checkout)
    server = run.hub_server(home, run.free_port(), logs, tag)
    server.start()
    try:
        server.wait_ready()
        server.wait_idle()
        time.sleep(settle_s)
        return {**server.phases, **server.memory_mb()}
    finally:
        server.stop()


def _median(rows: list[dict[str, float]], key: str) -> float | str:
    return round(statistics.median(r[key] for r in rows), 3) if all(key in r for r in rows) else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="checkout measured as 'before'")
    parser.add_argument("after", type=Path, help="checkout measured as 'after'")
    parser.add_argument("--rounds", type=int, default=7, help="measured launches of each (default 7)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before reading VmRSS")
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    work = Path(tempfile.mkdtemp(prefix="hub-start-compare-"))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    try:
        for name, checkout in checkouts.items():
            init = [sys.executable, "-m", "hub", "init", "--home", str(work / name)]
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            subprocess.run(init, cwd=checkout, env=env, check=True, capture_output=True)
        for round_ in range(args.rounds + 1):
            order = list(checkouts.items())
            for name, checkout in order if round_ % 2 == 0 else reversed(order):
                figures = launch(checkout, work / name, work / "logs", f"{name}{round_}", args.settle)
                if round_:
                    runs[name].append(figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {name: {key: _median(rows, key) for key in FIGURES} for name, rows in runs.items()}
    print(f"{'':8}" + "".join(f"{key:>13}" for key in FIGURES))
    for name, figures in medians.items():
        print(f"{name:8}" + "".join(f"{figures[key]:>13}" for key in FIGURES))
    print("(medians of", args.rounds, "launches; seconds to the first 200, to listening and to the exec; MB)")
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS / f"start-compare-{datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
    result = {"checkouts": {k: str(v) for k, v in checkouts.items()}, "medians": medians, "runs": runs}
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
