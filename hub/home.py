"""The hub's data directory (HUB_HOME) and the one object that knows where everything is.

hub.db        SQLite in WAL mode, the source of truth
blobs/        content-addressed files shared by all courses
index/        the search index (a cache, rebuildable from hub.db)
keys/         this hub's signing key (the keys it trusts are in hub.db: hub/trust.py)
import-work/  what an import is converting, one folder per import (removed when it ends)
writers/      a lock per process writing blobs or work folders (content/writers.py)

The folder, hub.db (with its -wal and -shm) and keys/ are its owner's only: they hold every
learner's progress, the hashes of PINs and passwords, session tokens' hashes and secret keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlite_utils import Database

from content import starter
from content.blobs import BlobStore
from content.writers import remove_abandoned
from hub import library
from hub.caches import LruCache
from hub.catalogue import Catalogue
from hub.db import connect, migrate, transaction
from hub.group_commit import GroupCommit
from sync import ownership, share, storage
from sync.device import load_or_create
from sync.store import DEVICE_SETTING, adopt_device

STARTER_IMPORTED = "starter_imported"
WORK_FOLDER = "import-work"
# A central server's PostgreSQL database for its sync tables (`hub serve --database`); none: hub.db.
SYNC_DATABASE_SETTING = "sync_database"
# The settings the sync rules read live beside the sync tables, wherever those are.
SYNC_SETTINGS = frozenset({DEVICE_SETTING, share.SETTING, share.CLEAR_SETTING, ownership.AUTHORITY_SETTING})
STALE_SECONDS = 24 * 3600  # where the system cannot tell whether a writer still runs (no flock)


def default_home() -> Path:
    """HUB_HOME if set, else the platform's per-user data folder."""
    return Path(os.environ.get("HUB_HOME") or user_data_dir("commons-hub", appauthor=False))


def keep_private(*paths: Path) -> None:
    """Make these folders (0700) and files (0600) the owner's only, as a hub made by an older
    version or under a loose umask may have left them readable by everyone on the machine."""
    for path in paths:
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError:  # gone (a -shm between two checks), or not ours to change: leave it
            continue


def create_private(path: Path) -> None:
    """Create a database file owner-only (0600), before SQLite does with the umask's mode; its
    -wal and -shm take its mode. Never opens a file that exists: SQLite may hold it in this process,
    and closing any other descriptor of it would drop SQLite's locks on it (POSIX advisory locks)."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class ThreadDatabase:
    """The hub database as seen from whichever thread touches it.

    The `Db` dependency is resolved on the event loop's thread (hub/deps.py) and a plain `def`
    route runs in a worker thread, so a connection fetched in the dependency would be used by
    another thread; this stand-in looks up the calling thread's connection on every use instead.
    """

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hub.db, name)


class Hub:
    """A hub's data directory, with a database connection per thread and a course cache."""

    def __init__(self, home: Path) -> None:
        self.home = home.resolve()
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.blobs = BlobStore(self.home)
        self.db_path = self.home / "hub.db"
        create_private(self.db_path)
        self._local = threading.local()
        self._postgres: storage.PerThread | None = None
        migrate(self.db)
        self.device = load_or_create(self.home / "keys")
        keep_private(self.home, self.home / "keys", *(self.home.glob("hub.db*")))
        with transaction(self.db):
            adopt_device(self.db, self.device.id, self.device.public_key)
        self._open_sync_database()
        self.remove_leftovers()
        self._catalogue: tuple[int, list[library.CourseCard], Catalogue | None] = (-1, [], None)
        self._catalogue_lock = threading.Lock()
        self._details: LruCache[tuple[int, library.CourseDetail]] = LruCache.configured("COURSES")
        self.writes = GroupCommit(lambda: self.db)  # progress saves, flushed together

    def remove_leftovers(self) -> None:
        """Remove what killed writers left (blob part files, import work folders): at every start,
        and every hour in a running server (a `hub content import` killed beside it)."""
        self.blobs.remove_stale_parts(STALE_SECONDS)
        remove_abandoned(self.home / WORK_FOLDER, self.home, STALE_SECONDS)

    @property
    def db(self) -> Database:
        """This thread's connection (SQLite connections are not shared between threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.db_path)
        return db

    def _open_sync_database(self) -> None:
        """Use the PostgreSQL database a central server was given for its sync tables, if any."""
        url = self.setting(SYNC_DATABASE_SETTING)
        if isinstance(url, str) and url:
            self._attach(url, move=False)

    def use_sync_database(self, url: str) -> int:
        """Keep this central server's sync tables in the PostgreSQL database at `url` from now on,
        taking along what hub.db holds of them when that database is new; return the rows copied.
        storage.DatabaseError (nothing changed) when the database cannot be used."""
        copied = self._attach(url, move=True)
        self.set_setting(SYNC_DATABASE_SETTING, url)
        return copied

    def _attach(self, url: str, move: bool) -> int:
        """Check the database, make its tables, copy hub.db's into it if asked (and it is new), then
        write through it as this device; return the rows copied."""
        storage.check_reachable(url)
        storage.create_schema(url)
        copied = storage.move_sync_tables(self.db, url) if move else 0
        self._postgres = storage.PerThread(url)
        with transaction(self.sync_db):
            adopt_device(self.sync_db, self.device.id, self.device.public_key)
        return copied

    @property
    def sync_db(self) -> storage.SyncDatabase:
        """Where the sync tables are (sync/storage.py): this hub's own database, or the PostgreSQL
        database of a central server started with `--database`; this thread's connection."""
        return self.db if self._postgres is None else self._postgres.get()

    def sync_db_with_library(self) -> storage.SyncDatabase:
        """sync_db, holding a current copy of the library's course list where it is PostgreSQL (the
        reports and sticks read courses beside the sync tables)."""
        db = self.sync_db
        if isinstance(db, storage.PgDatabase):
            storage.copy_courses(db, self.db, library.library_generation(self.db))
        return db

    def setting(self, key: str, default: object = None) -> object:
        db = self.sync_db if key in SYNC_SETTINGS else self.db
        row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: object) -> None:
        (self.sync_db if key in SYNC_SETTINGS else self.db).execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    def courses(self) -> list[library.CourseCard]:
        """Every course, cached until the next import."""
        return self._listed()[1]

    def _listed(self) -> tuple[int, list[library.CourseCard]]:
        """The library generation and every course as of it (the list read once per generation)."""
        generation = library.library_generation(self.db)
        kept = self._catalogue
        if kept[0] != generation:
            kept = self._catalogue = (generation, library.list_courses(self.db), None)
        return kept[0], kept[1]

    def catalogue(self) -> Catalogue:
        """Every course arranged for pages and lookups (hub/catalogue.py), until the next import.
        After a change one thread builds it; others asking meanwhile wait for that one's."""
        kept = self.kept_catalogue()
        if kept is not None:
            return kept
        with self._catalogue_lock:
            generation, cards = self._listed()
            _, listed, catalogue = self._catalogue  # a catalogue is kept only beside its own list
            if catalogue is None or listed is not cards:
                catalogue = Catalogue(cards)
                self._catalogue = (generation, cards, catalogue)
            return catalogue

    def kept_catalogue(self) -> Catalogue | None:
        """The catalogue as last built if the library has not changed since, without building one."""
        generation, _, catalogue = self._catalogue
        if catalogue is None:
            return None
        return catalogue if generation == library.library_generation(self.db) else None

    def course(self, course_id: str) -> library.CourseDetail | None:
        """A course with its lessons; the most recently opened are kept (HUB_CACHE_COURSES of them)."""
        generation = library.library_generation(self.db)
        cached = self._details.get(course_id)
        if cached and cached[0] == generation:
            return cached[1]
        detail = library.get_course(self.db, course_id)
        if detail is not None:
            self._details.put(course_id, (generation, detail))
        return detail

    def import_starter(self, on_course: Callable[[str], None] | None = None) -> int:
        """Import the starter packs once, on the first start; return how many were imported."""
        if self.setting(STARTER_IMPORTED):
            return 0
        folders = starter.course_folders()
        for folder in folders:
            if on_course:
                on_course(folder.name)
            library.import_package(self.db, self.blobs, folder, origin="starter", allow_unverified=True)
        self.set_setting(STARTER_IMPORTED, True)
        return len(folders)
