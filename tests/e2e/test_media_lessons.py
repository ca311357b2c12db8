"""The PDF, images and audio lessons: their files, and the text that stands in for them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import first_paragraph, starter, wait_until_true

pytestmark = pytest.mark.e2e


def lesson_of_kind(course_id: str, kind: str):
    return next(lesson for lesson in starter(course_id).lessons if lesson.kind == kind)


def test_pdf_lesson_opens_and_downloads_the_document(phones, screenshot):
    lesson = lesson_of_kind("vaccination-basics-en", "pdf")
    document = lesson.media[0]
    page = phones.open()
    page.goto(f"/courses/vaccination-basics-en/{lesson.id}")
    expect(page.locator("h1")).to_have_text(lesson.title)

    opened = page.request.get(page.get_by_role("link", name="Open the document").get_attribute("href") or "")
    assert opened.status == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"].startswith("inline")
    assert opened.body().startswith(b"%PDF")
    assert len(opened.body()) == document.size

    download_link = page.locator("p.downloads a", has_text="Download")
    expect(download_link).to_contain_text(f"{round(document.size / 1024)} KB")
    fetched = page.request.get(download_link.get_attribute("href") or "")
    assert fetched.status == 200
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["content-disposition"].startswith("attachment")
    assert document.name in fetched.headers["content-disposition"]
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == document.name

    expect(page.locator("article .prose")).to_contain_text(first_paragraph(lesson.text))
    screenshot(page, "pdf-lesson")
    assert phones.broken == []


def test_images_lesson_shows_every_image_with_alt_text(phones, screenshot):
    lesson = lesson_of_kind("first-aid-en", "images")
    page = phones.open()
    page.goto(f"/courses/first-aid-en/{lesson.id}")
    expect(page.locator("h1")).to_have_text(lesson.title)

    images = page.locator("ol.images img")
    expect(images).to_have_count(len(lesson.images))
    for image, authored in zip(images.all(), lesson.images, strict=True):
        alt = image.get_attribute("alt") or ""
        assert alt.strip(), "every picture needs alt text"
        assert alt == authored.alt
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        image.evaluate("img => img.decode()")  # the file loads and is a picture Chromium can show
        assert image.evaluate("img => img.naturalWidth") > 0
    expect(page.locator("ol.images figcaption")).to_have_text([image.caption for image in lesson.images])
    screenshot(page, "images-lesson")
    assert phones.broken == []


def test_audio_lesson_has_player_and_transcript(phones, screenshot):
    lesson = lesson_of_kind("mental-wellbeing-en", "audio")
    page = phones.open()
    page.goto(f"/courses/mental-wellbeing-en/{lesson.id}")
    expect(page.locator("h1")).to_have_text(lesson.title)

    audio = page.locator("article audio")
    expect(audio).to_have_count(1)
    sources = audio.locator("source")
    expect(sources).to_have_count(len(lesson.media))
    assert [s.get_attribute("type") for s in sources.all()] == [m.media_type for m in lesson.media]
    wait_until_true(page, "document.querySelector('article audio').readyState >= 1", 15_000)

    transcript = page.locator("details.alternative")
    expect(transcript).to_be_visible()
    expect(transcript.locator("summary")).to_have_text("Transcript")
    expect(transcript.locator(".prose")).to_contain_text(first_paragraph(lesson.text))
    screenshot(page, "audio-lesson")
    assert phones.broken == []
