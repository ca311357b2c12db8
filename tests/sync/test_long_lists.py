"""The central server's long lists come a page at a time, with a total and previous/next links
that work without JavaScript: /tutor/hubs (per course, per hub, named learners) and the hubs
enrolled on /admin/sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.catalogue import page_number
from hub.db import transaction
from hub.home import Hub
from hub.learners import Role
from hub.plugins.sync import overview
from hub.plugins.sync.admin import enrolled_page
from hub.plugins.sync.paging import PAGE_SIZE
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import store
from tests.conftest import signed_in

HUBS = 120


@pytest.fixture
def centre(tmp_path: Path) -> Hub:
    """A centre with 120 enrolled hubs, each of which sent one named learner's lesson."""
    hub = Hub(tmp_path / "central")
    hub.set_setting(ROLE_SETTING, CENTRAL_ROLE)
    with transaction(hub.db):
        for number in range(HUBS):
            device = f"device-{number:03d}"
            hub.db.execute(
                "INSERT INTO sync_hubs (device_id, public_key, name, enrolled_at)"
                " VALUES (?, 'key', ?, '2026')",
                [device, f"Hub {number:03d}"],
            )
            learner = f"learner-{number:03d}"
            lesson = {"kind": "lesson", "learner": learner, "course": f"course-{number:03d}", "lesson": "one",
                      "progress": 1.0, "completed_at": "2026-01-01", "opened_at": "2026-01-01"}  # fmt: skip
            store.receive(hub.db, device, 1, lesson, "signature")
            name = {"kind": "name", "learner": learner, "name": f"Learner {number:03d}", "named_at": "2026"}
            store.receive(hub.db, device, 2, name, "signature")
    return hub


def _cards(html: str) -> list[str]:
    return re.findall(r"<h3>(Hub \d{3})", html)


def test_tutor_hubs_shows_page_three_of_the_hubs_with_links_back_and_a_total(centre: Hub) -> None:
    tutor = signed_in(centre, Role.TUTOR)
    first = tutor.get("/tutor/hubs")
    assert _cards(first.text) == [f"Hub {n:03d}" for n in range(PAGE_SIZE)]
    assert "120 hubs" in first.text and "Page 1 of 3" in first.text

    third = tutor.get("/tutor/hubs?hubs_page=3&courses_page=2")
    assert third.status_code == 200
    assert _cards(third.text) == [f"Hub {n:03d}" for n in range(100, HUBS)]
    assert 'href="/tutor/hubs?courses_page=2&amp;hubs_page=2#hubs" rel="prev"' in third.text
    assert "course-050" in third.text and "course-049" not in third.text  # the courses kept their page
    assert 'rel="next"' in third.text  # of the courses and the named learners, not of the hubs
    assert "hubs_page=4" not in third.text


def test_each_list_of_tutor_hubs_holds_its_page_size(centre: Hub) -> None:
    own = centre.device.id
    for page in (overview.per_course, overview.per_hub, overview.named_learners):
        pages = [page(centre.sync_db, own, str(n)) for n in (1, 2, 3)]
        assert [len(p.rows) for p in pages] == [PAGE_SIZE, PAGE_SIZE, HUBS - 2 * PAGE_SIZE]
        assert {p.total for p in pages} == {HUBS} and pages[2].pages == 3
    named = overview.named_learners(centre.sync_db, own, "2").rows
    assert named[0] == overview.NamedLearner("Learner 050", "Hub 050", 1, 1)


def test_admin_sync_lists_the_enrolled_hubs_a_page_at_a_time(centre: Hub) -> None:
    admin = signed_in(centre, Role.ADMIN)
    third = admin.get("/admin/sync?hubs_page=3")
    assert third.status_code == 200
    assert _cards(third.text) == [f"Hub {n:03d}" for n in range(100, HUBS)]
    assert "120 hubs" in third.text and "Page 3 of 3" in third.text
    assert 'href="/admin/sync?hubs_page=2#hubs" rel="prev"' in third.text
    assert [h.name for h in enrolled_page(centre.sync_db, "2").rows] == [
        f"Hub {n:03d}" for n in range(50, 100)
    ]


def test_a_page_that_is_not_a_number_shows_the_first_and_one_past_the_end_the_last(centre: Hub) -> None:
    assert [page_number(asked) for asked in (None, "", "abc", "-2", "0", "2.5", "3")] == [1, 1, 1, 1, 1, 1, 3]
    odd = ("²", "٣", "9" * 5000, " 7 ")  # int() raised on the first and the third: a 500
    assert [page_number(asked) for asked in odd] == [1, 1, 1, 7]
    tutor = signed_in(centre, Role.TUTOR)
    assert _cards(tutor.get("/tutor/hubs?hubs_page=abc").text)[0] == "Hub 000"
    assert _cards(tutor.get("/tutor/hubs?hubs_page=99").text)[0] == "Hub 100"
