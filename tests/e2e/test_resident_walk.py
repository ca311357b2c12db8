"""A resident's whole walk through the hub on a phone, with JavaScript switched off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hub.i18n import available_languages
from tests.e2e.helpers import (
    choose_language,
    course_links,
    fill_correct_answers,
    first_paragraph,
    headings,
    main_nav,
    starter,
    starter_ids_in,
    yours,
)

pytestmark = pytest.mark.e2e

COURSE = "hand-hygiene-en"
OTHER = "first-aid-en"


def test_resident_walk_without_javascript(phones, screenshot):
    manifest = starter(COURSE)
    course, lessons = manifest.course, manifest.lessons
    other = starter(OTHER)
    assert [lesson.kind for lesson in lessons] == ["article", "article", "video", "article", "quiz"]
    page = phones.open(javascript=False)

    # Scripts really are off in this context.
    page.goto("data:text/html,<title>off</title><script>document.title = 'on'</script>")
    expect(page).to_have_title("off")

    # Home, in English for a phone that asks for English.
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(yours(page).locator("h2")).to_have_text("Courses in English")
    expect(page.locator('section[aria-labelledby="continue"]')).to_have_count(0)
    screenshot(page, "walk-01-home")

    # The language picker: French, then back to English.
    page.locator("header a.lang").click()
    expect(page.locator("ul.languages a")).to_have_count(len(available_languages()))
    screenshot(page, "walk-02-language-picker")
    page.go_back()
    choose_language(page, "fr")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(html).to_have_attribute("dir", "ltr")
    expect(yours(page).locator("h2")).to_contain_text("Français")
    french = {f"/courses/{course_id}" for course_id in starter_ids_in("fr")}
    assert len(french) >= 3
    assert set(course_links(yours(page))) == french
    first_cards = page.locator("main li.card").all()[: len(french)]
    assert [card.get_attribute("lang") for card in first_cards] == ["fr"] * len(french)
    screenshot(page, "walk-03-home-fr")
    choose_language(page, "en")
    expect(yours(page).locator("h2")).to_have_text("Courses in English")
    assert f"/courses/{COURSE}" in course_links(yours(page))

    # The course, from its card on the home page.
    yours(page).locator(f'li.card a[href="/courses/{COURSE}"]').click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}$"))
    expect(page.locator("h1")).to_have_text(course.title)
    expect(page.locator("ol.lessons > li > a")).to_have_text([lesson.title for lesson in lessons])
    expect(page.get_by_role("link", name="Start the course")).to_be_visible()
    expect(page.locator(".progress")).to_contain_text(f"0 of {len(lessons)} lessons done")
    screenshot(page, "walk-04-course")

    # Lesson 1, an article: read it, then "Done, next lesson".
    page.locator("ol.lessons > li > a").first.click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{lessons[0].id}$"))
    article = page.locator("article.lesson-article")
    expect(article.locator("h1")).to_have_text(lessons[0].title)
    expect(article.locator(".prose h2")).to_have_text(headings(lessons[0].text))
    expect(article.locator(".prose")).to_contain_text(first_paragraph(lessons[0].text))
    expect(page.locator("nav.crumbs")).to_contain_text(f"Lesson 1 of {len(lessons)}")
    screenshot(page, "walk-05-article")
    page.get_by_role("button", name="Done, next lesson").click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{lessons[1].id}$"))
    expect(page.locator("h1")).to_have_text(lessons[1].title)
    page.get_by_role("button", name="Done, next lesson").click()

    # Lesson 3, the video: sources, captions that the hub serves as WebVTT, the text version.
    video_lesson = lessons[2]
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{video_lesson.id}$"))
    expect(page.locator("h1")).to_have_text(video_lesson.title)
    video = page.locator("article.lesson-video video")
    expect(video).to_have_count(1)
    sources = video.locator("source")
    expect(sources).to_have_count(len(video_lesson.media))
    assert [s.get_attribute("type") for s in sources.all()] == [m.media_type for m in video_lesson.media]
    track = video.locator('track[kind="captions"]')
    expect(track).to_have_count(len(video_lesson.captions))
    expect(track.first).to_have_attribute("srclang", video_lesson.captions[0].language)
    captions = page.request.get(track.first.get_attribute("src") or "")
    assert captions.status == 200
    assert captions.headers["content-type"].startswith("text/vtt")
    assert captions.text().startswith("WEBVTT")
    alternative = page.locator("details.alternative")
    expect(alternative).to_be_visible()
    expect(alternative.locator("summary")).to_have_text("Text version of the video")
    expect(alternative.locator(".prose")).to_contain_text(first_paragraph(video_lesson.text))
    screenshot(page, "walk-06-video")
    page.get_by_role("button", name="Done, next lesson").click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{lessons[3].id}$"))

    # Start another course: its first lesson.
    main_nav(page, "Home").click()
    yours(page).locator(f'li.card a[href="/courses/{OTHER}"]').click()
    expect(page.locator("h1")).to_have_text(other.course.title)
    page.get_by_role("link", name="Start the course").click()
    expect(page).to_have_url(re.compile(f"/courses/{OTHER}/{other.lessons[0].id}$"))
    expect(page.locator("h1")).to_have_text(other.lessons[0].title)

    # Home now offers both unfinished courses under "Continue learning".
    main_nav(page, "Home").click()
    continuing = page.locator('section[aria-labelledby="continue"]')
    expect(continuing.locator("h2")).to_have_text("Continue learning")
    # (Their order is not checked: the hub stamps "last opened" to the second, so both may tie.)
    expect(continuing.locator("li.card")).to_have_count(2)
    expect(continuing.locator("li.card", has_text=other.course.title)).to_have_count(1)
    ours = continuing.locator("li.card", has_text=course.title)
    expect(ours).to_contain_text(f"3 of {len(lessons)} lessons done")
    expect(ours).to_contain_text(f"Next: {lessons[3].title}")
    screenshot(page, "walk-07-home-continue-two")

    # Continue where we left off, and finish the last article.
    ours.get_by_role("link", name="Continue", exact=True).click()
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{lessons[3].id}$"))
    page.get_by_role("button", name="Done, next lesson").click()

    # The quiz: answer every question right.
    quiz = lessons[4]
    expect(page).to_have_url(re.compile(f"/courses/{COURSE}/{quiz.id}$"))
    expect(page.locator("h1")).to_have_text(quiz.title)
    expect(page.locator("form.quiz fieldset")).to_have_count(len(quiz.questions))
    assert {q.type for q in quiz.questions} == {"single", "multiple", "truefalse", "numeric"}
    fill_correct_answers(page, quiz.questions)
    screenshot(page, "walk-08-quiz-answered")
    page.get_by_role("button", name="Check my answers").click()

    total = len(quiz.questions)
    result = page.locator("section.result")
    expect(result).to_have_class(re.compile(r"\bpassed\b"))
    expect(result.locator("h2")).to_have_text(f"Your score: {total} out of {total}")
    expect(result).to_contain_text("Well done, you passed!")
    answers = result.locator("ol.answers > li")
    expect(answers).to_have_count(total)
    for answer, question in zip(answers.all(), quiz.questions, strict=True):
        expect(answer).to_have_class("right")
        expect(answer).to_contain_text(question.prompt)
        expect(answer).to_contain_text("✓ Right")
        expect(answer).to_contain_text(question.explanation)
    screenshot(page, "walk-09-quiz-result")

    # The finished course leaves "Continue learning"; the other course stays.
    main_nav(page, "Home").click()
    expect(continuing.locator("li.card h3")).to_have_text([other.course.title])
    expect(continuing).not_to_contain_text(course.title)
    screenshot(page, "walk-10-home-continue")

    # "My learning": the finished course, and the one in progress.
    main_nav(page, "My learning").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    finished = page.get_by_role("heading", name="Finished").locator("xpath=following-sibling::ul[1]")
    expect(finished.locator("li.card a")).to_have_text([f"✓ {course.title}"])
    expect(finished.locator("li.card a")).to_have_attribute("href", f"/courses/{COURSE}")
    in_progress = page.get_by_role("heading", name="In progress").locator("xpath=following-sibling::ul[1]")
    expect(in_progress.locator("li.card h3")).to_have_text([other.course.title])
    screenshot(page, "walk-11-my-learning")

    # The course page agrees.
    finished.locator("li.card a").click()
    expect(page.locator(".progress")).to_contain_text(f"{len(lessons)} of {len(lessons)} lessons done")
    expect(page.locator(".done-note")).to_have_text("You have finished this course. Well done!")

    assert phones.broken == []
