"""A resident who had opened a course that is then retracted is told so, with the reason, on a
360 px phone, with and without JavaScript; the course's pages show the notice instead of the lessons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from content.package import build_package
from content.signing import generate_key
from hub import retractions, trust
from hub.home import Hub
from hub.library import import_package
from tests.conftest import SAMPLE_COURSE, write_course
from tests.e2e.conftest import TIMEOUT_MS

pytestmark = pytest.mark.e2e

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "en-US",
}  # fmt: skip
REASON = "This course said to put ice on burns. That is wrong: cool a burn under running water, 20 minutes."
NOTICE = "Important: a course you opened was withdrawn"


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_resident_who_opened_a_retracted_course_sees_a_plain_notice_with_the_reason(
    browser: Browser, hub_url: str, hub_home: Path, tmp_path: Path, javascript: bool,
    screenshot: Callable[[Page, str], Path],
) -> None:  # fmt: skip
    course_id = f"burns-{'js' if javascript else 'nojs'}"
    key = generate_key()
    hub = Hub(hub_home)
    trust.trust_key(hub.db, key.public, f"City Health Office {course_id}")
    toml = str(SAMPLE_COURSE["course.toml"]).replace('"sample-course"', f'"{course_id}"')
    toml = toml.replace('title = "Sample course"', 'title = "Burns at home"')
    build_package(write_course(tmp_path / "author", **{"course.toml": toml}), tmp_path / "package", key)
    import_package(hub.db, hub.blobs, tmp_path / "package")

    context = browser.new_context(**SMALL_PHONE, base_url=hub_url, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"/courses/{course_id}/read-me")
        page.get_by_role("button", name="Done, next lesson").click()  # keeps her progress (a guest)
        page.goto("/")
        expect(page.get_by_role("heading", name=NOTICE)).to_have_count(0)

        retractions.retract(hub, course_id, None, REASON, key)

        page.goto("/")
        notice = page.locator("section.notice.retracted")
        expect(notice.get_by_role("heading")).to_have_text(NOTICE)
        expect(notice).to_contain_text("Burns at home")
        expect(notice).to_contain_text(REASON)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
        screenshot(page, f"retraction-01-home-360-{'js' if javascript else 'nojs'}")

        answer = page.goto(f"/courses/{course_id}")
        assert answer is not None and answer.status == 410
        expect(page.locator("h1")).to_have_text("This course was withdrawn")
        expect(page.get_by_role("main")).to_contain_text(REASON)
        expect(page.get_by_role("link", name="Read me")).to_have_count(0)
        screenshot(page, f"retraction-02-course-360-{'js' if javascript else 'nojs'}")

        page.goto("/me")
        expect(page.locator("section.notice.retracted")).to_contain_text(REASON)
        page.goto("/courses")
        expect(page.get_by_role("main")).not_to_contain_text("Burns at home")
    finally:
        context.close()
