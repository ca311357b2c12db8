"""Issue 15, H5P lessons in Chromium: a learner on a phone, at a name that is not loopback (so not
a secure context, as a real phone on the hub's Wi-Fi), plays the fixture's multiple-choice set
and her score is kept; a hostile H5P library, played while an admin is signed in, reaches nothing
of the hub; without JavaScript the lesson gives its text version and says why.

The isolation under test (hub/plugins/h5p/): the lesson page frames the hub's player page with
`sandbox="allow-scripts"` (no allow-same-origin); that page's own Content-Security-Policy lets it
load scripts only from the player's folder and the activity's, and fetch only the activity's files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.e2e.helpers import serious_problems, serve_with, sign_in, wait_until_true
from tests.h5p import ACTIVITY, h5p_with, write_h5p_course
from tests.html5 import HOSTILE_JS
from tests.processes import Server

pytestmark = pytest.mark.e2e
ADMIN = ("Ada Admin", "ada-password-1")
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "en-US"}
CHECK, HOSTILE = "/courses/h5p-course/check", "/courses/evil-h5p/check"
# What HOSTILE_JS (tests/html5.py) tries; storage is left out: the player page gives H5P a store in
# memory (the sandbox has none), checked below to be no storage of the hub's.
ATTEMPTS = ("cookie", "parent", "admin", "progress", "users", "xhr", "websocket", "top")
NEVER_ANSWERED = (
    "/admin",
    "/api/v1/progress",
    "/ws-probe",
    "/hostile-image-probe",
    "/hostile-top-navigation",
)
# An H5P library that attacks instead of asking questions, in place of H5P.CommonsChoice.
HOSTILE_LIBRARY = (
    "var H5P = H5P || {};\n"
    "H5P.CommonsChoice = function () { H5P.EventDispatcher.call(this); };\n"
    "H5P.CommonsChoice.prototype = Object.create(H5P.EventDispatcher.prototype);\n"
    "H5P.CommonsChoice.prototype.attach = function ($container) {\n"
    "  var pre = document.createElement('pre'); pre.id = 'report'; pre.textContent = '{}';\n"
    "  ($container[0] || $container).appendChild(pre);\n" + HOSTILE_JS + "\n};\n"
)


@pytest.fixture(scope="module")
def h5p_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A hub of its own with an admin, the fixture activity and a hostile one."""
    root = tmp_path_factory.mktemp("h5p")
    hostile = h5p_with({"H5P.CommonsChoice-1.0/commons-choice.js": HOSTILE_LIBRARY.encode()})
    folders = [
        write_h5p_course(root / course_id, data, course_id=course_id)
        for course_id, data in (("h5p-course", ACTIVITY.read_bytes()), ("evil-h5p", hostile))
    ]
    server = serve_with(root / "home", ADMIN, folders)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def away_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium that finds hub.test on loopback: the hub at a name, as a phone on its Wi-Fi sees it."""
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP hub.test 127.0.0.1"]
    )
    yield launched
    launched.close()


def phone(browser: Browser, base_url: str, javascript: bool = True) -> tuple[Page, list[str]]:
    """A phone-sized page, and the list of every address the hub answered it."""
    context: BrowserContext = browser.new_context(**PHONE, base_url=base_url, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    answered: list[str] = []
    context.on("response", lambda response: answered.append(response.url))
    return context.new_page(), answered


def attempts(home: Path, course_id: str) -> list[tuple[int, int, int]]:
    with sqlite3.connect(home / "hub.db") as db:
        return db.execute(
            "SELECT score, total, passed FROM quiz_attempts WHERE course_id = ? ORDER BY created_at",
            [course_id],
        ).fetchall()


def completed(home: Path, course_id: str) -> list[str]:
    with sqlite3.connect(home / "hub.db") as db:
        rows = db.execute(
            "SELECT lesson_id FROM progress WHERE course_id = ? AND completed_at IS NOT NULL", [course_id]
        ).fetchall()
    return [row[0] for row in rows]


def test_a_learner_plays_the_activity_on_a_phone_away_from_loopback_and_her_score_is_kept(
    away_browser: Browser, h5p_hub: Server, screenshot: Callable[[Page, str], Path]
):
    page, _ = phone(away_browser, f"http://hub.test:{h5p_hub.port}")
    page.goto(CHECK)
    assert not page.evaluate("window.isSecureContext")  # as on a real phone: no secure-context features
    activity = page.frame_locator('iframe[title="Activity: Handwashing check"]')
    expect(activity.locator("legend").first).to_contain_text("How long should you scrub your hands")
    activity.get_by_label("5 seconds").check()  # wrong first
    activity.get_by_label("Before eating and after the toilet").check()
    activity.get_by_role("button", name="Check").click()
    expect(page.locator("#h5p-needs-js")).to_be_hidden()
    expect(page.locator("#h5p-status")).to_have_text("Your score was saved: 1 out of 2")
    assert attempts(h5p_hub.home, "h5p-course") == [(1, 2, 0)]
    assert completed(h5p_hub.home, "h5p-course") == []  # 1 of 2 is under the pass mark
    activity.get_by_label("20 seconds").check()
    activity.get_by_role("button", name="Check").click()
    expect(page.locator("#h5p-status")).to_have_text("Your score was saved: 2 out of 2")
    expect(activity.locator(".result")).to_have_text("You got 2 of 2.")
    assert attempts(h5p_hub.home, "h5p-course") == [(1, 2, 0), (2, 2, 1)]
    assert completed(h5p_hub.home, "h5p-course") == ["check"]  # passed: the lesson is done
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    frame_width = page.evaluate("document.querySelector('iframe').getBoundingClientRect().width")
    assert 300 < frame_width <= 360
    player = next(frame for frame in page.frames if "/h5p/play/" in frame.url)
    fits = "document.documentElement.scrollHeight <= window.innerHeight + 1"
    wait_until_true(page, "document.querySelector('iframe').style.blockSize !== ''")
    assert player.evaluate(fits)  # the frame took the activity's height: nothing scrolls inside it
    screenshot(page, "h5p-played-phone")
    page.reload()
    expect(page.get_by_text("Your best score so far: 2 out of 2")).to_be_visible()
    page.context.close()


def test_a_score_posted_by_another_window_than_the_activitys_frame_is_not_kept(
    browser: Browser, h5p_hub: Server
):
    page, _ = phone(browser, h5p_hub.url)
    page.goto(CHECK)
    expect(page.frame_locator("iframe").locator("legend").first).to_be_visible()
    before = attempts(h5p_hub.home, "h5p-course")
    page.evaluate("window.postMessage({h5p: 'score', score: 2, max: 2}, '*')")  # the page itself
    page.wait_for_timeout(500)
    expect(page.locator("#h5p-status")).to_have_text("")
    assert attempts(h5p_hub.home, "h5p-course") == before
    page.context.close()


def test_a_hostile_h5p_library_reaches_nothing_of_the_hub_while_an_admin_is_signed_in(
    browser: Browser, h5p_hub: Server
):
    page, asked = phone(browser, h5p_hub.url)
    sign_in(page, *ADMIN)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    asked.clear()
    page.goto(HOSTILE)
    where = page.frame_locator("iframe").locator("#report")
    expect(where).not_to_have_text("{}")
    for _ in range(50):
        report = json.loads(where.text_content() or "{}")
        if all(key in report for key in ATTEMPTS):
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(800)  # the top navigation is tried after 300 ms
    assert report["cookie"].startswith("blocked: SecurityError")  # an opaque origin has no cookies
    assert report["parent"].startswith("blocked: SecurityError")  # cannot read the lesson page
    for attempt in ("admin", "progress", "users", "xhr", "websocket"):
        assert report[attempt].startswith("blocked"), (attempt, report[attempt])
    whole = json.dumps(report)
    assert cookies["hub_session"] not in whole and cookies["hub_csrf"] not in whole
    assert page.evaluate("localStorage.getItem('stolen')") is None  # its store was the page's, in memory
    assert page.url == h5p_hub.url + HOSTILE  # the top window stayed on the lesson
    for path in NEVER_ANSWERED:  # blocked in the browser: the hub never saw these
        assert not [url for url in asked if url.startswith(h5p_hub.url + path)], (path, asked)
    page.goto("/admin")
    expect(page.locator("footer")).to_contain_text(f"Signed in as {ADMIN[0]}.")
    page.context.close()


def test_without_javascript_the_lesson_gives_its_text_version_and_says_why(browser: Browser, h5p_hub: Server):
    page, _ = phone(browser, h5p_hub.url, javascript=False)
    page.goto(CHECK)
    expect(page.get_by_text("This activity needs JavaScript, which is off in this browser.")).to_be_visible()
    expect(page.get_by_text("how long to scrub (20 seconds)")).to_be_visible()
    expect(page.get_by_role("button", name="Done, finish the course")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_h5p_lesson_page_has_no_serious_accessibility_problem(
    browser: Browser, h5p_hub: Server, language: str, screenshot: Callable[[Page, str], Path]
):
    page, _ = phone(browser, h5p_hub.url)
    page.context.add_cookies([{"name": "hub_lang", "value": language, "url": h5p_hub.url}])
    page.goto(CHECK)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.frame_locator("iframe").locator("legend").first).to_be_visible()
    serious = serious_problems(page)
    assert not serious, serious
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"h5p-lesson-{language}")
    page.context.close()
