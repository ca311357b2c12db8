"""Memory and time of one argon2 check, and of twelve sign-ins at once, before and after issue 17.

    PYTHONPATH=. /work/venv/bin/python bench/argon2_params.py

Each case runs in a fresh interpreter, so its peak resident memory (VmHWM) is its own: the
figure is the peak minus the resident memory just before the first hash. "before" is
argon2-cffi's default (64 MiB, 3 passes, 4 lanes), which the hub used until issue 17; "after"
is hub/passwords.py (19 MiB, 2 passes, 1 lane). The storm cases run twelve wrong checks in
twelve threads at once: unbounded with the old parameters and malloc as it comes, through
hub.passwords (at most HASHING_SLOTS at a time, big blocks given back) with the new; "kept" is
what the process still holds after them. Times are medians of 7 runs on this machine; a Pi 4
is about 3 to 4 times slower per core. Writes bench/results/argon2-<timestamp>.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
RUNS = 7
STORM = 12

CASE = r"""
import json, statistics, sys, threading, time

def vm(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

case, runs, storm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from argon2 import PasswordHasher
from hub import passwords

if case == "before":
    hasher = PasswordHasher()
    hash_secret, verify = hasher.hash, lambda h, s: hasher.verify(h, s)
else:
    hash_secret, verify = passwords.hash_secret, passwords.verify
start = vm("VmRSS")
hashed = hash_secret("1234")
seconds = []
for _ in range(runs):
    began = time.perf_counter()
    verify(hashed, "1234")
    seconds.append(time.perf_counter() - began)
one = vm("VmHWM") - start

def wrong():
    try:
        verify(hashed, "0000")
    except Exception:
        pass

threads = [threading.Thread(target=wrong) for _ in range(storm)]
began = time.perf_counter()
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
storm_seconds = time.perf_counter() - began
print(json.dumps({"hash": hashed.rsplit("$", 2)[0], "check_ms": statistics.median(seconds) * 1000,
                  "one_check_mib": one, "storm_peak_mib": vm("VmHWM") - start,
                  "storm_seconds": storm_seconds, "kept_mib": vm("VmRSS") - start}))
"""


def run_case(case: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CASE, case, str(RUNS), str(STORM)],
        capture_output=True, text=True, check=True, cwd=BENCH.parent,
    )  # fmt: skip
    return json.loads(done.stdout)


def main() -> None:
    results = {case: run_case(case) for case in ("before", "after")}
    print(f"| case | parameters | one check | its memory | {STORM} wrong checks at once: peak, kept, time |")
    print("|---|---|---|---|---|")
    for case, row in results.items():
        print(
            f"| {case} | `{row['hash']}` | {row['check_ms']:.0f} ms | {row['one_check_mib']:.1f} MiB"
            f" | {row['storm_peak_mib']:.1f} MiB, {row['kept_mib']:.1f} MiB, {row['storm_seconds']:.2f} s |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"argon2-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
