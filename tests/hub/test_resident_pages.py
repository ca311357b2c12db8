"""The resident's pages, through TestClient, as a browser without JavaScript uses them."""

import re
from dataclasses import replace

from fastapi.testclient import TestClient

from hub import learners
from hub.learners import Role
from tests.conftest import BrowserClient


def test_home_lists_courses_and_sets_no_cookie_for_a_visitor(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200
    assert "Sample course" in page.text
    assert "set-cookie" not in page.headers
    assert "Continue learning" not in page.text


def test_browse_filters_by_topic_and_language(client: TestClient):
    assert "Sample course" in client.get("/courses?topic=hygiene").text
    assert "Sample course" not in client.get("/courses?topic=climate").text
    assert "Sample course" not in client.get("/courses?lang=fr").text


def test_the_course_list_opens_in_the_readers_language_with_one_tap_to_all(client: TestClient, hub):
    client.get("/language/fr?next=/courses")  # no course in the reader's language: all of them
    assert "Sample course" in client.get("/courses").text
    client.get("/language/en?next=/courses")
    hub.import_starter()
    english = client.get("/courses").text
    assert "/courses/hand-hygiene-en" in english and "/courses/hand-hygiene-fr" not in english
    assert 'href="/courses?topic=&amp;lang=all"' in english
    everything = client.get("/courses?lang=all").text
    assert "/courses/hand-hygiene-en" in everything and "/courses/hand-hygiene-ar" in everything


def test_course_page_lists_lessons_and_publisher(client: TestClient):
    page = client.get("/courses/sample-course")
    assert page.status_code == 200
    for title in ("Read me", "Watch", "Check"):
        assert title in page.text
    assert "Test team" in page.text
    assert "Made locally, not verified" in page.text
    assert "0 of 3 lessons done" in page.text


def test_opening_a_lesson_of_a_started_course_shows_continue_learning(client: TestClient):
    lesson = client.get("/courses/sample-course/read-me")
    assert lesson.status_code == 200
    assert "<h1>Hello</h1>" in lesson.text
    assert "hub_session=" not in lesson.headers["set-cookie"]  # a first visit keeps nothing
    saved = client.post("/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "read-me",
                                                  "progress": 0.2})  # fmt: skip
    assert "hub_session=" in saved.headers["set-cookie"]
    assert "HttpOnly" in saved.headers["set-cookie"]
    home = client.get("/")
    assert "Continue learning" in home.text
    assert "/courses/sample-course/read-me" in home.text


def test_done_moves_to_the_next_lesson_and_counts(client: TestClient):
    done = client.post("/courses/sample-course/read-me/done", follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/courses/sample-course/watch"
    assert "1 of 3 lessons done" in client.get("/courses/sample-course").text


def test_video_lesson_has_sources_captions_and_text_alternative(client: TestClient):
    page = client.get("/courses/sample-course/watch").text
    assert re.search(r'<source src="/media/[0-9a-f]{64}/clip.mp4" type="video/mp4">', page)
    track = re.search(r'<track kind="captions" src="(/media/[0-9a-f]{64}/clip.en.vtt)" srclang="en"', page)
    assert track
    assert client.get(track.group(1)).headers["content-type"].startswith("text/vtt")
    assert "A text alternative." in page


def test_quiz_pass_shows_score_and_explanations_and_completes_the_course(client: TestClient):
    client.post("/courses/sample-course/read-me/done")
    client.post("/courses/sample-course/watch/done")
    answers = {"q0": "1", "q1": ["0", "2"], "q2": "true", "q3": "20"}
    result = client.post("/courses/sample-course/check/quiz", data=answers)
    assert result.status_code == 200
    assert "Your score: 4 out of 4" in result.text
    for explanation in ("B is right.", "A and C.", "Yes.", "Twenty."):
        assert explanation in result.text
    assert "Try again" in result.text
    course = client.get("/courses/sample-course").text
    assert "3 of 3 lessons done" in course
    assert "You have finished this course" in course
    assert "Continue learning" not in client.get("/").text
    assert "Finished" in client.get("/me").text


def test_quiz_fail_shows_explanations_and_allows_retry(client: TestClient):
    result = client.post("/courses/sample-course/check/quiz", data={"q0": "0"})
    assert "Your score: 0 out of 4" in result.text
    assert "Not yet" in result.text
    retry = client.get("/courses/sample-course/check")
    assert "Your best score so far: 0 out of 4" in retry.text
    assert 'name="q3"' in retry.text


def test_unknown_course_and_lesson_are_friendly_404s(client: TestClient):
    for url in ("/courses/nope", "/courses/sample-course/nope", "/courses/nope/read-me"):
        page = client.get(url)
        assert page.status_code == 404
        assert "Go to the home page" in page.text
    assert client.post("/courses/sample-course/read-me/quiz").status_code == 404


def test_language_choice_sets_cookie_and_rtl(client: TestClient):
    chosen = client.get("/language/ar?next=/courses", follow_redirects=False)
    assert chosen.headers["location"] == "/courses"
    page = client.get("/")
    assert '<html lang="ar" dir="rtl">' in page.text


def test_language_redirect_stays_on_this_hub(client: TestClient):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get(f"/language/fr?next={target}", follow_redirects=False)
        assert response.headers["location"] == "/"


def test_browser_language_is_used_until_one_is_chosen(client: TestClient):
    page = client.get("/", headers={"accept-language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es"' in page.text
    unknown = client.get("/", headers={"accept-language": "xx"})
    assert '<html lang="en"' in unknown.text


def test_profile_carries_progress_to_another_device(client: TestClient, app):
    client.post("/courses/sample-course/read-me/done")
    made = client.post("/me/profile", data={"name": "Amina", "pin": "1234"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/me?saved=1"
    saved = client.get(made.headers["location"]).text
    assert saved.index('class="notice" role="status"') < saved.index("<h2")  # the first thing a phone shows
    assert "signed in as Amina" in client.get("/me").text

    with BrowserClient(app, base_url="http://hub.test") as phone:
        phone.get("/courses/sample-course/watch")  # some guest progress on the second device
        wrong = phone.post("/signin", data={"name": "Amina", "pin": "0000"})
        assert wrong.status_code == 400
        assert "do not match" in wrong.text
        phone.post("/signin", data={"name": "amina", "pin": "1234"})
        assert "1 of 3 lessons done" in phone.get("/courses/sample-course").text
        assert "Started" in phone.get("/courses/sample-course").text


def test_a_profile_needs_a_pin_unless_the_admin_allows_none(client: TestClient, app):
    client.get("/me")
    refused = client.post("/me/profile", data={"name": "Kim", "pin": ""})
    assert refused.status_code == 400
    assert "Please choose a PIN of 4 digits" in refused.text
    app.state.settings = replace(app.state.settings, profiles_without_pin=True)
    made = client.post("/me/profile", data={"name": "Kim", "pin": ""}, follow_redirects=False)
    assert made.status_code == 303


def test_no_one_signs_in_to_a_profile_without_pin_by_name_alone_unless_the_admin_allows_it(app, hub):
    learners.create_account(hub.db, "Kim", Role.LEARNER, "")
    with BrowserClient(app, base_url="http://hub.test") as stranger:
        stranger.get("/signin")
        refused = stranger.post("/signin", data={"name": "Kim", "pin": ""}, follow_redirects=False)
        assert refused.status_code == 400
        assert "ask a tutor or an admin to give it one" in refused.text
        assert stranger.get("/me/data.json").json()["account"] is None
        app.state.settings = replace(app.state.settings, profiles_without_pin=True)
        allowed = stranger.post("/signin", data={"name": "Kim", "pin": ""}, follow_redirects=False)
        assert allowed.status_code == 303


def test_bad_profile_shows_the_problem_and_keeps_the_guest(client: TestClient):
    client.get("/me")  # the form, with its CSRF token
    page = client.post("/me/profile", data={"name": "Ana", "pin": "12"})
    assert page.status_code == 400
    assert "exactly 4 digits" in page.text
    assert "Keep your progress" in page.text


def test_sign_out_forgets_the_learner_on_this_device(client: TestClient):
    client.post("/courses/sample-course/read-me/done")
    client.post("/me/profile", data={"name": "Bo", "pin": "1234"})
    out = client.post("/signout", follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    assert "You have not started a course yet" in client.get("/me").text


def test_stylesheet_is_served(client: TestClient):
    css = client.get("/static/hub/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_security_headers_on_pages_api_and_media(client: TestClient):
    for url in ("/", "/api/v1/courses", "/courses/nope"):
        headers = client.get(url).headers
        assert "script-src" not in headers["content-security-policy"]  # default-src 'self': no inline script
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "SAMEORIGIN"


def test_no_page_has_inline_script_or_external_assets(client: TestClient):
    client.get("/courses/sample-course/read-me")
    for url in ("/", "/courses", "/courses/sample-course", "/courses/sample-course/watch", "/me", "/signin"):
        page = client.get(url).text
        # scripts only from the hub's own static files (listen.js, issue 13), never inline
        assert re.findall(r"<script[^>]*>", page) in (
            [],
            [
                '<script src="' + src + '" defer>'
                for src in re.findall(r'<script src="(/static/[^"]+)" defer>', page)
            ],
        )
        assert "</script>" not in page.replace("defer></script>", "")
        assert "http://" not in page.replace("http://hub.test", "") and "https://" not in page


def test_course_cards_are_kept_per_language_and_mark(client: TestClient, hub):
    english = client.get("/courses").text
    assert " lessons<" in english and "Made locally, not verified" in english
    client.get("/language/fr?next=/courses")
    french = client.get("/courses").text
    assert " leçons<" in french and " lessons<" not in french  # the English card is not shown again
    hub.db.execute("UPDATE courses SET origin = 'starter' WHERE id = 'sample-course'")  # another mark
    hub.db.execute("UPDATE settings SET value = value + 1 WHERE key = 'library_generation'")
    client.get("/language/en?next=/courses")
    again = client.get("/courses").text
    assert "From the Commons Hub starter courses" in again and "Made locally, not verified" not in again


def test_the_pin_field_opens_a_number_pad_and_staff_get_a_full_keyboard(client: TestClient):
    learner = client.get("/signin").text
    assert 'inputmode="numeric"' in learner and 'href="/signin?password=1&amp;next=/me"' in learner
    staff = client.get("/signin?password=1").text
    assert 'id="pin"' in staff and "inputmode" not in staff
