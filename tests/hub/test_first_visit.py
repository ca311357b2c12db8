"""A page view keeps nothing; the first thing worth keeping makes the guest (issue 17, finding 16)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.home import Hub
from tests.conftest import BrowserClient

PAGES = ("/", "/courses/sample-course", "/courses/sample-course/read-me", "/courses/sample-course/check")


def kept(hub: Hub) -> dict[str, int]:
    tables = ("learners", "sessions", "changes", "progress")
    return {table: hub.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def test_a_hundred_cookie_less_page_views_keep_nothing(app: FastAPI, hub: Hub):
    before = kept(hub)
    with TestClient(app, base_url="http://hub.test", cookies=None) as crawler:
        for _ in range(25):
            for page in PAGES:
                crawler.cookies.clear()  # a crawler, or a phone that refuses cookies
                assert crawler.get(page).status_code == 200
                assert "hub_session" not in crawler.cookies
    assert kept(hub) == before


def test_a_refused_save_keeps_nothing(app: FastAPI, hub: Hub):
    before = kept(hub)
    with BrowserClient(app, base_url="http://hub.test") as phone:
        phone.get("/courses/sample-course/read-me")
        assert phone.post("/courses/sample-course/nowhere/done").status_code == 404
        assert phone.post("/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "nowhere",
                                                    "progress": 1}).status_code == 404  # fmt: skip
        assert phone.post("/api/v1/progress", json={"course_id": "x"}).status_code == 422
    assert kept(hub) == before


def test_the_first_save_without_javascript_makes_the_guest(app: FastAPI, hub: Hub):
    with TestClient(app, base_url="http://hub.test") as phone:
        page = phone.get("/courses/sample-course/read-me")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        done = phone.post("/courses/sample-course/read-me/done", data={"csrf_token": token},
                          follow_redirects=False)  # fmt: skip
        assert done.status_code == 303
        assert "hub_session" in phone.cookies
        assert "1 of 3 lessons done" in phone.get("/courses/sample-course").text
        assert "Continue learning" in phone.get("/").text
    assert kept(hub)["learners"] == 1


def test_the_first_save_from_a_script_makes_the_guest(app: FastAPI, hub: Hub):
    with TestClient(app, base_url="http://hub.test") as phone:
        phone.get("/courses/sample-course/read-me")
        saved = phone.post(
            "/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "read-me", "progress": 0.4},
            headers={"X-CSRF-Token": phone.cookies["hub_csrf"]},
        )  # fmt: skip
        assert saved.status_code == 204
        mine = phone.get("/api/v1/progress").json()
        assert [(p["lesson_id"], p["progress"]) for p in mine] == [("read-me", 0.4)]
        phone.get("/courses/sample-course/watch")  # a kept guest's visits are noted from now on
        assert {p["lesson_id"] for p in phone.get("/api/v1/progress").json()} == {"read-me", "watch"}
    assert kept(hub)["learners"] == kept(hub)["sessions"] == 1


def test_a_quiz_answered_on_a_first_visit_is_kept(app: FastAPI, hub: Hub):
    with BrowserClient(app, base_url="http://hub.test") as phone:
        phone.get("/courses/sample-course/check")
        answers = {"q0": "1", "q1": ["0", "2"], "q2": "true", "q3": "20"}
        assert "4 out of 4" in phone.post("/courses/sample-course/check/quiz", data=answers).text
    assert kept(hub)["learners"] == 1


def test_a_profile_made_on_a_first_visit_needs_no_guest(app: FastAPI, hub: Hub):
    with BrowserClient(app, base_url="http://hub.test") as phone:
        phone.get("/me")
        made = phone.post("/me/profile", data={"name": "Amina", "pin": "1234"}, follow_redirects=False)
        assert made.status_code == 303
        assert "signed in as Amina" in phone.get("/me").text
    assert hub.db.execute("SELECT count(*) FROM learners WHERE name IS NULL").fetchone()[0] == 0
