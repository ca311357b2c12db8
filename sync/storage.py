"""Where the sync tables live: the hub's own SQLite file, or, for a central server that has
outgrown one file, PostgreSQL (`hub serve --role central --database postgresql://…`).

This is the seam that keeps one set of merge rules (sync/store.py, pages.py, feed.py,
tallies.py, ownership.py) for both engines. The rules are written once, in the SQL both
understand: `?` and `:name` parameters, `INSERT … ON CONFLICT`, table-qualified columns in
`DO UPDATE`, `greatest`/`least` (given to SQLite by hub/db.py). `PgDatabase` answers the few calls
those modules make on a sqlite-utils `Database` (execute, executemany, a transaction), turning the
parameters into psycopg's. What differs is asked of `dialect()`.

On PostgreSQL the merges run in one transaction per page like on SQLite, serialised by one
advisory lock (the tallies read before they add); what several worker processes share out is the
work around them: parsing, decompressing and checking signatures, reading feeds, nonces.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

if TYPE_CHECKING:
    import psycopg

SCHEMA = Path(__file__).with_name("postgres.sql")
# Advisory locks (numbers of this program's own): one a merge holds, one the sync sessions' count.
MERGE_LOCK = 7_406_001
SESSIONS_LOCK = 7_406_002


class PgDatabase:
    """One PostgreSQL connection, answering like a sqlite-utils Database to the sync modules."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._depth = 0
        self._pipeline: psycopg.Pipeline | None = None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        cursor = self.conn.execute(_pg_sql(sql), params)  # type: ignore[arg-type]
        return cursor if self._pipeline is None else _PipelinedCursor(cursor, self._pipeline)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pg_sql(sql), list(rows))

    @contextmanager
    def transaction(self, lock: int = MERGE_LOCK) -> Iterator[PgDatabase]:
        """One transaction holding the advisory `lock` till its end (nested ones become savepoints)."""
        if self._depth:
            with self.conn.transaction():
                yield self
            return
        with self.conn.transaction(), self.conn.pipeline() as pipeline:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
            self._depth, self._pipeline = 1, pipeline
            try:
                yield self
            finally:
                self._depth, self._pipeline = 0, None


class _PipelinedCursor:
    """A cursor of a statement sent in a transaction's pipeline: the writes of a merge go to the
    server without waiting for each answer (a round trip each would be most of a merge's time);
    reading a result, or a row count, waits for everything sent before it."""

    def __init__(self, cursor: psycopg.Cursor[Any], pipeline: psycopg.Pipeline) -> None:
        self._cursor = cursor
        self._pipeline = pipeline

    @property
    def rowcount(self) -> int:
        self._pipeline.sync()
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


SyncDatabase = Database | PgDatabase


@lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """SQLite's parameters (`?`, `:name`) as psycopg's (`%s`, `%(name)s`); a literal `%` doubled."""
    sql = sql.replace("%", "%%")
    sql = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", sql)
    return sql.replace("?", "%s")


def marks(values: Sequence[object]) -> str:
    """The parameter marks of an `IN (…)` list of these values; an empty list (which PostgreSQL
    refuses) as one NULL, which matches nothing."""
    return ", ".join("?" * len(values)) or "NULL"


def dialect(db: SyncDatabase) -> str:
    return "postgresql" if isinstance(db, PgDatabase) else "sqlite"


def executemany(db: SyncDatabase, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    if isinstance(db, PgDatabase):
        db.executemany(sql, rows)
    else:
        db.conn.executemany(sql, rows)


def fixed_order_join(db: SyncDatabase) -> str:
    """A join read in the order written: SQLite's CROSS JOIN (its planner keeps the order), a plain
    JOIN on PostgreSQL (whose CROSS JOIN takes no ON)."""
    return "JOIN" if isinstance(db, PgDatabase) else "CROSS JOIN"


def connect_postgres(url: str) -> PgDatabase:
    """A connection to the centre's PostgreSQL database (autocommit outside transactions)."""
    import psycopg

    return PgDatabase(psycopg.connect(url, autocommit=True))


class DatabaseError(Exception):
    """The PostgreSQL database cannot be used; the message says why, in words."""


def check_reachable(url: str) -> None:
    """DatabaseError unless `url` is a PostgreSQL URL this machine can connect to (the password,
    if any, is never repeated in the message)."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise DatabaseError("give the database as a PostgreSQL URL: postgresql://user@host/database")
    try:
        import psycopg
    except ImportError:
        raise DatabaseError("PostgreSQL needs psycopg: pip install 'commons-hub[postgres]'") from None
    try:
        where = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:  # libpq's message would repeat the URL, password and all
        raise DatabaseError("the PostgreSQL URL cannot be read: check its spelling") from None
    place = f"{where.get('dbname', '')} on {where.get('host', 'this machine')}"
    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatabaseError(f"the PostgreSQL database {place} cannot be used: {reason}") from None


def create_schema(url: str) -> None:
    """Make the sync tables in the database at `url` where they are missing (at every start)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [MERGE_LOCK])  # workers starting together
        try:
            conn.execute(SCHEMA.read_text())  # type: ignore[call-overload]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [MERGE_LOCK])


_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_NOT_COPIED = {"courses", "sync_sessions"}  # a copy made anew; sessions of the running process
_KEPT = {"settings": " WHERE key != 'sync_database'"}  # the URL, and with it any password, stays in hub.db


def move_sync_tables(source: Database, url: str) -> int:
    """Copy a central server's sync tables from its SQLite file into the PostgreSQL database at
    `url`, if no centre ever used that one (no settings, devices, changes or enrolled hubs: a
    centre moving to PostgreSQL takes its hubs, changes, feeds and tallies along); return how many
    rows were copied. One transaction: a copy cut short leaves the PostgreSQL tables as they were,
    and the SQLite file is only read."""
    target = connect_postgres(url)
    try:
        used = target.execute(  # a centre that ever started on it wrote its own device and settings
            "SELECT (SELECT count(*) FROM settings) + (SELECT count(*) FROM devices)"
            " + (SELECT count(*) FROM changes) + (SELECT count(*) FROM sync_hubs)"
        )
        if used.fetchone()[0]:
            return 0
        copied = 0
        with target.conn.transaction():  # no pipeline: COPY streams
            for table in _TABLE.findall(SCHEMA.read_text()):
                if table in _NOT_COPIED:
                    continue
                columns = [r[0] for r in target.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                    " AND table_schema = current_schema() ORDER BY ordinal_position", [table])]  # fmt: skip
                names = ", ".join(columns)
                target.execute(f"DELETE FROM {table}")  # the copy replaces whatever is there
                with (
                    target.conn.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
                ):
                    kept = _KEPT.get(table, "")
                    for row in source.execute(f"SELECT {names} FROM {table}{kept}"):  # streamed
                        copy.write_row(row)
                        copied += 1
            target.execute(  # the feed's numbering goes on where the copy ends: hubs hold positions in it
                "SELECT setval(pg_get_serial_sequence('feed', 'seq'), coalesce(max(seq), 0) + 1, false)"
                " FROM feed"
            )
        return copied
    finally:
        target.conn.close()


class PerThread:
    """A PostgreSQL connection per thread, like the hub's SQLite connections (hub/home.py)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()

    def get(self) -> PgDatabase:
        db: PgDatabase | None = getattr(self._local, "db", None)
        if db is None or db.conn.closed or db.conn.broken:  # a restarted server ended it
            db = self._local.db = connect_postgres(self.url)
        return db


def copy_courses(sync_db: PgDatabase, library_db: Database, generation: int) -> None:
    """Copy the library's course list, which the reports join and sticks compare, to PostgreSQL,
    unless the copy there is of this library `generation` already."""
    copied = sync_db.execute("SELECT value FROM settings WHERE key = ?", [_COPIED_SETTING]).fetchone()
    if copied is not None and copied[0] == str(generation):
        return
    rows = library_db.execute("SELECT id, version, title, language, lesson_count FROM courses").fetchall()
    with sync_db.transaction():
        sync_db.execute("DELETE FROM courses")
        sync_db.executemany(
            "INSERT INTO courses (id, version, title, language, lesson_count) VALUES (?, ?, ?, ?, ?)", rows
        )
        sync_db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [_COPIED_SETTING, str(generation)],
        )


_COPIED_SETTING = "courses_copied_generation"
