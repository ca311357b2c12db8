"""Issue 15, HTML5 app lessons in Chromium: a hostile app, played while an admin is signed in,
reaches nothing of the hub; a friendly app plays, on a phone, and its words are found by search.

The isolation under test: the lesson page frames the app with `sandbox="allow-scripts"` (no
allow-same-origin), and every file of the app carries `Content-Security-Policy: sandbox
allow-scripts; ... connect-src 'none'` with scripts, styles and pictures from its own folder only
(hub/plugins/apps/).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.helpers import serious_problems, serve_with, sign_in, wait_until_true
from tests.html5 import FRIENDLY_FILES, HOSTILE_FILES, app_zip, write_app_course
from tests.processes import Server

pytestmark = pytest.mark.e2e
ADMIN = ("Ada Admin", "ada-password-1")
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "en-US"}
HOSTILE, FRIENDLY = "/courses/evil-course/game", "/courses/app-course/game"
ATTEMPTS = ("cookie", "storage", "parent", "admin", "progress", "users", "xhr", "websocket", "top")
NEVER_ANSWERED = (
    "/admin", "/api/v1/progress", "/ws-probe", "/hostile-image-probe", "/hostile-top-navigation"
)  # fmt: skip


@pytest.fixture(scope="module")
def app_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A hub of its own with an admin, a hostile app lesson and a friendly one."""
    root = tmp_path_factory.mktemp("apps")
    folders = [
        write_app_course(root / course_id, app_zip(files), course_id=course_id)
        for course_id, files in (("evil-course", HOSTILE_FILES), ("app-course", FRIENDLY_FILES))
    ]
    server = serve_with(root / "home", ADMIN, folders)
    yield server
    server.stop()


def phone(browser: Browser, server: Server, javascript: bool = True) -> tuple[Page, list[str]]:
    """A phone-sized page, and the list of every address the hub answered it."""
    context: BrowserContext = browser.new_context(
        **PHONE, base_url=server.url, java_script_enabled=javascript
    )
    context.set_default_timeout(TIMEOUT_MS)
    answered: list[str] = []  # a request the policy blocks fails in the browser ("csp") and gets no answer
    context.on("response", lambda response: answered.append(response.url))
    return context.new_page(), answered


def report_of(page: Page, frame: bool = True) -> dict[str, str]:
    """What the hostile app wrote about each of its attempts, once all are told."""
    where = page.frame_locator("iframe").locator("#report") if frame else page.locator("#report")
    expect(where).not_to_have_text("{}")
    for _ in range(50):
        report = json.loads(where.text_content() or "{}")
        if all(key in report for key in ATTEMPTS):
            return report
        page.wait_for_timeout(100)
    raise AssertionError(f"the app did not report every attempt: {where.text_content()}")


def session_count(home: Path) -> int:
    with sqlite3.connect(home / "hub.db") as db:
        return db.execute("SELECT count(*) FROM sessions").fetchone()[0]


def test_a_hostile_app_reaches_nothing_of_the_hub_while_an_admin_is_signed_in(
    browser: Browser, app_hub: Server, screenshot: Callable[[Page, str], Path]
):
    page, asked = phone(browser, app_hub)
    sign_in(page, *ADMIN)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert "hub_session" in cookies and "hub_csrf" in cookies  # the csrf one is readable by scripts
    sessions = session_count(app_hub.home)
    asked.clear()
    page.goto(HOSTILE)
    report = report_of(page)
    page.wait_for_timeout(800)  # the top navigation is tried after 300 ms
    screenshot(page, "html5-hostile-app")

    assert report["cookie"].startswith("blocked: SecurityError")  # an opaque origin has no cookies
    assert report["storage"].startswith("blocked: SecurityError")
    assert report["parent"].startswith("blocked: SecurityError")  # cannot read the lesson page
    for attempt in ("admin", "progress", "users", "xhr", "websocket"):
        assert report[attempt].startswith("blocked"), (attempt, report[attempt])
    whole = json.dumps(report)
    assert cookies["hub_session"] not in whole and cookies["hub_csrf"] not in whole
    assert page.url == app_hub.url + HOSTILE  # the top window stayed on the lesson
    expect(page.locator("h1")).to_have_text("Handwashing game")
    for path in NEVER_ANSWERED:  # blocked in the browser: the hub never saw these
        assert not [url for url in asked if url.startswith(app_hub.url + path)], (path, asked)
    assert session_count(app_hub.home) == sessions
    page.goto("/admin")  # and the admin is still signed in, her session untouched
    expect(page.locator("footer")).to_contain_text(f"Signed in as {ADMIN[0]}.")
    page.context.close()


def test_the_hostile_app_opened_full_screen_is_sandboxed_too(browser: Browser, app_hub: Server):
    page, asked = phone(browser, app_hub)
    sign_in(page, *ADMIN)
    page.goto(HOSTILE)
    full = page.get_by_role("link", name="Open full screen")
    asked.clear()
    full.click()
    report = report_of(page, frame=False)
    assert report["cookie"].startswith("blocked: SecurityError")
    assert report["storage"].startswith("blocked: SecurityError")
    for attempt in ("admin", "progress", "users", "xhr", "websocket"):
        assert report[attempt].startswith("blocked"), (attempt, report[attempt])
    page.wait_for_timeout(800)
    assert "/apps/" in page.url
    for path in NEVER_ANSWERED:
        assert not [url for url in asked if url.startswith(app_hub.url + path)], (path, asked)
    page.context.close()


def test_a_friendly_app_plays_on_a_phone_and_its_words_are_found(
    browser: Browser, app_hub: Server, screenshot: Callable[[Page, str], Path]
):
    page, _ = phone(browser, app_hub)
    page.goto("/search?q=marmalade")
    page.get_by_role("link", name="Handwashing game").first.click()
    expect(page).to_have_url(app_hub.url + FRIENDLY)
    frame = page.frame_locator('iframe[title="Activity: Handwashing game"]')
    expect(frame.locator("#status")).to_have_attribute("data-ran", "yes")  # its own script ran
    expect(frame.locator("#status")).to_have_css("color", "rgb(0, 128, 0)")  # its own stylesheet
    wait_until_true(page, "document.querySelector('iframe').getBoundingClientRect().width > 300")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    expect(page.get_by_text("Text version of the activity")).to_be_visible()
    screenshot(page, "html5-friendly-app-phone")
    page.get_by_role("button", name="Done, finish the course").click()
    expect(page).to_have_url(app_hub.url + "/courses/app-course")
    expect(page.locator("main")).to_contain_text("1 of 2 lessons done")
    page.context.close()


def test_without_javascript_the_lesson_still_gives_its_text_version(browser: Browser, app_hub: Server):
    page, _ = phone(browser, app_hub, javascript=False)
    page.goto(FRIENDLY)
    expect(page.get_by_text("put the handwashing steps in order")).to_be_visible()
    expect(page.get_by_role("link", name="Open full screen")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_app_lesson_page_has_no_serious_accessibility_problem(
    browser: Browser, app_hub: Server, language: str, screenshot: Callable[[Page, str], Path]
):
    page, _ = phone(browser, app_hub)
    page.context.add_cookies([{"name": "hub_lang", "value": language, "url": app_hub.url}])
    page.goto(FRIENDLY)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.frame_locator("iframe").locator("#status")).to_have_attribute("data-ran", "yes")
    serious = serious_problems(page)
    assert not serious, serious
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"html5-app-lesson-{language}")
    page.context.close()
