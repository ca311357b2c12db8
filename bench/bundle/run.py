"""Time to export and to import a USB bundle of N progress records (issue 6 target: 10,000 in ≤ 2 s)
and of a signed course with a video of MB megabytes.

    PYTHONPATH=. python bench/bundle/run.py [N] [MB]

Two hubs in a temporary folder; hub one records N lesson changes for N/10 learners, signs
them, holds the course, exports; hub two checks the stick (every line's signature, every file)
and applies it in one transaction, then checks the course (signature, every blob's sha256) and
imports it. A second export shows what an incremental one costs. Prints seconds for each step.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from content.package import build_package
from content.signing import SecretKey, generate_key
from hub import library, trust
from hub.db import transaction
from hub.home import Hub
from hub.plugins.bundles import courses
from sync import bundle, store
from sync.merge import LessonState, lesson_change

COURSE = """
id = "bench-video"
version = 1
title = "A long video"
summary = "One lesson with a large video."
language = "en"
publisher = "Bench"
license = "CC BY 4.0"
"""
LESSON = """+++
title = "Watch"
kind = "video"
media = "media/video.mp4"
+++
The same, in words.
"""


def _publish(hub: Hub, key: SecretKey, folder: Path, megabytes: int) -> None:
    (folder / "media").mkdir(parents=True)
    (folder / "course.toml").write_text(COURSE)
    (folder / "01-watch.md").write_text(LESSON)
    with (folder / "media" / "video.mp4").open("wb") as video:
        for _ in range(megabytes):
            video.write(os.urandom(1024**2))
    build_package(folder, folder.with_suffix(".zip"), key)
    library.import_package(hub.db, hub.blobs, folder.with_suffix(".zip"))


def main(count: int, megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one, two, stick = Hub(Path(tmp) / "one"), Hub(Path(tmp) / "two"), Path(tmp) / "stick"
        key = generate_key()
        for hub in (one, two):
            trust.trust_key(hub.db, key.public, "Bench")
        _publish(one, key, Path(tmp) / "course", megabytes)
        with transaction(one.db):
            for n in range(count):
                state = LessonState(0.5, None, "2026-05-01T10:00:00", ((one.device.id, n),))
                store.record(
                    one.db,
                    lesson_change((f"learner-{n % (count // 10)}", "course", f"l{n}"), state, one.device.id),
                )
        timings = {}
        start = time.perf_counter()
        with transaction(one.db):
            store.sign_pending(one.db, one.device)
        timings["sign"] = time.perf_counter() - start
        start = time.perf_counter()
        bundle.export(one.db, one.device, stick, courses=courses.outgoing(one, stick))
        timings["export"] = time.perf_counter() - start
        start = time.perf_counter()
        again = bundle.export(one.db, one.device, stick, courses=courses.outgoing(one, stick))
        timings["export again"] = time.perf_counter() - start
        assert again.blob_bytes_copied == again.courses_written == 0
        start = time.perf_counter()
        incoming = bundle.read_stick(two.db, two.device.id, stick, {one.device.id})
        timings["import: check"] = time.perf_counter() - start
        start = time.perf_counter()
        with transaction(two.db):
            result = bundle.apply(two.db, incoming)
        timings["import: apply"] = time.perf_counter() - start
        start = time.perf_counter()
        taken = courses.take_in(two, incoming)
        timings["import: course"] = time.perf_counter() - start
        assert result.new_changes == count and [r.course_id for r in taken.imported] == ["bench-video"]
        for step, seconds in timings.items():
            print(f"{step:>15}: {seconds:.2f} s")
        total = timings["import: check"] + timings["import: apply"]
        print(f"{'import total':>15}: {total:.2f} s for {count} records")
        rate = megabytes / timings["import: course"]
        print(f"{'course':>15}: {megabytes} MB checked and imported at {rate:.0f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 200)
