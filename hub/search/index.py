"""The index of one hub: opening, rebuilding, keeping in step with SQLite, the writer thread."""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from whoosh import index
from whoosh.writing import CLEAR

from hub.caches import LruCache
from hub.search.analysis import ANALYZED, build_schema
from hub.search.codec import CODEC, HubStorage, postings
from hub.search.documents import (
    COURSE_KIND,
    CourseText,
    course_documents,
    course_vocabulary,
    library_state,
    read_course,
    vocabulary_document,
)
from hub.search.indexed import read_record, write_record
from hub.search.queries import SearchQueries
from hub.search.results import SearchResults
from hub.search.scoring import SegmentValues

if TYPE_CHECKING:
    from hub.home import Hub


SCHEMA_VERSION = 1
CHUNK_DOCUMENTS = 6_000  # documents per commit in a rebuild (see SearchIndex._write_all)
VERSION_FILE = "schema-version"
REPAIR_INTERVAL = 600.0  # seconds between rebuilds caused by failing searches
INDEX_NAME = "MAIN"


log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (documents done, documents in all)


class SearchBusy(Exception):
    """Another process kept the index's write lock for too long."""


class IndexUnavailable(Exception):
    """The index cannot be opened (missing, damaged, or from another schema version)."""


@dataclass
class _Job:
    action: Callable[[], Any]
    future: Future[Any] = field(default_factory=Future)


class SearchIndex(SearchQueries):
    """The search index of one hub, in ``path`` (normally ``<HUB_HOME>/index``).

    Use ``start(hub)`` in a long-running process (the web app): a writer thread opens or
    rebuilds the index and keeps it in step with SQLite. Without ``start``, writes run in the
    calling thread (the command line).
    """

    def __init__(self, path: Path, *, poll_interval: float = 1.0, limitmb: int = 256) -> None:
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.limitmb = limitmb
        self.schema = build_schema()
        self._analyzers = {language: self.schema[f"text_{language}"].analyzer for language in ANALYZED}
        self._ix: Any = None
        self._generation = 0  # bumped whenever searchers must refresh
        self._local = threading.local()
        self._segments: dict[str, SegmentValues] = {}
        self._segments_lock = threading.Lock()
        self._results: LruCache[SearchResults] = LruCache.configured("SEARCH")  # kept results (queries.py)
        self._long_postings: LruCache[tuple[np.ndarray, np.ndarray]] = LruCache.configured("POSTINGS")
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._building = False
        self._ready = threading.Event()
        self._stopping = False
        self._indexed: dict[str, str] | None = None  # course id -> manifest sha256 in the index
        self._seen_index_generation = -2
        self._seen_library_generation: int | None = None
        self._last_full_check = 0.0
        self._suspect = False
        self._last_repair = float("-inf")
        self._logged: dict[str, float] = {}

    # Opening ---------------------------------------------------------------------------------

    def on_disk(self) -> bool:
        """Whether an index of this schema version is on disk, without reading it back (`open`
        does, which takes 0.2 s at 10,000 courses and grows with the library)."""
        try:
            version = (self.path / VERSION_FILE).read_text().strip()
            return version == str(SCHEMA_VERSION) and HubStorage(str(self.path)).index_exists(INDEX_NAME)
        except Exception:  # an unreadable table of contents, say: not an index to use
            return False

    def open(self) -> bool:
        """Open the index on disk after checking it can be read; False if it must be rebuilt."""
        try:
            if not self.on_disk():
                raise IndexUnavailable("missing or from another version")
            ix = HubStorage(str(self.path)).open_index(INDEX_NAME, schema=self.schema)
            with ix.searcher() as searcher:
                # Opening each segment reads the directory at the end of its file, so a truncated
                # or missing segment fails here; then a little of everything is read back.
                for leaf, _ in searcher.reader().leaf_readers():
                    count = leaf.doc_count_all()
                    for docnum in {0, count // 2, count - 1} if count else ():
                        leaf.stored_fields(docnum)
                    self._segment(leaf)
                    for name in ("course", "kind", "words", *(f"text_{lang}" for lang in ANALYZED)):
                        for term in leaf.lexicon(name):
                            postings(leaf, name, term.decode("utf-8"))
                            break
                indexed, generation = self._indexed_in(searcher)
        except Exception as error:  # any damage at all means: rebuild
            log.info("search index at %s cannot be used (%s: %s)", self.path, type(error).__name__, error)
            return False
        self._ix = ix
        self._indexed = indexed
        self._seen_index_generation = -1 if generation is None else generation  # None: look at the next poll
        self._changed()
        self._ready.set()
        return True

    def _create(self) -> None:
        """An empty index, replacing whatever is in the folder."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(exist_ok=True)  # not its parents: a hub folder that was deleted stays deleted
        self._ix = HubStorage(str(self.path)).create_index(self.schema, indexname=INDEX_NAME)
        (self.path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
        self._indexed = {}
        self._seen_index_generation = self._ix.latest_generation()
        self._changed()

    def _changed(self) -> None:
        self._generation += 1

    @property
    def preparing(self) -> bool:
        return self._building or not self._ready.is_set()

    # Writing ---------------------------------------------------------------------------------

    def _writer(self, *, timeout: float = 60.0) -> Any:
        """A writer for a small update, waiting for the lock if another writer holds it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._ix.writer(limitmb=64, timeout=1.0, delay=0.02, codec=CODEC)
            except index.LockError:
                if time.monotonic() > deadline:
                    raise SearchBusy("another program is writing to the search index") from None

    def _submit(self, action: Callable[[], Any]) -> Any:
        """Run a write in the writer thread if there is one (and wait), else right here."""
        thread = self._thread
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            return action()
        job = _Job(action)
        self._queue.put(job)
        return job.future.result()

    def rebuild(self, source: Hub | Iterable[CourseText], progress: Progress | None = None) -> int:
        """Recreate the whole index from the library; returns how many documents it holds."""
        return self._submit(lambda: self._rebuild(source, progress))

    def _rebuild(self, source: Hub | Iterable[CourseText], progress: Progress | None) -> int:
        if isinstance(source, Iterable):
            courses, total = source, 0
        else:
            hub = source
            total = hub.db.execute("SELECT (SELECT COUNT(*) FROM courses) + (SELECT COUNT(*) FROM lessons)")
            total = total.fetchone()[0]
            courses = self._read_courses(hub, list(library_state(hub)))
        self._building = True
        try:
            if self._ix is None or not self._usable():
                self._create()
            with self._write_lock():
                done, indexed = self._write_all(courses, total, progress)
                generation = self._ix.latest_generation()  # its last commit's: nobody else can write
                write_record(self.path, generation, indexed)
            self._indexed = indexed
            self._seen_index_generation = generation
            self._changed()
            self._ready.set()
            return done
        finally:
            self._building = False

    @contextlib.contextmanager
    def _write_lock(self, timeout: float = 60.0) -> Iterator[None]:
        """Whoosh's write lock, held across several commits (other writers wait, then retry)."""
        lock = self._ix.lock("WRITELOCK")
        deadline = time.monotonic() + timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise SearchBusy("another program is writing to the search index")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    def _bulk_writer(self) -> Any:
        """A writer for a rebuild (the caller holds the lock).

        One process: Whoosh's multiprocessing writer forks, which a threaded web server should
        not do, and with chunked commits it was slower here than one process anyway.
        """
        return self._ix.writer(limitmb=self.limitmb, _lk=False, codec=CODEC)

    def _write_all(
        self, courses: Iterable[CourseText], total: int, progress: Progress | None
    ) -> tuple[int, dict[str, str]]:
        """Index every course, committing every ``CHUNK_DOCUMENTS`` documents.

        The first commit drops everything that was in the index. Committing in chunks keeps
        Whoosh's in-memory posting pool under ``limitmb``: once it spills to disk, merging the
        runs back doubles the build time. Each chunk becomes a segment, searchable at once.
        """
        done, pending, first, indexed, spelled = 0, 0, True, {}, set()
        writer = self._bulk_writer()
        try:
            for course in courses:
                for document in course_documents(course):
                    writer.add_document(**document)
                    done += 1
                    pending += 1
                new_words = course_vocabulary(course) - spelled
                spelled |= new_words
                writer.add_document(**vocabulary_document(course.id, new_words))
                indexed[course.id] = course.sha256
                if progress:
                    progress(done, max(total, done))
                if pending >= CHUNK_DOCUMENTS:
                    writer.commit(**_chunk_commit(first))
                    first, pending = False, 0
                    self._changed()
                    writer = self._bulk_writer()
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**_chunk_commit(first))
        return done, indexed

    def _usable(self) -> bool:
        try:
            return self._ix.latest_generation() >= 0 and (self.path / VERSION_FILE).is_file()
        except Exception:
            return False

    def update_courses(self, courses: Iterable[CourseText], remove: Iterable[str] = ()) -> int:
        """Replace these courses' documents (and remove others) in one commit."""
        return self._submit(lambda: self._update(list(courses), list(remove)))

    def update_course(self, course: CourseText) -> int:
        return self.update_courses([course])

    def remove_course(self, course_id: str) -> int:
        return self.update_courses([], [course_id])

    def _update(self, courses: list[CourseText], remove: list[str]) -> int:
        if not courses and not remove:
            return 0
        if self._ix is None:
            raise IndexUnavailable("the index is not open")
        writer = self._writer()
        added, wanted = 0, courses
        try:
            with self._ix.searcher() as searcher:
                # Another writer may have indexed some of these while this one waited for the lock.
                current = {c.id: searcher.document(course=c.id, kind=COURSE_KIND) for c in courses}
                courses = [c for c in courses if (current[c.id] or {}).get("sha") != c.sha256]
                vocabularies = self._vocabularies(searcher, courses)
            for course_id in [*remove, *(c.id for c in courses)]:
                writer.delete_by_term("course", course_id)
            for course in courses:
                for document in course_documents(course):
                    writer.add_document(**document)
                    added += 1
                writer.delete_by_term("vocabulary", course.id)
                writer.add_document(**vocabulary_document(course.id, vocabularies[course.id]))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        indexed = dict(self._indexed or {})
        for course_id in remove:
            indexed.pop(course_id, None)
        indexed.update({c.id: c.sha256 for c in wanted})
        self._indexed = indexed
        if writer.generation == self._seen_index_generation + 1:  # no other program wrote in between
            write_record(self.path, writer.generation, indexed)
            self._seen_index_generation = writer.generation
        # Otherwise the map may miss what another program wrote: the next poll sees its generation
        # and reads the map from the index again.
        self._changed()
        return added

    @staticmethod
    def _vocabularies(searcher: Any, courses: list[CourseText]) -> dict[str, set[str]]:
        """The spelling words each updated course owns: what it owned, plus its words nobody owns.

        A word stays with the course that first brought it, even if a later version of that course
        drops it (or the course is removed): suggestions are checked against the real text, so a
        stale spelling word is never suggested, and ``hub search rebuild`` tidies them away.
        """
        reader = searcher.reader()
        taken: set[str] = set()
        result = {}
        for course in courses:
            old = searcher.document(vocabulary=course.id)
            owned = set(old["owned"]) if old else set()
            new = {w for w in course_vocabulary(course) - owned - taken if ("words", w) not in reader}
            taken |= new
            result[course.id] = owned | new
        return result

    def sync(self, hub: Hub) -> int:
        """Index the courses whose manifest changed in SQLite since they were indexed."""
        return self._submit(lambda: self._sync(hub))

    def _sync(self, hub: Hub) -> int:
        from hub.library import library_generation

        self._seen_library_generation = library_generation(hub.db)
        wanted = library_state(hub)
        if self._indexed is None:
            self._indexed = self._read_indexed()
        have = self._indexed
        changed = [cid for cid, sha in wanted.items() if have.get(cid) != sha]
        removed = [cid for cid in have if cid not in wanted]
        count = 0
        if changed or removed:
            count = self._update(list(self._read_courses(hub, changed)), removed)
        self._ready.set()
        return count

    def _read_indexed(self) -> dict[str, str]:
        with self._ix.searcher() as searcher:
            return self._indexed_in(searcher)[0]

    def _indexed_in(self, searcher: Any) -> tuple[dict[str, str], int | None]:
        """Course id → manifest sha256 of what this searcher holds (hub/search/indexed.py), and the
        generation it reads: None for an index without segments, which Whoosh reads without one."""
        generation = searcher.reader().generation()
        found = read_record(self.path, generation) if generation is not None else None
        if found is None:
            found = {d["course"]: d["sha"] for d in searcher.documents(kind=COURSE_KIND) if d.get("sha")}
            if generation is not None:
                write_record(self.path, generation, found)
        return found, generation

    # The writer thread -----------------------------------------------------------------------

    def start(self, hub: Hub) -> None:
        """Open (or rebuild, in the background) the index and keep it in step with the library."""
        if self._thread and self._thread.is_alive():
            return
        self._stopping = False
        self._thread = threading.Thread(
            target=_writer_loop,
            args=(weakref.ref(self), weakref.ref(hub)),
            name=f"search-writer:{self.path}",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the writer thread (writes asked for after this run in the caller's thread)."""
        self._stopping = True
        self._queue.put(None)
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if job is not None:
                job.future.set_exception(IndexUnavailable("the search index was stopped"))

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Wait until the index is open and in step with the library (for tests and the CLI)."""
        return self._ready.wait(timeout)

    def _first_steps(self, hub: Hub) -> None:
        if not self.open():
            self._create()
            self._rebuild(hub, None)
        self._sync(hub)

    def _poll(self, hub: Hub) -> None:
        """Cheap checks, about once a second: did the library or the index change under us?"""
        from hub.library import library_generation

        if not self._usable():
            log.warning("search index at %s disappeared; rebuilding it", self.path)
            self._create()
            self._rebuild(hub, None)
            return
        if self._suspect and time.monotonic() - self._last_repair > REPAIR_INTERVAL:
            self._suspect = False
            self._last_repair = time.monotonic()
            raise IndexUnavailable("a search failed: the index may be damaged")
        generation = self._ix.latest_generation()
        if generation != self._seen_index_generation:  # another process wrote (e.g. a rebuild)
            self._seen_index_generation = generation
            self._indexed = self._read_indexed()
            self._changed()
        now = time.monotonic()
        if library_generation(hub.db) != self._seen_library_generation or now - self._last_full_check > 30:
            self._last_full_check = now
            self._sync(hub)

    def _warm(self) -> None:
        """Read each new segment's facet values and spelling words in the writer thread, so that
        no resident's search waits for them (the spelling list of 20,000 lessons takes ~0.1 s)."""
        if self._ix is None:
            return
        with contextlib.suppress(Exception), self._ix.searcher() as searcher:
            for leaf, _ in searcher.reader().leaf_readers():
                self._segment(leaf).spelling(leaf)

    def _recover(self, hub: Hub, error: BaseException) -> None:
        """After an unexpected error in the writer thread: rebuild if the index is damaged.

        A failing search (``IndexUnavailable``) always rebuilds; anything else rebuilds only if the
        index no longer opens cleanly, so a passing problem (say, SQLite busy) costs nothing.
        """
        if not isinstance(error, IndexUnavailable) and self.open():
            self._log_once(f"search index writer: {type(error).__name__}: {error}")
            return
        log.warning("search index problem (%s: %s); rebuilding it", type(error).__name__, error)
        try:
            self._ix = None
            self._create()
            self._rebuild(hub, None)
        except SearchBusy:
            pass  # someone else is writing (probably rebuilding): look again at the next poll
        except Exception:
            log.exception("could not rebuild the search index at %s", self.path)

    def _log_once(self, message: str) -> None:
        """Log a problem once every REPAIR_INTERVAL, not at every poll."""
        now = time.monotonic()
        if self._logged.get(message, float("-inf")) + REPAIR_INTERVAL < now:
            self._logged[message] = now
            log.exception(message)

    def _read_courses(self, hub: Hub, course_ids: Iterable[str]) -> Iterator[CourseText]:
        """The courses' searchable text; a course that cannot be read is skipped (and logged)."""
        for course_id in course_ids:
            try:
                course = read_course(hub, course_id)
            except Exception:
                self._log_once(f"search: cannot read course {course_id!r} for indexing")
                continue
            if course is not None:
                yield course

    # Reading ---------------------------------------------------------------------------------

    def _searcher(self) -> Any:
        """This thread's searcher, reopened when the index changed (None if nothing is open).

        Whoosh readers are not safe to share between threads, so each thread keeps its own.
        (``Searcher.refresh()`` is not used: in whoosh-reloaded 2.7.5 it keeps segments that a
        merge replaced, so documents would appear twice; a new searcher costs a few
        milliseconds, once per thread after each commit.)
        """
        ix = self._ix
        if ix is None:
            return None
        local = self._local
        cached = getattr(local, "cached", None)
        if cached is not None and cached[0] is ix and cached[1] == self._generation:
            return cached[2]
        generation = self._generation
        searcher = ix.searcher()
        local.cached = (ix, generation, searcher)
        if cached is not None:
            with contextlib.suppress(Exception):
                cached[2].close()
        return searcher


def _chunk_commit(first: bool) -> dict[str, Any]:
    """Commit options for one chunk of a rebuild: the first drops the old index, none merge."""
    return {"mergetype": CLEAR} if first else {"merge": False}


# --- The writer thread and the registry --------------------------------------------------------


def _writer_loop(index_ref: weakref.ref[SearchIndex], hub_ref: weakref.ref[Hub]) -> None:
    """Run writes and polls until the index is stopped or the hub and index are gone.

    The hub and the index are held only while a step runs, never while waiting for the next job:
    a hub that is thrown away (tests make hundreds) is let go and takes its writer thread with it.
    """
    started, warmed = False, -1
    job: _Job | Literal["poll"] | None = "poll"
    while True:
        search_index, hub = index_ref(), hub_ref()
        if search_index is None or hub is None or search_index._stopping or not hub.home.is_dir():
            return
        try:
            if search_index._generation != warmed:
                warmed = search_index._generation
                search_index._warm()
            if not started:
                started = True
                search_index._first_steps(hub)
            elif job == "poll":
                search_index._poll(hub)
            elif job is not None:
                try:
                    job.future.set_result(job.action())
                except BaseException as error:
                    job.future.set_exception(error)
        except SearchBusy:
            pass  # another process holds the lock; the next poll looks again
        except Exception as error:
            if not hub.home.is_dir():
                return
            search_index._recover(hub, error)
        jobs, interval = search_index._queue, search_index.poll_interval
        del search_index, hub, job
        try:
            job = jobs.get(timeout=interval)
        except queue.Empty:
            job = "poll"
        if job is None:
            return


_registry: weakref.WeakKeyDictionary[Hub, SearchIndex] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def index_path(hub: Hub) -> Path:
    return hub.home / "index"


def index_for(hub: Hub, *, start: bool = True) -> SearchIndex:
    """The one search index of this hub in this process (started, unless told otherwise)."""
    with _registry_lock:
        search_index = _registry.get(hub)
        if search_index is None:
            search_index = _registry[hub] = SearchIndex(index_path(hub))
    if start:
        search_index.start(hub)
    return search_index
