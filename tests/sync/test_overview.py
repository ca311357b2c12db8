"""/tutor/hubs on the central server: progress from every hub, per course and per hub, built only
from what the hubs sent (by network or stick), with names only from hubs that share them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.quiz import QuestionResult, QuizResult
from hub import learners, progress
from hub.app import create_app, manager_for
from hub.db import transaction
from hub.home import Hub
from hub.learners import Role
from hub.plugins.sync import central, client, overview
from sync import bundle, share, store
from tests.conftest import signed_in
from tests.sync.conftest import ENGINES, central_hub
from tests.sync.test_http_api import CENTRAL_URL, _publish, _quiet, _via

COURSE = "sample-course"  # three lessons: read-me, watch, check (a quiz)


@pytest.fixture(params=ENGINES)
def centre(tmp_path: Path, request: pytest.FixtureRequest) -> Hub:
    hub = central_hub(tmp_path / "central", request)
    hub.set_setting("starter_imported", True)
    _publish(hub, tmp_path)
    return hub


@pytest.fixture
def api(centre: Hub) -> TestClient:
    return TestClient(create_app(centre, manager_for(centre, load_entry_points=False)), base_url=CENTRAL_URL)


def _enrolled(tmp_path: Path, centre: Hub, api: TestClient, name: str) -> Hub:
    hub = Hub(tmp_path / name)
    client.enroll(hub, CENTRAL_URL, central.create_token(centre.sync_db, name), name, _via(api))
    return hub


def _quiz(hub: Hub, learner: str, *answers: bool) -> None:
    result = QuizResult([QuestionResult(None, 1, a) for a in answers], 0.75)  # type: ignore[arg-type]
    progress.record_quiz(hub.db, learner, COURSE, "check", result)


def test_the_centre_shows_progress_from_every_hub_per_course_and_per_hub(
    tmp_path: Path, centre: Hub, api: TestClient
) -> None:
    river, hill = _enrolled(tmp_path, centre, api, "Riverside"), _enrolled(tmp_path, centre, api, "Hilltop")
    hill.set_setting(share.SETTING, share.NAMED_PROFILES)
    for hub in (hill, centre):  # the tests' centre is in process: names may cross plain HTTP
        hub.set_setting(share.CLEAR_SETTING, True)
    done, started = "learner-done", "learner-started"
    progress.record(river.db, done, COURSE, "read-me", 1.0)
    progress.record(river.db, done, COURSE, "watch", 1.0)
    _quiz(river, done, False, True)
    _quiz(river, done, True, True)  # the best attempt counts: 100 %
    progress.record(river.db, started, COURSE, "read-me", 0.5)
    bea = learners.create_guest(hill.db)[0].id
    learners.create_profile(hill.db, bea, "Bea Okafor", "")
    progress.record(hill.db, bea, COURSE, "read-me", 1.0)
    _quiz(hill, bea, True, False)  # 50 %, not passed
    for hub in (river, hill):
        client.sync_now(hub, _quiet, _via(api))
    far, stick = Hub(tmp_path / "far"), tmp_path / "stick"  # a hub with no link: its progress comes by stick
    progress.record(far.db, "learner-far", COURSE, "read-me", 1.0)
    with transaction(far.db):
        store.sign_pending(far.db, far.device)
    bundle.export(far.db, far.device, stick)
    incoming = bundle.read_stick(centre.sync_db, centre.device.id, stick, {far.device.id})
    with transaction(centre.sync_db):
        bundle.apply(centre.sync_db, incoming)

    own = centre.device.id
    [course] = overview.per_course(centre.sync_db_with_library(), own).rows
    assert (course.course_id, course.started, course.completed, course.average_score) == (COURSE, 4, 1, 0.75)
    rows = {row.name: row for row in overview.per_hub(centre.sync_db_with_library(), own).rows}
    assert set(rows) == {"Riverside", "Hilltop", None}
    counts = {name: (r.learners, r.lessons_completed, r.courses_completed) for name, r in rows.items()}
    assert counts == {"Riverside": (2, 3, 1), "Hilltop": (1, 1, 0), None: (1, 1, 0)}
    assert rows[None].device_id == far.device.id and rows[None].last_sync is None
    assert rows["Riverside"].last_sync is not None
    named = overview.named_learners(centre.sync_db_with_library(), own).rows
    assert named == [overview.NamedLearner("Bea Okafor", "Hilltop", 2, 1)]

    tutor = signed_in(centre, Role.TUTOR)
    page = tutor.get("/tutor/hubs")
    assert page.status_code == 200
    for shown in ("Sample course", "Riverside", "Hilltop", "75%", "Bea Okafor", "(by USB stick)"):
        assert shown in page.text
    assert done not in page.text and river.device.pseudonym(done) not in page.text
    assert 'href="/tutor/hubs"' in tutor.get("/").text  # the tutor's navigation leads there


def test_only_tutors_on_a_central_server_see_it(tmp_path: Path, centre: Hub) -> None:
    learner = signed_in(centre, Role.LEARNER)
    assert learner.get("/tutor/hubs", follow_redirects=False).status_code in (303, 403)
    empty = signed_in(centre, Role.TUTOR).get("/tutor/hubs")
    assert empty.status_code == 200 and "No hub has sent progress yet." in empty.text
    plain = Hub(tmp_path / "plain")
    tutor = signed_in(plain, Role.TUTOR)
    refused = tutor.get("/tutor/hubs")
    assert refused.status_code == 404 and "shown on the central server" in refused.text
    assert 'href="/tutor/hubs"' not in tutor.get("/").text


def test_a_course_whose_only_quiz_taker_was_forgotten_still_shows(
    tmp_path: Path, centre: Hub, api: TestClient
) -> None:
    """Her forget takes her quiz out of the course's tally: no quiz left to average, not a broken page."""
    river = _enrolled(tmp_path, centre, api, "Riverside")
    progress.record(river.db, "stays", COURSE, "read-me", 1.0)
    progress.record(river.db, "goes", COURSE, "read-me", 1.0)
    _quiz(river, "goes", True, True)
    client.sync_now(river, _quiet, _via(api))
    with transaction(river.db):
        progress.forget(river.db, "goes")
    client.sync_now(river, _quiet, _via(api))

    [course] = overview.per_course(centre.sync_db_with_library(), centre.device.id).rows
    assert (course.started, course.average_score) == (1, None)
    page = signed_in(centre, Role.TUTOR).get("/tutor/hubs")
    assert page.status_code == 200 and "Sample course" in page.text
