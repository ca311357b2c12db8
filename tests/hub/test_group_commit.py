"""Group commit (hub/group_commit.py): writes waiting together are committed together, each caller
is answered only after the commit, and a write that fails is undone alone."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from hub.db import writer_lock
from hub.home import Hub


def insert(value: str):
    return lambda db: db.execute("INSERT INTO settings (key, value) VALUES (?, '1')", [value])


def test_writes_waiting_together_are_committed_in_one_transaction(tmp_path: Path):
    hub = Hub(tmp_path / "home")
    batches: list[int] = []
    commit = hub.writes._commit
    hub.writes._commit = lambda batch: (batches.append(len(batch)), commit(batch))[1]  # type: ignore[method-assign]
    answered: list[str] = []
    with writer_lock():  # another writer holds the database: the saves queue up behind it
        threads = [
            threading.Thread(target=lambda n=n: (hub.writes.run(insert(f"k{n}")), answered.append(f"k{n}")))
            for n in range(10)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        assert answered == []  # nobody is told "saved" before the commit
    for thread in threads:
        thread.join(10)
    assert sorted(answered) == sorted(f"k{n}" for n in range(10))
    assert sum(batches) == 10 and len(batches) <= 2  # the first may have gone alone
    with sqlite3.connect(tmp_path / "home" / "hub.db") as other:  # on disk, seen by another connection
        assert other.execute("SELECT count(*) FROM settings WHERE key LIKE 'k%'").fetchone()[0] == 10


def test_a_failing_write_is_undone_alone_and_its_caller_hears_why(tmp_path: Path):
    hub = Hub(tmp_path / "home")
    hub.writes.run(insert("taken"))
    results: dict[str, object] = {}

    def save(key: str) -> None:
        try:
            hub.writes.run(insert(key))
            results[key] = "saved"
        except sqlite3.IntegrityError as error:
            results[key] = error

    with writer_lock():
        threads = [threading.Thread(target=save, args=(key,)) for key in ("a", "taken", "b")]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
    for thread in threads:
        thread.join(10)
    assert results["a"] == "saved" and results["b"] == "saved"
    assert isinstance(results["taken"], sqlite3.IntegrityError)
    keys = {r[0] for r in hub.db.execute("SELECT key FROM settings WHERE key IN ('a', 'b', 'taken')")}
    assert keys == {"a", "b", "taken"}
    with pytest.raises(ZeroDivisionError):
        hub.writes.run(lambda db: 1 / 0)
    hub.writes.run(insert("after"))  # the writer goes on
    assert hub.db.execute("SELECT 1 FROM settings WHERE key = 'after'").fetchone()
