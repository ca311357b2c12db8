"""Two checkouts of the hub measured in one run, alternately (start_compare.py, lesson_compare.py).

Timings on a shared machine drift with whatever else runs, so a "before" measured an hour ago
says little about an "after" measured now: each checkout gets a home made by its own `hub init`,
and the rounds alternate between them, the order flipped every round.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import run

T = TypeVar("T")


def alternate(
    checkouts: dict[str, Path], rounds: int, measure: Callable[[Path, Path, Path, str], T]
) -> dict[str, list[T]]:
    """`measure(checkout, home, logs, tag)` for each checkout, `rounds` times, in alternating order."""
    work = Path(tempfile.mkdtemp(prefix="hub-checkouts-"))
    results: dict[str, list[T]] = {name: [] for name in checkouts}
    try:
        for name, checkout in checkouts.items():
            init = [sys.executable, "-m", "hub", "init", "--home", str(work / name)]
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            subprocess.run(init, cwd=checkout, env=env, check=True, capture_output=True)
        for round_ in range(rounds):
            order = list(checkouts.items())
            for name, checkout in order if round_ % 2 == 0 else reversed(order):
                results[name].append(measure(checkout, work / name, work / "logs", f"{name}{round_}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def use_checkout(checkout: Path) -> None:
    """Make bench/run.py's servers start from `checkout` (its `python -m hub` imports that hub)."""
    run.ROOT = checkout
    os.environ["PYTHONPATH"] = str(checkout)


def write_result(name: str, checkouts: dict[str, Path], result: dict) -> Path:
    """bench/results/<name>-<time>.json, with the checkouts compared."""
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS / f"{name}-{datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps({"checkouts": {k: str(v) for k, v in checkouts.items()}, **result}, indent=2) + "\n"
    )
    print(f"Wrote {out}")
    return out
