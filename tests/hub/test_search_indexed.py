"""The record of which course versions the index holds (hub/search/indexed.py): kept after each
commit, read at start instead of every course's document, and ignored whenever it may be wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.searching import Searcher

from hub.home import Hub
from hub.library import import_package
from hub.search import SearchIndex, index_path
from hub.search.documents import library_state
from hub.search.indexed import RECORD_FILE, read_record
from tests.conftest import write_course
from tests.hub.test_search_live import DEADLINE, course_with, wait_for


def started(hub: Hub) -> SearchIndex:
    index = SearchIndex(index_path(hub), poll_interval=0.1)
    index.start(hub)
    assert index.wait_ready(DEADLINE)
    return index


@pytest.fixture
def indexed_hub(hub: Hub, tmp_path: Path) -> Iterator[Hub]:
    """A hub with two courses, indexed by a writer thread that has stopped again."""
    for course_id, word in (("first-course", "quetzal"), ("second-course", "axolotl")):
        folder = write_course(tmp_path / course_id, course_with(word, course_id=course_id))
        import_package(hub.db, hub.blobs, folder, allow_unverified=True)
    started(hub).stop()
    yield hub


def manifest_shas(hub: Hub) -> dict[str, str]:
    return library_state(hub)  # what the index entry of each course is made from


def record_path(hub: Hub) -> Path:
    return index_path(hub) / RECORD_FILE


def test_the_record_names_each_course_version_the_index_holds_after_every_commit(
    indexed_hub: Hub, tmp_path: Path
):
    hub = indexed_hub
    record = json.loads(record_path(hub).read_text())
    assert record["courses"] == manifest_shas(hub)
    index = started(hub)
    folder = write_course(tmp_path / "v2", course_with("ocelot", version=2, course_id="first-course"))
    import_package(hub.db, hub.blobs, folder, allow_unverified=True)
    wait_for(lambda: index.search("ocelot").total > 0)
    index.stop()
    newer = json.loads(record_path(hub).read_text())
    assert newer["generation"] > record["generation"]
    assert newer["courses"] == manifest_shas(hub) != record["courses"]


def test_a_start_with_a_current_record_does_not_read_every_course_document(
    indexed_hub: Hub, monkeypatch: pytest.MonkeyPatch
):
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("read every course's document")

    monkeypatch.setattr(Searcher, "documents", refuse)
    index = SearchIndex(index_path(indexed_hub))
    assert index.open()
    assert index.search("quetzal").total > 0


@pytest.mark.parametrize(
    "damage",
    ["another generation", "not JSON", "cut short", "wrong shape"],
)
def test_a_record_that_may_be_wrong_is_ignored_and_written_again(indexed_hub: Hub, damage: str):
    hub = indexed_hub
    path = record_path(hub)
    record = json.loads(path.read_text())
    text = {
        "another generation": json.dumps({"generation": record["generation"] - 1, "courses": {}}),
        "not JSON": "\x00\xff garbage",
        "cut short": path.read_text()[:20],
        "wrong shape": json.dumps({"generation": record["generation"], "courses": [1, 2]}),
    }[damage]
    path.write_text(text)
    index = started(hub)
    index.stop()
    assert read_record(index_path(hub), record["generation"]) == manifest_shas(hub)
    assert index.search("quetzal").total > 0 and index.search("axolotl").total > 0


def test_a_record_short_of_a_course_costs_a_second_look_never_a_wrong_result(indexed_hub: Hub):
    """A record can be behind the index (another program wrote), never claim what it lacks: a course
    the record leaves out is looked at again, found current, and kept once."""
    hub = indexed_hub
    path = record_path(hub)
    record = json.loads(path.read_text())
    reader = SearchIndex(index_path(hub))
    assert reader.open()
    before = reader.search("axolotl").total
    del record["courses"]["second-course"]
    path.write_text(json.dumps(record))
    index = started(hub)
    index.stop()
    assert before > 0
    assert index.search("axolotl").total == before


def test_a_commit_after_another_program_wrote_leaves_no_record_claiming_what_it_did_not_see(indexed_hub: Hub):
    """The server's writer commits on top of a `hub search` in another terminal that removed a
    course, before its poll has seen that: its map still lists the course, so it must not keep it."""
    hub = indexed_hub
    server = SearchIndex(index_path(hub), poll_interval=3600)  # no poll during the test
    server.start(hub)
    assert server.wait_ready(DEADLINE)
    other = SearchIndex(index_path(hub))  # another process: writes in its own thread
    assert other.open()
    other.remove_course("second-course")
    server.remove_course("no-such-course")  # two commits of the server's before it polls:
    server.remove_course("nor-this-one")  # the second used to keep its stale map as the record
    server.stop()
    restarted = started(hub)  # reads what the index holds, finds the course missing, puts it back
    restarted.stop()
    assert restarted.search("axolotl").total > 0


def test_an_index_without_segments_opens_and_takes_courses_imported_meanwhile(
    hub: Hub, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    started(hub).stop()  # an empty library: an index with no segment at all
    folder = write_course(tmp_path / "new", course_with("quetzal", course_id="first-course"))
    import_package(hub.db, hub.blobs, folder, allow_unverified=True)
    index = started(hub)
    wait_for(lambda: index.search("quetzal").total > 0)
    index.stop()
    assert "Traceback" not in caplog.text and "TypeError" not in caplog.text
