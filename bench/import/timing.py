"""What the import benchmarks share: a timed `cp -r` (with and without `sync`), and an import
timed in a child process of its own, which reports its memory (so no round inherits another's).

A child script is CHILD_PRELUDE (imports, `rss_mb`, the hub at argv[2], `before` = its RSS) followed
by the benchmark's own lines, which print one JSON line last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD_PRELUDE = """
import json, sys, time
from pathlib import Path
from hub.home import Hub
from hub import imports

def rss_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

hub = Hub(Path(sys.argv[2]))
before = rss_mb("VmRSS")
"""


def timed_cp(source: Path, dest: Path) -> tuple[float, float]:
    """Seconds for `cp -r`, and for `cp -r` followed by `sync` (a copy that survives a power cut,
    as an import must)."""
    os.sync()  # neither side pays for the other's dirty pages
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(dest)], check=True)
    copied = time.perf_counter() - start
    os.sync()
    return copied, time.perf_counter() - start


def timed_import(child: str, source: Path, home: Path) -> dict[str, float]:
    """Run a child script (CHILD_PRELUDE + its lines) on `source` into `home`; its JSON line."""
    os.sync()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", child, str(source), str(home)], capture_output=True,
                          text=True, env=env)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"the import failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
