"""Choosing what comes from the centre: a subscription that leaves a course out does not download it
and lists it ("available, not downloaded"); removed courses stay removed; "everything" is the default;
a course that does not fit on the disk is refused before any of it is fetched."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.blobs import hash_file
from content.package import build_package
from hub import imports, library_choice, library_keep, trust
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from tests.conftest import SAMPLE_COURSE, signed_in, write_course
from tests.sync.conftest import Enrol
from tests.sync.test_http_api import _publish, _sync


@pytest.fixture
def enrolled(enrol: Enrol, tmp_path: Path) -> Hub:
    return enrol(tmp_path / "riverside", "Riverside")


def _publish_french(centre: Hub, tmp_path: Path) -> str:
    """A second signed course at the centre, in French, on first aid."""
    key = trust.ensure_own_key(centre.home, centre.db, "City learning office")
    toml = (
        str(SAMPLE_COURSE["course.toml"])
        .replace('"sample-course"', '"premiers-secours"')
        .replace('language = "en"', 'language = "fr"')
        .replace('["health", "hygiene"]', '["health", "first-aid"]')
    )
    folder = write_course(
        tmp_path / "author-fr", **{"course.toml": toml, "media/clip.mp4": b"clip " * 20_000}
    )
    build_package(folder, tmp_path / "package-fr", key)
    import_package(centre.db, centre.blobs, tmp_path / "package-fr", origin="local")
    return "premiers-secours"


def _clip_hash(tmp_path: Path) -> str:
    return hash_file(tmp_path / "author-fr" / "media" / "clip.mp4")[0]


def _held(hub: Hub) -> set[str]:
    return {row[0] for row in hub.db.execute("SELECT id FROM courses")}


def test_by_default_a_hub_takes_everything_and_the_catalog_gives_sizes_and_topics(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    sample, french = _publish(centre, tmp_path), _publish_french(centre, tmp_path)
    _sync(enrolled, api)
    assert {sample, french} <= _held(enrolled)
    seen = {c.id: c for c in library_choice.seen_catalog(enrolled).courses}
    assert seen[french].topics == ("health", "first-aid") and seen[french].language == "fr"
    sizes = {c.id: c.size_bytes for c in library_keep.storage(centre.db, centre.home).courses}
    assert seen[french].bytes == sizes[french] > 100_000


def test_a_subscription_that_excludes_a_course_does_not_download_it_and_lists_it(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    sample = _publish(centre, tmp_path)
    admin = signed_in(enrolled, Role.ADMIN)
    assert "has not read the central server's catalog yet" in admin.get("/admin/library/centre").text
    _sync(enrolled, api)  # everything, as before
    assert sample in _held(enrolled)
    # The admin takes English courses on hygiene only (the box "everything" left unticked).
    saved = admin.post("/admin/library/centre", data={"languages": ["en"], "topics": ["hygiene"]})
    assert saved.status_code == 200 and "Saved." in saved.text
    assert library_choice.load_choice(enrolled) == library_choice.Choice(
        everything=False, languages=("en",), topics=("hygiene",)
    )
    french = _publish_french(centre, tmp_path)  # new at the centre, outside the choice
    _sync(enrolled, api)
    assert french not in _held(enrolled), "outside the choice: not downloaded"
    assert not list((enrolled.home / "blobs" / "sha256").glob(f"*/{_clip_hash(tmp_path)}"))
    page = admin.get("/admin/library/centre").text
    assert "Available, not downloaded" in page and "Downloaded" in page
    assert page.index("premiers-secours") < page.index("Downloaded")  # what is left out is listed first


def test_a_course_ticked_by_name_comes_even_outside_the_rules(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    _publish(centre, tmp_path)
    french = _publish_french(centre, tmp_path)
    library_choice.save_choice(enrolled, library_choice.Choice(everything=False, languages=("en",)))
    _sync(enrolled, api)
    assert french not in _held(enrolled)
    admin = signed_in(enrolled, Role.ADMIN)
    admin.post("/admin/library/centre", data={"languages": ["en"], "courses": [french, "not-at-the-centre"]})
    choice = library_choice.load_choice(enrolled)
    assert choice.courses == (french,) and not choice.everything  # an id the centre does not list is dropped
    assert "Comes at the next sync" in admin.get("/admin/library/centre").text
    _sync(enrolled, api)  # the catalog did not change; the choice did, so it is walked again
    assert french in _held(enrolled)


def test_a_removed_course_is_not_brought_back_by_everything(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    sample = _publish(centre, tmp_path)
    _sync(enrolled, api)
    assert sample in _held(enrolled)
    signed_in(enrolled, Role.ADMIN).post(f"/admin/library/{sample}/remove")
    _sync(enrolled, api)
    assert sample not in _held(enrolled)
    offer = library_choice.offered(
        enrolled, library_choice.seen_catalog(enrolled), library_choice.load_choice(enrolled)
    )
    assert [(o.course.id, o.state) for o in offer] == [(sample, library_choice.AVAILABLE)]


def test_a_course_that_would_not_fit_is_refused_before_it_is_fetched(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _publish(centre, tmp_path)
    monkeypatch.setattr(imports, "free_bytes", lambda path: 300 * 1024**2)
    monkeypatch.setattr(library_keep, "MARGIN_BYTES", 300 * 1024**2)  # so the small course does not fit
    result = _sync(enrolled, api)
    assert sample not in _held(enrolled)
    assert result.skipped and "sample-course needs" in result.skipped[0]
    assert "the hub has 300.0 MB free" in result.skipped[0]
    assert not list((enrolled.home / "blobs" / "sha256").glob("*/*")), "nothing was fetched"
    monkeypatch.undo()
    _sync(enrolled, api)  # room again: the next sync brings it
    assert sample in _held(enrolled)


def test_choice_rules() -> None:
    course = {"id": "c", "language": "fr-CA", "topics": ["health", "first-aid"]}
    assert library_choice.Choice().wants(course)
    assert not library_choice.Choice(declined=("c",)).wants(course)
    assert library_choice.Choice(declined=("c",), courses=("c",)).wants(course)
    assert not library_choice.Choice(everything=False).wants(course)
    assert library_choice.Choice(everything=False, languages=("fr",)).wants(course)
    assert not library_choice.Choice(everything=False, languages=("fr",), topics=("work",)).wants(course)
    assert library_choice.Choice(everything=False, topics=("first-aid",)).wants(course)
    assert library_choice.Choice(everything=False, pathways=("7",)).wants(
        course, [{"id": "7", "courses": ["c"]}]
    )


def test_a_catalog_entry_of_an_odd_shape_is_left_out_of_the_list_not_the_sync(hub: Hub) -> None:
    library_choice.remember_catalog(
        hub,
        [
            {
                "id": "good",
                "version": 2,
                "title": "Good",
                "language": "en",
                "topics": ["health"],
                "bytes": 10,
            },
            {"id": "odd", "version": "two"},
            {"version": 1},
            {"id": "old-centre", "version": 1, "title": "From an older centre", "language": "fr"},
        ],
        [{"id": "1", "title": "P", "courses": ["good"]}],
        "2026-12-04T10:00:00+00:00",
    )
    seen = library_choice.seen_catalog(hub)
    assert [(c.id, c.bytes, c.topics) for c in seen.courses] == [
        ("good", 10, ("health",)),
        ("old-centre", None, ()),
    ]
    assert not library_choice.Choice(everything=False, topics=("health",)).wants({"id": "x", "topics": 7})
