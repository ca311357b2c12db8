"""Choosing a language from any page brings the resident back to a page, now in that language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import choose_language, starter

pytestmark = pytest.mark.e2e

COURSE = "false-health-news-en"


def test_choosing_a_language_returns_to_the_same_lesson(phones):
    lesson = starter(COURSE).lessons[0]
    page = phones.open(javascript=False)
    page.goto(f"/courses/{COURSE}/{lesson.id}")
    choose_language(page, "es")
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{lesson.id}$"))
    expect(page.locator("h1")).to_have_text(lesson.title)
    assert phones.broken == []


def test_choosing_a_language_on_the_quiz_result_page(phones):
    quiz = next(lesson for lesson in starter(COURSE).lessons if lesson.kind == "quiz")
    page = phones.open(javascript=False)
    page.goto(f"/courses/{COURSE}/{quiz.id}")
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator("section.result")).to_be_visible()

    page.locator("header a.lang").click()
    page.locator('ul.languages a[lang="fr"]').click()
    page.wait_for_load_state()
    assert phones.broken == []
    expect(page.locator("html")).to_have_attribute("lang", "fr")
