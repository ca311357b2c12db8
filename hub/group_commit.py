"""Group commit: many requests' small writes flushed to disk together, each acknowledged after it.

Every progress save was a transaction of its own, with its own fsync (synchronous=FULL), and twenty
phones saving at once queued on the one writer lock (hub/db.py): worker threads spent most of a
lesson view waiting for it. Here one writer thread takes every write waiting, runs each in a
savepoint of one transaction (one write that fails is undone alone and its caller gets the error),
commits once, and only then wakes the callers: a write is acknowledged only when it is on disk, as
before, and a power cut loses only writes nobody was told were kept.

The thread ends after IDLE_SECONDS without writes and starts again with the next one: a thread that
lived for ever would keep its hub (and the hub's library watchers) alive for ever too.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlite_utils import Database

from hub.db import writer_lock

T = TypeVar("T")
MAX_BATCH = 64  # writes in one transaction at most, so none waits behind too many
IDLE_SECONDS = 30.0


@dataclass
class _Write(Generic[T]):
    work: Callable[[Database], T]
    done: Callable[[], None]  # called by the writer thread once the write is committed or failed
    result: T | None = None
    error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit:
    """Writes to the hub database run by one thread, committed in groups (see the module's doc)."""

    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database  # the calling thread's connection: the writer thread's, there
        self._queue: queue.SimpleQueue[_Write[object]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def run(self, work: Callable[[Database], T]) -> T:
        """Run `work(db)` inside a write transaction; return once it is committed to disk."""
        committed = threading.Event()
        write: _Write[T] = _Write(work, committed.set)
        self._submit(write)
        committed.wait()
        return write.outcome()

    async def run_async(self, work: Callable[[Database], T]) -> T:
        """`run` for a route on the event loop: it awaits the commit, and the loop serves others meanwhile."""
        loop = asyncio.get_running_loop()
        committed = loop.create_future()

        def wake() -> None:
            if not committed.done():  # the request may have been cancelled (its phone went away)
                committed.set_result(None)

        write: _Write[T] = _Write(work, lambda: loop.call_soon_threadsafe(wake))
        self._submit(write)
        await committed
        return write.outcome()

    def _submit(self, write: _Write[T]) -> None:
        with self._start:  # the thread decides to end under this lock too: no write is left behind
            self._queue.put(write)  # type: ignore[arg-type]
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True, name="group-commit")
                self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=IDLE_SECONDS)]
            except queue.Empty:
                with self._start:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Write[object]]) -> None:
        committed = False
        failure: BaseException = RuntimeError("the write was not saved")
        try:
            db = self._database()  # inside the try: a database that cannot be opened fails the batch
            with writer_lock():
                db.execute("BEGIN IMMEDIATE")
                try:
                    for write in batch:
                        db.execute("SAVEPOINT one_write")
                        try:
                            write.result = write.work(db)
                        except Exception as error:  # this write alone is undone; its caller hears why
                            db.execute("ROLLBACK TO one_write")
                            write.error = error
                        db.execute("RELEASE one_write")
                    db.execute("COMMIT")
                    committed = True
                except BaseException:
                    if db.conn.in_transaction:
                        db.execute("ROLLBACK")
                    raise
        except Exception as error:  # the commit itself failed: nothing of the batch is kept
            failure = error
        finally:
            for write in batch:
                if not committed:
                    write.error = write.error or failure
                with contextlib.suppress(RuntimeError):  # a loop that closed while its request waited
                    write.done()
