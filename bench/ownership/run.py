"""The cost of checking who may write about a learner (sync/ownership.py) when a centre takes in pages.

    PYTHONPATH=. python bench/ownership/run.py [--rounds 5]

A centre already holds the writers of N learners (N = 1,000 / 10,000 / 100,000, as rows of
`learner_writers`, the table the check reads). One page of 1,000 lesson changes from an enrolled
hub (500 learners it already writes about, 500 new ones) is checked and applied in one
transaction (pages.check_page + pages.apply_page), on a fresh copy of the database each round.
Baseline, same run, same copies: the same page with the writers check switched off (what the
centre did before issue 17). Prints the medians and their ratio; the curve over N must stay flat
(one primary-key lookup per change).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from hub.db import transaction
from hub.home import Hub
from sync import ownership, pages, store
from sync.merge import LessonState, lesson_change

PAGE = 1000


def _centre(folder: Path, learners: int, sender_id: str, sender_key: str) -> Path:
    hub = Hub(folder / "centre")
    with transaction(hub.db):
        hub.db.execute("INSERT INTO devices VALUES (?, ?, NULL, '')", [sender_id, sender_key])
        hub.db.conn.executemany(
            "INSERT INTO learner_writers VALUES (?, ?)",
            ((f"learner-{n}", sender_id if n < PAGE // 2 else f"other-{n % 20}") for n in range(learners)),
        )
    hub.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hub.home


def _page(folder: Path) -> tuple[dict, str, str]:
    sender = Hub(folder / "sender")
    with transaction(sender.db):
        for n in range(PAGE):
            learner = f"learner-{n}" if n < PAGE // 2 else f"new-learner-{n}"
            state = LessonState(0.5, None, "2026-01-01T00:00:00")
            store.record(sender.db, lesson_change((learner, "c", "a"), state, sender.device.id))
        store.sign_pending(sender.db, sender.device)
    return pages.build_page(sender.db, sender.device, {}, PAGE), sender.device.id, sender.device.public_key


def _apply_once(template: Path, page: dict, sender: str, work: Path) -> float:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(template, work)
    hub = Hub(work)
    own = (hub.device.id, hub.device.public_key)
    started = time.perf_counter()
    checked = pages.check_page(hub.db, own, sender, page)
    with transaction(hub.db):
        applied = pages.apply_page(hub.db, checked, sender, "2026-01-01T00:00:00")
    elapsed = time.perf_counter() - started
    assert applied.new == PAGE, applied
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    checked_accepts = ownership.accepts
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        page, sender_id, sender_key = _page(folder)
        print(f"a page of {PAGE} changes into a centre holding N learners' writers, median of {args.rounds}")
        print(f"{'N':>8} {'with check':>12} {'without':>10} {'ratio':>7}")
        for learners in (1_000, 10_000, 100_000):
            template = _centre(folder / f"n{learners}", learners, sender_id, sender_key)
            timings: dict[str, list[float]] = {"with": [], "without": []}
            for _ in range(args.rounds):  # interleaved, so both see the same machine
                ownership.accepts = checked_accepts
                timings["with"].append(_apply_once(template, page, sender_id, folder / "work"))
                ownership.accepts = lambda db, device, change: True
                timings["without"].append(_apply_once(template, page, sender_id, folder / "work"))
            ownership.accepts = checked_accepts
            with_check, without = (statistics.median(timings[k]) for k in ("with", "without"))
            ratio = with_check / without
            print(f"{learners:>8} {with_check * 1000:>10.1f} ms {without * 1000:>7.1f} ms {ratio:>7.2f}")


if __name__ == "__main__":
    main()
