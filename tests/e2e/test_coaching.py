"""A tutor on a tablet makes a class of 20, prints their cards, assigns a pathway and a class quiz;
two learners on small phones (one without JavaScript) sign in with their card, see "For you", do a
lesson and hand in the quiz; the tutor closes it and a learner sees her answers; the tutor's class
grid shows their work, and its CSV reads back."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hub import learners
from hub.db import connect
from hub.learners import Role
from hub.pathways import add_course, create_pathway
from tests.e2e.conftest import PHONE, TIMEOUT_MS
from tests.e2e.helpers import fill_correct_answers, main_nav, sign_in, starter

pytestmark = pytest.mark.e2e

TUTOR = ("Tina Coach", "tutor-password-9")
COURSE = "phone-safety-en"
PATHWAY = "Stay safe online"
ARABIC = "فاطمة الزهراء"
NAMES = ["Amina Coach", ARABIC, *(f"Coach Pupil {n:02d}" for n in range(1, 18)), "Zoë 🌻"]
TABLET = {**PHONE, "viewport": {"width": 768, "height": 1024}}
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}


@pytest.fixture
def devices(browser: Browser, hub_url: str) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def open_page(
    browser: Browser, hub_url: str, opened: list[BrowserContext], size: dict, javascript: bool = True
) -> Page:
    context = browser.new_context(**size, base_url=hub_url, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    opened.append(context)
    return context.new_page()


def fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"


def test_a_class_from_cards_to_a_closed_quiz(
    browser: Browser, hub_url: str, hub_home: Path, devices, screenshot
):
    db = connect(hub_home / "hub.db")
    learners.create_account(db, TUTOR[0], Role.TUTOR, TUTOR[1])
    pathway_id = create_pathway(db, PATHWAY)
    add_course(db, pathway_id, COURSE)
    quiz_lesson = next(lesson for lesson in starter(COURSE).lessons if lesson.kind == "quiz")

    # The tutor, on a tablet: a class, twenty new learners, their cards.
    tutor = open_page(browser, hub_url, devices, TABLET)
    sign_in(tutor, *TUTOR)
    main_nav(tutor, "Classes").click()
    tutor.locator("#class-name").fill("Wednesday digital skills")
    tutor.get_by_role("button", name="Make the class").click()
    expect(tutor.locator("h1")).to_have_text("Wednesday digital skills")
    tutor.get_by_text("Make new learners: paste names or upload a CSV").click()
    tutor.locator("#bulk-names").fill("\n".join(NAMES))
    tutor.get_by_role("button", name="Make the learners").click()
    expect(tutor.locator("h1")).to_have_text("Sign-in cards")
    cards = tutor.locator("article.signin-card")
    expect(cards).to_have_count(20)
    expect(tutor.get_by_role("button", name="Print the cards")).to_be_visible()  # JavaScript shows it
    pins = {
        name: cards.filter(has=tutor.locator(".card-name", has_text=name)).locator(".card-pin").inner_text()
        for name in ("Amina Coach", ARABIC)
    }
    assert all(re.fullmatch(r"\d{4}", pin) for pin in pins.values()), pins
    tutor.emulate_media(media="print")
    expect(tutor.locator("header.top")).to_be_hidden()
    expect(tutor.locator("div.sheet")).to_have_count(3)  # eight cards an A4 page
    assert len(re.findall(rb"/Type\s*/Page[^s]", tutor.pdf(prefer_css_page_size=True))) == 3
    tutor.screenshot(path="/tmp/coaching-cards-print.png", full_page=True)
    screenshot(tutor, "coaching-01-cards-print")
    tutor.emulate_media(media="screen")
    fits_the_screen(tutor)

    # A pathway and a class quiz of two questions, assigned and opened.
    tutor.locator(".crumbs a").click()
    tutor.locator("#assign-what").select_option(f"pathway:{pathway_id}")
    tutor.locator("#assign-due").fill("2030-03-31")
    tutor.get_by_role("button", name="Assign", exact=True).click()
    expect(tutor.locator("ol.assigned")).to_contain_text(PATHWAY)
    tutor.get_by_role("link", name="Make a class quiz").click()
    tutor.locator("#pick-course").select_option(COURSE)
    tutor.get_by_role("button", name="Show its questions").click()
    tutor.locator("#quiz-title").fill("Week 1 check")
    for index in (0, 1):
        tutor.locator(f'input[name="question"][value="{COURSE}/{quiz_lesson.id}/{index}"]').check()
    tutor.get_by_role("button", name="Make the quiz").click()
    tutor.locator("#assign-what").select_option(label="Week 1 check")
    tutor.get_by_role("button", name="Assign", exact=True).click()
    tutor.get_by_role("button", name="Open the quiz").click()
    expect(tutor.locator("#quizzes").locator("xpath=..")).to_contain_text("open")
    screenshot(tutor, "coaching-02-class")
    fits_the_screen(tutor)

    # Two learners on small phones, one without JavaScript, sign in with their cards.
    questions = quiz_lesson.questions[:2]
    phones = []
    for name, javascript in (("Amina Coach", True), (ARABIC, False)):
        phone = open_page(browser, hub_url, devices, SMALL_PHONE, javascript)
        sign_in(phone, name, pins[name])
        phone.goto("/")
        for_you = phone.locator("section.for-you")
        expect(for_you.locator("h3")).to_have_text([PATHWAY, "Week 1 check"])
        expect(for_you).to_contain_text("due Mar 31, 2030")
        fits_the_screen(phone)
        for_you.get_by_role("link", name=PATHWAY).click()
        phone.get_by_role("link", name="Start the course").click()
        phone.get_by_role("button", name="Done, next lesson").click()
        phone.goto("/")
        phone.locator("section.for-you").get_by_role("link", name="Take the quiz").click()
        fill_correct_answers(phone, questions)
        phone.get_by_role("button", name="Hand in my answers").click()
        expect(phone.get_by_role("status")).to_contain_text("Your answers are in")
        phones.append(phone)
    screenshot(phones[1], "coaching-03-handed-in-no-js")

    # The tutor closes the quiz: it leaves "For you", and the answers are shown.
    tutor.get_by_role("button", name="Close the quiz").click()
    amina = phones[0]
    amina.goto("/")
    expect(amina.locator("section.for-you h3")).to_have_text([PATHWAY])
    main_nav(amina, "Home").click()
    amina.goto("/me/classes")
    amina.get_by_role("link", name="Week 1 check").click()
    expect(amina.get_by_role("heading", name="Your score: 2 out of 2")).to_be_visible()
    expect(amina.locator("ol.answers")).to_contain_text(questions[0].explanation)
    screenshot(amina, "coaching-04-answers")
    fits_the_screen(amina)

    # The class grid shows what they did, and its CSV reads back with the Arabic name intact.
    class_id = re.search(r"/tutor/classes/(\d+)", tutor.url)[1]  # type: ignore[index]
    tutor.goto(f"/tutor/classes/{class_id}/report")
    grid = tutor.locator("table.report-grid")
    for name in ("Amina Coach", ARABIC):
        expect(grid.locator("tr", has_text=name)).to_contain_text("2/2")
    expect(grid.locator("tr", has_text="Coach Pupil 01")).to_contain_text("Not started")
    screenshot(tutor, "coaching-05-grid")
    with tutor.expect_download() as download:
        tutor.locator(f'a[href="/tutor/classes/{class_id}/report?format=csv&table=grid"]').click()
    data = Path(download.value.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert data.startswith(b"\xef\xbb\xbf") and len(rows) == 1 + len(NAMES)
    by_name = {row[0]: row for row in rows[1:]}
    assert any("2/2" in cell for cell in by_name[ARABIC]) and any(
        "2/2" in cell for cell in by_name["Amina Coach"]
    )
