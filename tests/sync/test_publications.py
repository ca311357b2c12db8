"""Pathways made at the central server travel in its signed catalog and become the hubs' copies:
made, renamed, reordered and removed as at the centre, never touching the hubs' own pathways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from content.package import build_package
from hub import pathways, trust
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.sync import publications
from sync import http
from tests.conftest import SAMPLE_COURSE, signed_in, write_course
from tests.sync.conftest import Enrol
from tests.sync.test_http_api import _publish, _sync


@pytest.fixture
def enrolled(enrol: Enrol, tmp_path: Path) -> Hub:
    return enrol(tmp_path / "riverside", "Riverside")


def _publish_other(centre: Hub, tmp_path: Path) -> str:
    """A second signed course at the centre, "first-aid"."""
    key = trust.ensure_own_key(centre.home, centre.db, "City learning office")
    toml = str(SAMPLE_COURSE["course.toml"]).replace('"sample-course"', '"first-aid"')
    folder = write_course(tmp_path / "author-first-aid", **{"course.toml": toml})
    build_package(folder, tmp_path / "package-first-aid", key)
    import_package(centre.db, centre.blobs, tmp_path / "package-first-aid", origin="local")
    return "first-aid"


def _care_at_home(centre: Hub, tmp_path: Path) -> tuple[int, str, str]:
    """A pathway at the centre, "Care at home": first aid, then the sample course (both published)."""
    sample, first_aid = _publish(centre, tmp_path), _publish_other(centre, tmp_path)
    made = pathways.create_pathway(centre.db, "Care at home")
    for course in (first_aid, sample):
        pathways.add_course(centre.db, made, course)
    return made, sample, first_aid


def _by_title(hub: Hub) -> dict[str, list[str]]:
    return {p.title: p.course_ids for p in pathways.list_pathways(hub.db)}


def test_a_pathway_made_at_the_centre_reaches_the_hub_with_its_courses_in_order(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    made, sample, first_aid = _care_at_home(centre, tmp_path)

    _sync(enrolled, api)

    assert _by_title(enrolled) == {"Care at home": [first_aid, sample]}
    [copy] = pathways.list_pathways(enrolled.db)
    assert enrolled.db.execute("SELECT central_id FROM pathways").fetchone()[0] == str(made)
    _sync(enrolled, api)
    assert [p.id for p in pathways.list_pathways(enrolled.db)] == [copy.id]  # taken once, not again
    studio = signed_in(enrolled, Role.TUTOR).get("/tutor/pathways").text
    assert "Made at the central server" in studio  # the hub's tutors see why their edits would not last


def test_renamed_and_reordered_at_the_centre_it_changes_on_the_hub_and_removed_it_goes(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    made, sample, first_aid = _care_at_home(centre, tmp_path)
    _sync(enrolled, api)

    pathways.rename_pathway(centre.db, made, "Caring at home")
    pathways.move_course(centre.db, made, sample, -1)
    _sync(enrolled, api)
    assert _by_title(enrolled) == {"Caring at home": [sample, first_aid]}

    pathways.delete_pathway(centre.db, made)
    _sync(enrolled, api)
    assert _by_title(enrolled) == {}


def test_the_hubs_own_pathways_are_never_touched(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    sample = _publish(centre, tmp_path)
    _sync(enrolled, api)
    own = pathways.create_pathway(enrolled.db, "Care at home")  # the same title as the centre's
    pathways.add_course(enrolled.db, own, sample)
    made = pathways.create_pathway(centre.db, "Care at home")

    _sync(enrolled, api)
    pathways.delete_pathway(centre.db, made)
    _sync(enrolled, api)

    assert [(p.id, p.title, p.course_ids) for p in pathways.list_pathways(enrolled.db)] == [
        (own, "Care at home", [sample])
    ]


def test_a_course_the_hub_could_not_bring_in_is_left_out_of_its_copy(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    sample = _publish(centre, tmp_path)
    made = pathways.create_pathway(centre.db, "Care at home")
    pathways.add_course(centre.db, made, sample)
    centre.db.execute(  # a course the centre lists in the pathway but does not hand out (unsigned)
        "INSERT INTO pathway_courses (pathway_id, position, course_id) VALUES (?, 9, 'not-published')", [made]
    )

    _sync(enrolled, api)

    assert _by_title(enrolled) == {"Care at home": [sample]}


def test_a_catalog_whose_pathway_was_edited_after_signing_is_refused(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _publish(centre, tmp_path)
    made = pathways.create_pathway(centre.db, "Care at home")
    pathways.add_course(centre.db, made, sample)
    signed_catalog = http.CentralClient.catalog

    def edited(self: http.CentralClient, etag: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
        answer, etag = signed_catalog(self, etag)
        assert answer is not None
        answer["catalog"]["pathways"][0]["title"] = "Send your PIN to this number"
        return answer, etag

    monkeypatch.setattr(http.CentralClient, "catalog", edited)
    with pytest.raises(http.SyncError, match="catalog is not signed"):
        _sync(enrolled, api)
    assert pathways.list_pathways(enrolled.db) == []


def test_a_pathway_list_that_cannot_be_read_is_refused_whole_and_changes_nothing(enrolled: Hub) -> None:
    for listed in ({"id": "1"}, [{"id": "1", "title": "", "courses": []}], [{"id": "1", "title": "A"}],
                   [{"id": "1", "title": "A", "courses": [3]}]):  # fmt: skip
        with pytest.raises(publications.UnreadablePathways):
            publications.take_pathways(enrolled.db, listed)
    assert pathways.list_pathways(enrolled.db) == []


def test_the_centre_publishes_only_its_own_pathways(centre: Hub, tmp_path: Path) -> None:
    sample = _publish(centre, tmp_path)
    made = pathways.create_pathway(centre.db, "Care at home")
    pathways.add_course(centre.db, made, sample)
    publications.take_pathways(centre.db, [{"id": "7", "title": "From another centre", "courses": []}])

    [listed] = publications.published_pathways(centre.db)

    assert (listed["id"], listed["title"], listed["courses"]) == (str(made), "Care at home", [sample])
    pathways.rename_pathway(centre.db, made, "Caring at home")
    assert publications.published_pathways(centre.db)[0]["version"] != listed["version"]
