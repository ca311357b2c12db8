"""The search index while the hub runs: live updates, self-repair, concurrency and the write lock."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.home import Hub
from hub.library import import_package
from hub.search import SearchIndex, SearchResults, index_path
from tests.conftest import SAMPLE_COURSE, write_course

DEADLINE = 60.0  # generous: CI machines are slow and shared; a healthy hub takes well under a second


def wait_for(condition: Callable[[], bool], deadline: float = DEADLINE) -> float:
    """Poll until the condition holds; return how long it took (fail after the deadline)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < deadline, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def course_with(word: str, version: int = 1, course_id: str = "sample-course") -> dict[str, str | bytes]:
    toml = str(SAMPLE_COURSE["course.toml"])
    toml = toml.replace('id = "sample-course"', f'id = "{course_id}"').replace(
        "version = 1", f"version = {version}"
    )
    return {
        **SAMPLE_COURSE,
        "course.toml": toml,
        "01-read-me.md": f'+++\ntitle = "Read me"\nkind = "article"\n+++\nAll about {word}.\n',
    }


@pytest.fixture
def running(hub: Hub) -> Iterator[SearchIndex]:
    """A started index (as the web app starts it), polling SQLite every 0.1 s."""
    index = SearchIndex(index_path(hub), poll_interval=0.1)
    index.start(hub)
    assert index.wait_ready(DEADLINE)
    yield index
    index.stop()


def found(index: SearchIndex, query: str) -> SearchResults:
    return index.search(query)


def test_an_import_from_another_process_is_searchable_within_seconds(
    hub: Hub, running: SearchIndex, tmp_path: Path
):
    assert found(running, "quetzal").total == 0
    other = Hub(hub.home)  # another process's connection: the index only sees SQLite change
    import_package(
        other.db, other.blobs, write_course(tmp_path / "v1", course_with("quetzal")), allow_unverified=True
    )
    took = wait_for(lambda: found(running, "quetzal").total > 0)
    assert took < 5
    assert found(running, "quetzal").hits[0].url == "/courses/sample-course/read-me"

    import_package(
        other.db,
        other.blobs,
        write_course(tmp_path / "v2", course_with("axolotl", version=2)),
        allow_unverified=True,
    )
    wait_for(lambda: found(running, "axolotl").total > 0)
    assert found(running, "quetzal").total == 0  # the old version's words are gone
    assert found(running, "quetzl").suggestion is None  # a stale spelling word is never suggested


def test_a_missing_index_is_rebuilt_on_start(hub: Hub, course_folder: Path):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    path = index_path(hub)
    assert not path.exists()
    index = SearchIndex(path, poll_interval=0.1)
    index.start(hub)
    early = index.search("soap")  # while it builds: results so far, or "being prepared"; never an error
    assert early.preparing or early.total
    assert index.wait_ready(DEADLINE)
    assert index.search("soap").total and not index.search("soap").preparing
    index.stop()


def break_index(path: Path, how: str) -> None:
    if how == "deleted":
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    elif how == "truncated segment":
        segment = max(path.glob("*.seg"), key=lambda p: p.stat().st_size)
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    elif how == "garbage table of contents":
        for toc in path.glob("*.toc"):
            toc.write_bytes(b"\x00garbage" * 10)
    elif how == "other schema version":
        (path / "schema-version").write_text("0\n")


@pytest.mark.parametrize(
    "how", ["deleted", "truncated segment", "garbage table of contents", "other schema version"]
)
def test_a_broken_index_is_rebuilt_on_start(hub: Hub, course_folder: Path, how: str):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    first = SearchIndex(index_path(hub))
    first.rebuild(hub)
    expected = first.search("soap").total
    assert expected
    del first
    break_index(index_path(hub), how)
    assert not SearchIndex(index_path(hub)).open()
    # `hub serve` rebuilds before serving an index plainly not there; it does not read a whole
    # index back, so a damaged segment is found, and the index rebuilt, by the writer thread (here)
    assert SearchIndex(index_path(hub)).on_disk() == (how == "truncated segment")

    index = SearchIndex(index_path(hub), poll_interval=0.1)
    index.start(hub)
    assert index.wait_ready(DEADLINE)
    assert index.search("soap").total == expected
    index.stop()


def test_an_index_deleted_while_the_hub_runs_comes_back(hub: Hub, running: SearchIndex, tmp_path: Path):
    import_package(
        hub.db, hub.blobs, write_course(tmp_path / "c", course_with("quetzal")), allow_unverified=True
    )
    wait_for(lambda: found(running, "quetzal").total > 0)
    break_index(index_path(hub), "deleted")
    wait_for(lambda: found(running, "quetzal").total > 0)


def test_concurrent_searches_while_an_import_is_indexing(hub: Hub, running: SearchIndex, tmp_path: Path):
    hub.import_starter()  # 32 imports: the writer thread may index them over several polls
    queries = ("premiers secours", "hand sanitizer", "quemadura", "النزيف", "mians", "soap")
    wait_for(lambda: all(found(running, query).total > 0 for query in queries))
    errors: list[BaseException] = []
    empty: list[str] = []
    stop = threading.Event()

    def search_hard(query: str) -> None:
        try:
            while not stop.is_set():
                results = running.search(query, prefer="fr")
                if not results.total:
                    empty.append(query)
        except BaseException as error:  # search() must never raise
            errors.append(error)

    threads = [threading.Thread(target=search_hard, args=(q,)) for q in queries]
    for thread in threads:
        thread.start()
    try:
        for version in range(1, 5):  # four imports, each reindexed while the searches run
            folder = write_course(
                tmp_path / f"v{version}", course_with(f"marmalade{version}", version=version)
            )
            import_package(hub.db, hub.blobs, folder, allow_unverified=True)
            wait_for(lambda v=version: found(running, f"marmalade{v}").total > 0)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors
    assert not empty  # no search ever saw a half-written or missing index
    assert not running._suspect


def test_a_write_lock_held_elsewhere_never_reaches_a_search(hub: Hub, running: SearchIndex, tmp_path: Path):
    lock = running._ix.lock("WRITELOCK")  # as `hub search rebuild` in another terminal would hold it
    assert lock.acquire()
    try:
        import_package(
            hub.db, hub.blobs, write_course(tmp_path / "c", course_with("quetzal")), allow_unverified=True
        )
        time.sleep(0.5)  # the writer thread is now waiting for the lock
        results = running.search("quetzal")
        assert results.total == 0 and not results.preparing  # the old index, no error
    finally:
        lock.release()
    wait_for(lambda: found(running, "quetzal").total > 0)


def test_rebuild_while_running_keeps_serving(hub: Hub, running: SearchIndex, course_folder: Path):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    wait_for(lambda: found(running, "soap").total > 0)
    other = SearchIndex(index_path(hub))  # `hub search rebuild` from another process
    assert other.open()
    other.rebuild(hub)
    assert found(running, "soap").total and found(running, "soap").hits[0].course_id == "sample-course"


def test_the_writer_thread_ends_with_its_hub(tmp_path: Path):
    hub = Hub(tmp_path / "home")
    index = SearchIndex(index_path(hub), poll_interval=0.05)
    index.start(hub)
    assert index.wait_ready(DEADLINE)
    thread = index._thread
    assert thread is not None and thread.is_alive()
    del hub, index
    gc.collect()
    thread.join(DEADLINE)
    assert not thread.is_alive()
