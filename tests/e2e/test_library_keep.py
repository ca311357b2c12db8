"""An admin removes a course on a phone, JavaScript off, and in Arabic: sizes, the confirmation with what
it frees, the removal, and the learner's page afterwards. A hub of its own (the shared one keeps its
starter courses for the other browser tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from hub import learners, library_choice, progress
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from tests.conftest import Server, write_course
from tests.e2e.conftest import TIMEOUT_MS
from tests.processes import serve

PHONE_360 = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
}


def _page(browser: Browser, url: str, session: str, language: str = "en") -> Page:
    context = browser.new_context(**PHONE_360, base_url=url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [
            {"name": "hub_session", "value": session, "url": url},
            {"name": "hub_lang", "value": language, "url": url},
        ]
    )
    return context.new_page()


def _wide(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def test_an_admin_removes_a_course_on_a_phone_without_javascript(
    browser: Browser, tmp_path: Path, servers: list[Server], screenshot: Callable[[Page, str], Path]
):
    home = tmp_path / "home"
    hub = Hub(home)
    hub.set_setting("starter_imported", True)
    import_package(hub.db, hub.blobs, write_course(tmp_path / "course"), allow_unverified=True)
    library_choice.remember_catalog(
        hub,
        [
            {
                "id": "sample-course",
                "version": 1,
                "title": "Sample course",
                "language": "en",
                "topics": ["health"],
                "bytes": 180,
            },
            {
                "id": "premiers-secours",
                "version": 2,
                "title": "Premiers secours",
                "language": "fr",
                "topics": ["health", "first-aid"],
                "bytes": 1_300_000_000,
            },
        ],
        [{"id": "7", "title": "Care at home", "courses": ["premiers-secours", "sample-course"]}],
        "2026-12-04T10:00:00+00:00",
    )  # as a sync leaves it
    library_choice.save_choice(hub, library_choice.Choice(everything=False, languages=("en",)))
    admin = learners.create_account(hub.db, "Ada", Role.ADMIN, "a-long-password")
    learner = learners.create_account(hub.db, "Samira", Role.LEARNER, "1234")
    progress.record(hub.db, learner.id, "sample-course", "read-me", 1.0)
    admin_session = learners.start_session(hub.db, admin.id, learners.STAFF_SESSION)
    learner_session = learners.start_session(hub.db, learner.id)
    hub.db.conn.close()
    servers.append(server := serve(home))

    page = _page(browser, server.url, admin_session)
    page.goto("/admin")
    page.get_by_role("link", name="Library and storage").first.click()
    expect(page.get_by_role("heading", name="Courses by size")).to_be_visible()
    expect(page.get_by_role("link", name="Sample course", exact=True)).to_be_visible()
    screenshot(page, "library-storage-phone")
    page.get_by_role("link", name="Remove Sample course").click()
    expect(page.get_by_role("heading", name="Remove “Sample course”?")).to_be_visible()
    expect(page.locator("dl.state")).to_contain_text("Space it frees")
    screenshot(page, "library-remove-confirm-phone")
    assert not _wide(page), "the confirmation fits a 360 px screen"
    page.get_by_role("button", name="Remove it and free").click()
    expect(page.get_by_role("status")).to_contain_text("“Sample course” was removed. Space freed:")
    expect(page.get_by_text("This hub has no courses.")).to_be_visible()
    screenshot(page, "library-removed-phone")

    page.get_by_role("link", name="Choose what comes from the central server").click()
    expect(page.locator("li", has_text="Premiers secours")).to_contain_text("Available, not downloaded")
    expect(page.locator("li", has_text="Premiers secours")).to_contain_text("1.2 GB")
    expect(page.get_by_label("Care at home")).not_to_be_checked()
    page.get_by_label("Premiers secours").check()
    page.get_by_role("button", name="Save this choice").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.locator("li", has_text="Premiers secours")).to_contain_text("Comes at the next sync")
    screenshot(page, "library-centre-phone")
    assert not _wide(page)

    mine = _page(browser, server.url, learner_session)
    mine.goto("/me")
    expect(mine.get_by_role("heading", name="Courses removed from this hub")).to_be_visible()
    expect(mine.locator(".card", has_text="Sample course")).to_contain_text("course removed")
    screenshot(mine, "library-me-course-removed-phone")

    arabic = _page(browser, server.url, admin_session, "ar")
    arabic.goto("/admin/library")
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    expect(arabic.get_by_role("heading", name="المكتبة ومساحة التخزين")).to_be_visible()
    screenshot(arabic, "library-storage-arabic")
    arabic.goto("/admin/library/centre")
    expect(arabic.get_by_role("heading", name="ما يأتي من الخادم المركزي")).to_be_visible()
    screenshot(arabic, "library-centre-arabic")
    assert not _wide(arabic)
