"""Group commit (hub/group_commit.py): writes waiting together are committed together, each caller
is answered only after the commit, and a write that fails is undone alone."""

from __future__ import annotations

import asyncio
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


def test_a_database_that_cannot_be_opened_fails_the_write_and_the_writer_goes_on(tmp_path: Path):
    hub = Hub(tmp_path / "home")
    opened = hub.writes._database

    def unopenable():
        raise sqlite3.OperationalError("unable to open database file")

    hub.writes._database = unopenable
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):  # answered, not left waiting
        hub.writes.run(insert("lost"))
    hub.writes._database = opened
    hub.writes.run(insert("kept"))
    assert hub.db.execute("SELECT 1 FROM settings WHERE key = 'kept'").fetchone()


def test_the_writer_thread_ends_when_idle_and_the_next_write_starts_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("hub.group_commit.IDLE_SECONDS", 0.2)
    hub = Hub(tmp_path / "home")
    hub.writes.run(insert("first"))
    thread = hub.writes._thread
    assert thread is not None
    thread.join(5)
    assert not thread.is_alive() and hub.writes._thread is None  # it no longer holds the hub alive
    hub.writes.run(insert("second"))
    assert {r[0] for r in hub.db.execute("SELECT key FROM settings WHERE key IN ('first', 'second')")} == {
        "first", "second"}  # fmt: skip


def test_a_route_on_the_event_loop_awaits_its_commit_and_the_loop_serves_others_meanwhile(tmp_path: Path):
    hub = Hub(tmp_path / "home")
    hub.writes.run(insert("taken"))
    ticks: list[str] = []

    async def main() -> tuple[list[object], list[str]]:
        async def ticker() -> None:
            while True:
                ticks.append("tick")
                await asyncio.sleep(0.02)

        ticking = asyncio.create_task(ticker())
        lock = writer_lock()
        lock.__enter__()  # another writer holds the database: the saves wait behind it
        saves = asyncio.gather(
            *(hub.writes.run_async(insert(key)) for key in ("a", "taken", "b")), return_exceptions=True
        )
        await asyncio.sleep(0.3)
        seen_while_held = list(ticks)
        lock.__exit__(None, None, None)
        outcomes = await asyncio.wait_for(saves, 10)
        ticking.cancel()
        return outcomes, seen_while_held

    outcomes, seen_while_held = asyncio.run(main())
    assert len(seen_while_held) >= 5  # the loop went on while the writes waited
    assert not isinstance(outcomes[0], Exception) and not isinstance(outcomes[2], Exception)
    assert isinstance(outcomes[1], sqlite3.IntegrityError)  # undone alone; its caller hears why
    keys = {r[0] for r in hub.db.execute("SELECT key FROM settings WHERE key IN ('a', 'b')")}
    assert keys == {"a", "b"}


def test_a_write_whose_caller_went_away_is_still_committed_and_the_writer_goes_on(tmp_path: Path):
    """A phone that drops its request while its save waits: the save is kept (it was asked for), and
    telling a cancelled request, or a loop that has closed, does not stop the writer."""
    hub = Hub(tmp_path / "home")

    async def main() -> None:
        save = asyncio.ensure_future(hub.writes.run_async(insert("dropped")))
        await asyncio.sleep(0.1)
        save.cancel()
        await asyncio.sleep(0)

    with writer_lock():  # the writer waits here until the loop that asked has closed
        asyncio.run(main())
    later = threading.Thread(target=hub.writes.run, args=(insert("next"),))
    later.start()
    later.join(10)
    assert not later.is_alive()  # answered: the writer did not die waking a closed loop
    keys = {r[0] for r in hub.db.execute("SELECT key FROM settings WHERE key IN ('dropped', 'next')")}
    assert keys == {"dropped", "next"}
