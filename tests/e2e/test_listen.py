"""Listening on a phone: the hub's recording without JavaScript or without a phone voice, the
phone's own voice (Web Speech API, stubbed here: headless Chromium has none) where it has one."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import starter, wait_until_true

pytestmark = pytest.mark.e2e
COURSE = "climate-at-home-en"  # read aloud first on a fresh hub (courses are read in id order)
SPEECH_WAIT_S = 300  # the whole course is read in the background after the hub starts

# A phone voice for `lang`, recording what it is asked to say; each sentence "takes" 150 ms.
VOICE_STUB = """
window.__spoken = [];
const voices = %s;
const stub = {
  getVoices: () => voices,
  speak(u) { window.__spoken.push(u.text); setTimeout(() => u.onend && u.onend(), 150); },
  cancel() { window.__cancelled = (window.__cancelled || 0) + 1; },
  addEventListener() {},
};
Object.defineProperty(window, "speechSynthesis", { value: stub, configurable: true });
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


def with_voice(page: Page, lang: str | None) -> Page:
    voices = f'[{{"lang": "{lang}", "name": "Stub"}}]' if lang else "[]"
    page.add_init_script(VOICE_STUB % voices)
    return page


def first_article(course_id: str):
    return next(lesson for lesson in starter(course_id).lessons if lesson.kind == "article")


def open_when_spoken(page: Page, path: str) -> None:
    """Open the lesson once the hub has made its speech (it starts doing so when it starts)."""
    deadline = time.monotonic() + SPEECH_WAIT_S
    page.goto(path)
    while page.locator(".listen audio").count() == 0:
        assert time.monotonic() < deadline, "the hub made no speech for the lesson in time"
        time.sleep(2)
        page.goto(path)


def test_without_javascript_the_hub_recording_plays(phones, screenshot):
    lesson = first_article(COURSE)
    page = phones.open(javascript=False)
    open_when_spoken(page, f"/courses/{COURSE}/{lesson.id}")
    audio = page.locator(".listen audio").first
    expect(audio).to_be_visible()
    expect(page.locator(".listen-note").first).to_have_text("Read by the hub's voice.")
    src = audio.get_attribute("src") or ""
    part = page.request.get(src, headers={"Range": "bytes=0-1023"})
    assert part.status == 206 and part.headers["content-type"] == "audio/ogg"
    assert part.body()[:4] == b"OggS"
    screenshot(page, "listen-no-js")
    assert phones.broken == []


def test_without_a_phone_voice_the_hub_recording_is_offered(phones):
    lesson = first_article(COURSE)
    page = with_voice(phones.open(), None)
    open_when_spoken(page, f"/courses/{COURSE}/{lesson.id}")
    expect(page.locator(".listen-button")).to_have_count(0)
    audio = page.locator(".listen audio").first
    expect(audio).to_be_visible()
    page.evaluate(
        "() => { const a = document.querySelector('.listen audio'); a.preload = 'auto'; a.load(); }"
    )
    wait_until_true(page, "document.querySelector('.listen audio').readyState >= 1", 15_000)
    assert page.evaluate("document.querySelector('.listen audio').duration") > 10


@pytest.mark.parametrize("course_id, lang", [("hand-hygiene-en", "en-GB"), ("hand-hygiene-ar", "ar-SA")])
def test_with_a_phone_voice_the_page_reads_with_it(phones, screenshot, course_id, lang):
    lesson = first_article(course_id)
    page = with_voice(phones.open(), lang)
    page.goto(f"/courses/{course_id}/{lesson.id}")
    listen = page.locator("#lesson-text .listen-button")
    expect(listen).to_have_text("Listen")
    steps_aside = page.locator("#lesson-text > .listen > :not(button)")  # the recording and its note
    assert steps_aside.count() >= 1
    for element in steps_aside.all():
        expect(element).to_be_hidden()
    listen.click()
    expect(listen).to_have_text("Stop")
    expect(page.locator("#lesson-text .reading")).to_have_count(1)  # the sentence being read is marked
    screenshot(page, f"listen-reading-{lang}")
    wait_until_true(page, "window.__spoken.length >= 3", 5_000)
    spoken = page.evaluate("window.__spoken")
    assert spoken[0] == lesson.title.strip()
    listen.click()
    expect(listen).to_have_text("Listen")
    expect(page.locator(".reading")).to_have_count(0)
    count = len(page.evaluate("window.__spoken"))
    time.sleep(0.5)
    assert len(page.evaluate("window.__spoken")) == count  # stopped means stopped
    nav = page.get_by_role("navigation", name="Main").locator(".listen-button")
    expect(nav).to_have_count(1 if lang.startswith("en") else 0)  # the labels are in English here
    assert phones.broken == []
