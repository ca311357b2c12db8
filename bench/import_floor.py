"""What importing costs before the hub does anything: three fresh interpreters, launched in turn.

    /work/main/.venv/bin/python bench/import_floor.py --rounds 11

- floor: FastAPI and uvicorn imported and an app made (what bench/baseline_app.py does before it
  serves; its warm start is about this);
- libraries: the floor plus the libraries the hub is built on (Typer, Rich, sqlite-utils, which
  imports numpy when it is installed, Jinja2, Babel, markdown-it, Whoosh, nh3, argon2), no hub code;
- hub: the floor plus `hub.cli` and `hub.app`, the modules `hub serve` imports before it opens a hub.

Issue 21 asks for a warm start within 2x the floor's; this shows how much of that the libraries
alone take. Prints medians (seconds) and their ratios to the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import fastapi, uvicorn; from fastapi import FastAPI; FastAPI()"
LIBRARIES = FLOOR + (
    "; import typer, rich.console, rich.progress, rich.table, sqlite_utils, pluggy, platformdirs, argon2"
    "; import jinja2, jinja2.ext, babel.core, babel.dates, babel.numbers, markdown_it, nh3"
    "; import whoosh.index, whoosh.fields, whoosh.qparser, whoosh.analysis, whoosh.searching"
    "; import whoosh.writing, whoosh.codec.whoosh3"
)
HUB = FLOOR + "; import hub.cli, hub.app"
PROGRAMS = {"floor": FLOOR, "libraries": LIBRARIES, "hub": HUB}


def seconds_to_run(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="measured launches of each (default 11)")
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    for round_number in range(args.rounds + 1):  # the first round only warms the page cache
        for name, code in PROGRAMS.items():
            took = seconds_to_run(code)
            if round_number:
                seconds[name].append(took)
    medians = {name: statistics.median(runs) for name, runs in seconds.items()}
    for name, median in medians.items():
        print(f"{name:10s} {median:.3f} s  {median / medians['floor']:.2f}x the floor")


if __name__ == "__main__":
    main()
