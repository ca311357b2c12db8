"""Import benchmark: a 500 MB package from a local folder, against a plain `cp -r` of the same tree.

    /work/venv/bin/python bench/import/run.py            # 500 MB package, 3 rounds
    /work/venv/bin/python bench/import/run.py --quick    # 50 MB, 1 round (smoke run, not for figures)

The package (generated once per run, random bytes so nothing compresses or dedupes): 4 big media
blobs (video lessons) holding 88% of the bytes and 2,000 small ones (30 KB pictures in 20 image
lessons). Each round, in the same run and on the same warm page cache:

  cp       `cp -r PACKAGE DEST` (no hashing, no fsync)
  import   `hub.imports.run_import` into a fresh HUB_HOME, in a child process: the preview, every
           blob read, hashed and checked, written as a part file, fsynced and renamed, the course
           made visible in one SQLite transaction

Reported: medians over the rounds of seconds and MB/s for each, the ratio import/cp throughput
(target >= 0.5), and the import process's peak RSS (VmHWM) next to its RSS before importing: a
streaming import keeps the difference small whatever the package size. Writes JSON to
results/<timestamp>.json. No assertion: the figures are reported. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from timing import CHILD_PRELUDE, ROOT, timed_cp, timed_import

sys.path.insert(0, str(ROOT))

from content.importers.writer import PackageWriter

CHILD = (
    CHILD_PRELUDE
    + """
start = time.perf_counter()
[result] = imports.run_import(hub, Path(sys.argv[1]), allow_unverified=True)  # the package is unsigned
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": rss_mb("VmHWM"),
                  "course": result.course_id}))
"""
)


def make_package(out: Path, total_mb: int) -> int:
    """Write the benchmark package; return its size in bytes (blobs only)."""
    big_count, small_count, small_size = 4, 2000, 30 * 1024
    big_size = max(total_mb * 1024**2 - small_count * small_size, 0) // big_count
    scratch = out.parent / "scratch.bin"
    writer = PackageWriter(out)
    lessons = []
    for number in range(big_count):
        with scratch.open("wb") as handle:
            for _ in range(big_size // 1024**2):
                handle.write(os.urandom(1024**2))
            handle.write(os.urandom(big_size % 1024**2))
        ref = writer.add_file(scratch, f"video-{number}.mp4")
        lessons.append({"id": f"video-{number}", "title": f"Video {number}", "kind": "video",
                        "media": [ref], "text": "A text alternative."})  # fmt: skip
    scratch.unlink()
    per_lesson = small_count // 20
    for number in range(20):
        images = [
            {"file": writer.add_bytes(os.urandom(small_size), f"p{number}-{i}.png"), "alt": f"Picture {i}"}
            for i in range(per_lesson)
        ]
        lessons.append({"id": f"pictures-{number}", "title": f"Pictures {number}", "kind": "images",
                        "images": images})  # fmt: skip
    writer.finish({"id": "bench-course", "version": 1, "title": "Benchmark", "language": "en",
                   "publisher": "Bench"}, lessons)  # fmt: skip
    return sum(f.stat().st_size for f in (out / "blobs").rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50 MB, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--megabytes", type=int, default=500)
    args = parser.parse_args()
    megabytes, rounds = (50, 1) if args.quick else (args.megabytes, args.rounds)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        work = Path(folder)
        package = work / "package"
        size = make_package(package, megabytes)
        files = sum(1 for f in package.rglob("*") if f.is_file())
        print(f"package: {size / 1024**2:,.0f} MB in {files} files")
        results = []
        for number in range(rounds):
            cp_seconds, cp_sync_seconds = timed_cp(package, work / "copy")
            shutil.rmtree(work / "copy")
            imported = timed_import(CHILD, package, work / "home")
            shutil.rmtree(work / "home")
            results.append({"cp_seconds": cp_seconds, "cp_sync_seconds": cp_sync_seconds, **imported})
            peak, before = imported["peak_rss_mb"], imported["rss_before_mb"]
            print(f"round {number + 1}: cp {cp_seconds:.2f} s (with sync {cp_sync_seconds:.2f} s), "
                  f"import {imported['seconds']:.2f} s, "
                  f"peak RSS {peak:.0f} MB (before {before:.0f} MB)")  # fmt: skip
    cp_s = statistics.median(r["cp_seconds"] for r in results)
    cp_sync_s = statistics.median(r["cp_sync_seconds"] for r in results)
    import_s = statistics.median(r["seconds"] for r in results)
    peak = statistics.median(r["peak_rss_mb"] for r in results)
    before = statistics.median(r["rss_before_mb"] for r in results)
    mb = size / 1024**2
    ratio = cp_s / import_s
    print()
    print("| measure | cp -r | cp -r + sync | hub import |")
    print("|---|---|---|---|")
    print(f"| seconds (median of {rounds}) | {cp_s:.2f} | {cp_sync_s:.2f} | {import_s:.2f} |")
    print(f"| MB/s | {mb / cp_s:,.0f} | {mb / cp_sync_s:,.0f} | {mb / import_s:,.0f} |")
    verdict = "meets" if ratio >= 0.5 else "NO, misses"
    print(f"| import / cp throughput | | | {ratio:.2f} ({verdict} >= 0.5) |")
    print(f"| import / (cp + sync) throughput | | | {cp_sync_s / import_s:.2f} |")
    growth = f"{peak - before:+.0f} MB over {before:.0f} MB"
    print(f"| peak RSS of the import process | | {peak:.0f} MB ({growth}) |")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"{stamp}.json").write_text(json.dumps({
        "machine": platform.platform(), "cpus": os.cpu_count(), "package_bytes": size, "files": files,
        "rounds": results, "median_cp_seconds": cp_s, "median_cp_sync_seconds": cp_sync_s,
        "median_import_seconds": import_s, "ratio": ratio,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
