"""Time to export and to import a USB bundle of N progress records (issue 6 target: 10,000 in ≤ 2 s).

    PYTHONPATH=. python bench/bundle/run.py [N]

Two hubs in a temporary folder; hub one records N lesson changes for N/10 learners, signs
them, exports; hub two checks the stick (every line's signature, every file) and applies it
in one transaction. Prints seconds for each step.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from hub.db import transaction
from hub.home import Hub
from sync import bundle, store
from sync.merge import LessonState, lesson_change


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one, two, stick = Hub(Path(tmp) / "one"), Hub(Path(tmp) / "two"), Path(tmp) / "stick"
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
        bundle.export(one.db, one.device, stick)
        timings["export"] = time.perf_counter() - start
        start = time.perf_counter()
        incoming = bundle.read_stick(two.db, two.device.id, stick, {one.device.id})
        timings["import: check"] = time.perf_counter() - start
        start = time.perf_counter()
        with transaction(two.db):
            result = bundle.apply(two.db, incoming)
        timings["import: apply"] = time.perf_counter() - start
        assert result.new_changes == count
        for step, seconds in timings.items():
            print(f"{step:>15}: {seconds:.2f} s")
        total = timings["import: check"] + timings["import: apply"]
        print(f"{'import total':>15}: {total:.2f} s for {count} records")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
