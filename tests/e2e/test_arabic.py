"""Arabic, chosen in the picker: the pages turn right-to-left and offer Arabic courses first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import choose_language, course_links, first_paragraph, starter, starter_ids_in, yours

pytestmark = pytest.mark.e2e

COURSE = "hand-hygiene-ar"


def test_arabic_pages_are_right_to_left(phones, screenshot):
    manifest = starter(COURSE)
    page = phones.open(javascript=False)
    page.goto("/")
    choose_language(page, "ar")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(yours(page).locator("h2")).to_contain_text("العربية")
    arabic = {f"/courses/{course_id}" for course_id in starter_ids_in("ar")}
    assert len(arabic) >= 3
    assert set(course_links(yours(page))) == arabic
    for card in yours(page).locator("li.card").all():
        expect(card).to_have_attribute("lang", "ar")
    screenshot(page, "arabic-01-home")

    yours(page).locator(f'li.card a[href="/courses/{COURSE}"]').click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}$"))
    course = page.locator("main > article")
    expect(course).to_have_attribute("dir", "rtl")
    expect(course).to_have_attribute("lang", "ar")
    expect(course.locator("h1")).to_have_text(manifest.course.title)
    expect(course.locator("ol.lessons > li > a")).to_have_text([lesson.title for lesson in manifest.lessons])
    screenshot(page, "arabic-02-course")

    lesson = manifest.lessons[0]
    assert lesson.kind == "article"
    course.locator("ol.lessons > li > a").first.click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{lesson.id}$"))
    article = page.locator("article.lesson")
    expect(article).to_have_attribute("dir", "rtl")
    expect(article).to_have_attribute("lang", "ar")
    expect(article.locator("h1")).to_have_text(lesson.title)
    expect(article.locator(".prose")).to_contain_text(first_paragraph(lesson.text))
    expect(page.get_by_role("button", name="تمّ، الدرس التالي")).to_be_visible()
    screenshot(page, "arabic-03-lesson")

    # The Arabic quiz form, right to left (for the visual review).
    quiz = manifest.lessons[-1]
    assert quiz.kind == "quiz"
    page.goto(f"/courses/{COURSE}/{quiz.id}")
    expect(page.locator("form.quiz fieldset")).to_have_count(len(quiz.questions))
    screenshot(page, "arabic-04-quiz")
    assert phones.broken == []
