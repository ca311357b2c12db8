"""A tutor on a tablet opens her class's grid: words in every cell, a first column that stays in
view while the grid scrolls sideways, and the CSV the page links to, parsed back as a spreadsheet
would. The class is seeded with SQL (coaching part 1's pages are not used)."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlite_utils import Database

from hub import learners
from tests import coaching_seed as seed
from tests.e2e.conftest import TIMEOUT_MS

pytestmark = pytest.mark.e2e

TABLET = {"viewport": {"width": 768, "height": 1024}, "device_scale_factor": 1, "locale": "en-US"}
COURSE = "hand-hygiene-en"
LESSONS = ("why-hands", "when-to-wash", "how-to-wash", "little-water", "quiz")


def seed_class(home: Path) -> tuple[int, str]:
    """A class of three (أمل finished the course, =Ben is halfway, Cato has not started) with the
    course, five pathways and a class quiz; returns the class id and its tutor's session token."""
    db = Database(sqlite3.connect(home / "hub.db", isolation_level=None, timeout=30))
    try:
        tutor = seed.add_learner(db, "Tess Tablet", role="tutor")
        amal, ben, cato = (
            seed.add_learner(db, "أمل"),
            seed.add_learner(db, "=Ben"),
            seed.add_learner(db, "Cato"),
        )
        class_id = seed.add_class(db, "Tablet class", [tutor], [amal, ben, cato])
        seed.assign(db, class_id, "course", COURSE, 0)
        for n, other in enumerate(
            ("first-aid-en", "mental-wellbeing-en", "phone-safety-en", "job-readiness-en")
        ):
            seed.assign(
                db, class_id, "pathway", seed.add_pathway(db, f"Pathway {n + 1}", [COURSE, other]), n + 1
            )
        quiz = seed.add_class_quiz(db, class_id, "Week 1 check", [], opened_days_ago=3)
        seed.assign(db, class_id, "quiz", quiz, 9)
        for lesson in LESSONS:
            seed.progress(db, amal, COURSE, lesson, 1.0, opened_days_ago=1)
        seed.progress(db, ben, COURSE, "why-hands", 0.5, opened_days_ago=2)
        seed.answer_class_quiz(db, quiz, amal, [], 0, 0)
        return class_id, learners.start_session(db, tutor)
    finally:
        db.conn.close()


def tablet(browser: Browser, hub_url: str, token: str) -> Page:
    context = browser.new_context(**TABLET, base_url=hub_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "hub_session", "value": token, "url": hub_url}])
    return context.new_page()


def test_tutor_reads_the_grid_and_downloads_it(
    browser: Browser, hub_url: str, hub_home: Path, screenshot: Callable[[Page, str], Path]
) -> None:
    class_id, token = seed_class(hub_home)
    page = tablet(browser, hub_url, token)
    page.goto(f"/tutor/classes/{class_id}/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Class report: Tablet class")
    grid = page.locator("table.report-grid")
    expect(grid.locator("tr", has_text="أمل").locator("td").first).to_contain_text("✓ Done")
    expect(grid.locator("tr", has_text="=Ben").locator("td").first).to_contain_text("◐ In progress")
    expect(grid.locator("tr", has_text="Cato").locator("td").first).to_contain_text("○ Not started")
    expect(grid.locator("tr", has_text="أمل").locator("td").last).to_contain_text("Done")

    region = page.get_by_role("region", name="Progress on each assignment")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the grid should scroll sideways here"
    name_cell = grid.locator("th[scope=row]").first
    left_before = name_cell.bounding_box()["x"]  # type: ignore[index]
    region.evaluate("el => { el.scrollLeft = 400; }")
    assert abs(name_cell.bounding_box()["x"] - left_before) < 1  # type: ignore[index]  # sticky
    region.evaluate("el => { el.scrollLeft = 0; }")
    screenshot(page, "coaching-grid-tablet")

    with page.expect_download() as download:
        page.locator(f'a[href="/tutor/classes/{class_id}/report?format=csv&table=grid"]').click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["Learner", "Clean hands stop germs"]
    assert [row[0] for row in rows[1:]] == ["'=Ben", "Cato", "أمل"]
    assert rows[3][1].startswith("Done: Lessons 5/5")
    assert download.value.suggested_filename == f"class-{class_id}-grid.csv"
