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
import statistics
import sys
import time
from pathlib import Path

import run
from checkouts import alternate, use_checkout, write_result

FIGURES = ("first_200_s", "listening_s", "exec_s", "VmRSS", "RssAnon", "RssFile")


def launch(checkout: Path, home: Path, logs: Path, tag: str, settle_s: float) -> dict[str, float]:
    use_checkout(checkout)
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
    runs = alternate(
        checkouts,
        args.rounds + 1,
        lambda checkout, home, logs, tag: launch(checkout, home, logs, tag, args.settle),
    )
    runs = {name: rows[1:] for name, rows in runs.items()}  # the first launch of each warms the page cache
    medians = {name: {key: _median(rows, key) for key in FIGURES} for name, rows in runs.items()}
    print(f"{'':8}" + "".join(f"{key:>13}" for key in FIGURES))
    for name, figures in medians.items():
        print(f"{name:8}" + "".join(f"{figures[key]:>13}" for key in FIGURES))
    print("(medians of", args.rounds, "launches; seconds to the first 200, to listening and to the exec; MB)")
    write_result("start-compare", checkouts, {"medians": medians, "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
