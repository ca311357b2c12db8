"""Retractions travel like courses: in the centre's signed catalog and on USB sticks, to hubs that
never met the centre too; each hub checks them against its own trusted keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub import retractions, trust, updates
from hub.home import Hub
from hub.plugins.bundles import carry
from tests.sync.conftest import Enrol
from tests.sync.states import sharing_ids
from tests.sync.test_http_api import _publish, _sync

REASON = "Version 1 gave an old vaccination schedule; wait for the corrected course."


@pytest.fixture
def enrolled(enrol: Enrol, tmp_path: Path) -> Hub:
    return enrol(tmp_path / "riverside", "Riverside")


def _retract_at_centre(centre: Hub, course_id: str = "sample-course", version: int | None = None) -> None:
    key = trust.own_key(centre.home)
    assert key is not None
    retractions.retract(centre, course_id, version, REASON, key)


def _shown(hub: Hub) -> list[str]:
    return [c.id for c in hub.courses()]


def test_a_retraction_at_the_centre_hides_the_course_on_the_hub_at_the_next_sync(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    course = _publish(centre, tmp_path)
    _sync(enrolled, api)
    assert _shown(enrolled) == [course]

    _retract_at_centre(centre)
    result = _sync(enrolled, api)

    assert result.retracted == 1 and _shown(enrolled) == []
    assert retractions.notice(enrolled.db, course).reason == REASON
    assert _sync(enrolled, api).retracted == 0  # taken once


def test_a_course_retracted_before_the_hub_met_it_is_never_downloaded(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    _publish(centre, tmp_path)
    _retract_at_centre(centre)

    result = _sync(enrolled, api)

    assert result.courses == [] and result.blob_bytes == 0
    assert enrolled.db.execute("SELECT count(*) FROM courses").fetchone()[0] == 0
    assert enrolled.db.execute("SELECT course_id FROM retractions").fetchall() == [("sample-course",)]


def test_a_retraction_the_catalog_carries_is_still_checked_by_the_hub(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    """The centre's signature over its catalog does not make a retraction by a stranger's key good."""
    from content import retraction as statement
    from content.signing import generate_key

    course = _publish(centre, tmp_path)
    _sync(enrolled, api)
    forged = statement.make(course, None, REASON, generate_key(), "2026-12-04T10:00:00+00:00")
    centre.db.execute(  # as if a centre kept it without checking (it never does: retractions.take)
        "INSERT INTO retractions VALUES (?, 0, ?, 'X', 'centre', '', '', ?)",
        [course, REASON, forged.document],
    )

    result = _sync(enrolled, api)

    assert result.retracted == 0 and "may not retract it here" in result.retractions_refused[0]
    assert _shown(enrolled) == [course]


def test_a_retraction_reaches_by_stick_a_hub_that_never_met_the_centre(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    """Riverside syncs with the centre; Hilltop is reached only by Riverside's stick and trusts the
    city's key as a publisher. The course goes by stick, then the retraction follows it."""
    course = _publish(centre, tmp_path)
    _sync(enrolled, api)
    hilltop = sharing_ids(Hub(tmp_path / "hilltop"))
    city_key = trust.own_key(centre.home)
    assert city_key is not None
    trust.trust_key(hilltop.db, city_key.public, "City learning office")
    stick = tmp_path / "stick"
    stick.mkdir()
    carry.export_to(enrolled, stick)
    first = carry.import_from(hilltop, stick, {enrolled.device.id}, write_back=False)
    assert [c["id"] for c in first.imported] == [course] and _shown(hilltop) == [course]

    _retract_at_centre(centre)
    _sync(enrolled, api)
    carry.export_to(enrolled, stick)
    signed = json.loads((stick / "commons-hub" / enrolled.device.id / "bundle.json").read_text())["signed"]
    assert signed["courses"] == [] and len(signed["retractions"]) == 1  # the course no longer travels
    second = carry.import_from(hilltop, stick, set(), write_back=False)

    assert second.retracted == 1 and second.retractions_refused == []
    assert _shown(hilltop) == []
    assert retractions.notice(hilltop.db, course).reason == REASON


def test_a_new_version_waits_for_approval_when_the_admin_chose_so(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    course = _publish(centre, tmp_path)
    _sync(enrolled, api)
    updates.set_policy(enrolled, updates.APPROVAL)
    _publish(centre, tmp_path, version=2)

    waiting = _sync(enrolled, api)

    assert waiting.waiting == [f"{course} v2"] and waiting.courses == []
    assert enrolled.course(course).course.version == 1  # residents keep version 1
    assert [(p.course_id, p.version, p.current_version) for p in updates.pending(enrolled.db)] == [
        (course, 2, 1)
    ]
    assert _sync(enrolled, api).waiting == []  # not fetched again while it waits

    updates.approve(enrolled, course, 2)
    assert enrolled.course(course).course.version == 2 and updates.pending(enrolled.db) == []


def test_by_default_a_new_version_from_the_centre_replaces_the_old_one_at_once(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    course = _publish(centre, tmp_path)
    _sync(enrolled, api)
    _publish(centre, tmp_path, version=2)
    assert _sync(enrolled, api).courses == [f"{course} v2"]
    assert enrolled.course(course).course.version == 2
