"""The offline web app's server side (issue 12, item 4): its worker, manifest and plans, offered
only over HTTPS, and quiz answers sent again kept exactly once (hub/progress.attempt_id_for)."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from hub.home import Hub
from hub.learners import Role
from hub.library import get_course
from tests.conftest import SAMPLE_COURSE, BrowserClient, resident, signed_in

QUIZ = "/courses/sample-course/check/quiz"
RIGHT = {"q0": "1", "q1": ["0", "2"], "q2": "true", "q3": "20"}


def https(app: FastAPI) -> BrowserClient:
    return BrowserClient(app, base_url="https://hub.test")


def attempts(hub: Hub) -> list[tuple[str, str]]:
    return hub.db.execute("SELECT id, learner_id FROM quiz_attempts ORDER BY created_at").fetchall()


def test_the_worker_is_served_at_the_root_with_its_versioned_caches(app: FastAPI):
    phone = https(app)
    worker = phone.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/" and worker.headers["cache-control"] == "no-cache"
    version = re.search(r'var VERSION = "([^"]+)"', worker.text)
    assert version and "__" not in worker.text  # every placeholder filled in
    shell = re.search(r"var SHELL_URLS = (\[.*\]);", worker.text)
    assert shell and "/offline" in shell.group(1) and "/static/hub/style." in shell.group(1)
    for url in eval(shell.group(1)):  # a JSON list of strings; every file the worker keeps exists
        assert phone.get(url).status_code == 200, url
    manifest = phone.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.json()["start_url"] == "/"
    assert phone.get(manifest.json()["icons"][0]["src"]).status_code == 200


def test_a_course_plan_lists_its_pages_and_files_with_sizes_media_apart(app: FastAPI):
    plan = https(app).get("/api/v1/offline/courses/sample-course").json()
    assert plan["version"] == 1 and plan["cache"] == "commons-hub-courses-v1"
    lessons = [f"/courses/sample-course/{x}" for x in ("read-me", "watch", "check")]
    assert plan["pages"] == ["/courses/sample-course", *lessons]
    assert [u.rsplit("/", 1)[1] for u in plan["pictures"]] == ["clip.en.vtt"]  # the captions go with the page
    assert [u.rsplit("/", 1)[1] for u in plan["media"]] == ["clip.mp4"]
    assert plan["media_size"] == len(SAMPLE_COURSE["media/clip.mp4"]) and plan["size"] > 4 * 6000
    assert https(app).get("/api/v1/offline/courses/nothing-here").status_code == 404


def test_over_https_pages_offer_the_app_and_the_footer_says_what_is_true(app: FastAPI):
    phone = https(app)
    page = phone.get("/offline").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page and "/static/offline/offline." in page
    assert 'data-offline-course="sample-course"' in page
    assert "Also keep the videos, audio and PDF files" in page
    assert "Courses you save on this phone" in page and 'data-when="phone" hidden' in page
    assert 'href="/offline"' in phone.get("/").text  # "On this phone" in the main navigation


def test_over_plain_http_no_worker_is_offered_and_the_page_says_why(client: TestClient):
    page = client.get("/offline").text
    assert "manifest" not in page and "offline.js" not in page and "data-offline-course" not in page
    assert "does not have one" in page and "booklet" in page
    home = client.get("/").text
    assert 'href="/offline"' not in home and "Away from the hub these pages do not open" in home


def test_the_keep_page_partial_says_why_over_http_and_offers_saving_over_https(app: FastAPI):
    """keep_offline_app.html as the "Keep this course" page includes it, with that page's context."""
    template = app.state.templates.get_template("keep_offline_app.html")
    course = get_course(app.state.hub.db, "sample-course").course  # type: ignore[union-attr]
    for scheme, expected in (("http", "does not have one"), ("https", "Pages, pictures and quizzes")):
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b"",
                 "scheme": scheme, "server": ("hub.test", 443), "app": app}  # fmt: skip
        assert expected in template.render(request=Request(scope), course=course)


def test_a_quiz_sent_again_with_its_attempt_id_is_kept_once_for_a_guest(app: FastAPI):
    hub: Hub = app.state.hub
    phone = https(app)
    form = phone.get("/courses/sample-course/check").text
    assert re.search(r'name="attempt_id" value="[0-9a-f-]{36}"', form)
    given = str(uuid.uuid4())
    for _ in range(3):  # the phone replays what it kept; a reply lost on the way makes it send again
        answer = phone.post(QUIZ, data={**RIGHT, "attempt_id": given})
        assert answer.status_code == 200 and "Your score: 4 out of 4" in answer.text
    assert len(attempts(hub)) == 1
    phone.post(QUIZ, data={**RIGHT, "attempt_id": str(uuid.uuid4())})  # another try is another attempt
    phone.post(QUIZ, data=RIGHT)  # a form without an id (an older page) still counts
    assert len(attempts(hub)) == 3 and len({learner for _, learner in attempts(hub)}) == 1


def test_the_same_attempt_id_from_two_learners_makes_two_attempts_and_profiles_keep_once(app: FastAPI):
    hub: Hub = app.state.hub
    amina, amina_id = resident(hub)
    other = signed_in(hub, Role.LEARNER, app)
    given = str(uuid.uuid4())
    for phone in (amina, amina, other):
        assert phone.post(QUIZ, data={**RIGHT, "attempt_id": given}).status_code == 200
    assert sorted(learner for _, learner in attempts(hub)).count(amina_id) == 1 and len(attempts(hub)) == 2


def test_an_attempt_id_that_is_not_one_is_ignored_not_trusted(app: FastAPI):
    phone = https(app)
    for bad in ("'; DROP TABLE quiz_attempts", "x" * 5000, "../../etc"):
        assert phone.post(QUIZ, data={**RIGHT, "attempt_id": bad}).status_code == 200
    assert len(attempts(app.state.hub)) == 3


def test_saving_a_course_is_not_a_visit(app: FastAPI):
    hub: Hub = app.state.hub
    amina, amina_id = resident(hub)
    amina.get("/courses/sample-course/read-me", headers={"X-Hub-Saving": "1"})
    assert hub.db.execute("SELECT count(*) FROM progress WHERE learner_id = ?", [amina_id]).fetchone()[0] == 0
    amina.get("/courses/sample-course/read-me")
    assert hub.db.execute("SELECT count(*) FROM progress WHERE learner_id = ?", [amina_id]).fetchone()[0] == 1
