"""Simple mode on a 360 px phone, in English and in Arabic: switched on from any page's footer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import choose_language, starter

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language, course_id", [("en", "hand-hygiene-en"), ("ar", "hand-hygiene-ar")])
def test_simple_mode_on_a_phone(phones, screenshot, language, course_id):
    page = phones.open(javascript=False)
    page.goto("/")
    if language != "en":
        choose_language(page, language)
    page.locator("a.simple-switch").click()
    expect(page.locator("body")).to_have_class("simple")

    page.goto(f"/courses/{course_id}")
    expect(page.locator("ol.lessons .kind-icon")).to_have_count(len(starter(course_id).lessons))
    screenshot(page, f"simple-course-{language}")

    quiz = next(lesson for lesson in starter(course_id).lessons if lesson.kind == "quiz")
    page.goto(f"/courses/{course_id}/{quiz.id}")
    first_choice = page.locator("form.quiz fieldset label:has(input[type=radio])").first
    box = first_choice.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 300  # a big button to press
    first_choice.click()
    expect(first_choice.locator("input")).to_be_checked()
    expect(page.locator(".pager")).to_be_hidden()  # one main action: answer, then check
    screenshot(page, f"simple-quiz-{language}")

    page.locator("a.simple-switch").click()
    expect(page.locator("body")).not_to_have_class("simple")
