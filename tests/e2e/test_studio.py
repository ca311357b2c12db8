"""A tutor writes a course in the browser (article, phone video, 3-question quiz) and publishes it;
a resident finds it with the search box and completes it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import wait_until_true

pytestmark = pytest.mark.e2e

TUTOR = ("Tess Tutor", "tess-password-1")
TITLE = "Kitchen safety at home"
QUESTIONS = [
    ("single", "Which way should pan handles point?", ["Out over the edge", "Inwards, over the counter"], 1),
    ("truefalse", "You may throw water on a burning pan of oil.", None, False),
    ("numeric", "For how many minutes should you cool a burn under running water?", None, 20),
]


def add_tutor(home: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    subprocess.run(
        [sys.executable, "-m", "hub", "users", "add", TUTOR[0], "--role", "tutor", "--secret", TUTOR[1],
         "--home", str(home)],
        check=True, capture_output=True, env=env, timeout=60,
    )  # fmt: skip


def phone_video(path: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=15:duration=3",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "mpeg4", "-c:a", "aac",
         "-shortest", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def add_lesson(page: Page, kind: str, title: str) -> None:
    page.locator("#new-kind").select_option(kind)
    page.locator("#new-title").fill(title)
    page.get_by_role("button", name="Add the lesson").click()
    expect(page.locator("h1")).to_contain_text(title)


def back_to_course(page: Page) -> None:
    page.get_by_role("link", name="Back to the course").click()
    expect(page.locator("h1")).to_contain_text(TITLE)


def add_question(page: Page, kind: str, prompt: str, choices: list[str] | None, answer: object) -> None:
    form = page.locator("form.question-form")
    form.locator("#q-type").select_option(kind)
    form.locator("#q-prompt").fill(prompt)
    if kind == "single":
        for index, choice in enumerate(choices or []):
            form.locator(f'input[name="choice{index}"]').fill(choice)
        form.locator(f'input[name="right{answer}"]').check()
    elif kind == "truefalse":
        form.locator(f'input[name="truth"][value="{"true" if answer else "false"}"]').check()
    else:
        form.locator('input[name="number"]').fill(str(answer))
    form.locator("#q-explanation").fill(f"Explanation for: {prompt}")
    form.get_by_role("button", name="Add the question").click()
    expect(page.get_by_role("status")).to_have_text("Added.")


def test_tutor_writes_and_publishes_a_course_a_resident_finds_and_completes_it(
    phones, screenshot, hub_home, tmp_path
):
    add_tutor(hub_home)
    tutor = phones.open(javascript=True)
    tutor.goto("/signin")
    tutor.locator("#name").fill(TUTOR[0])
    tutor.locator("#pin").fill(TUTOR[1])
    tutor.get_by_role("button", name="Sign in").click()
    tutor.goto("/tutor/studio")
    tutor.get_by_role("link", name="Start a new course").click()
    tutor.locator("#title").fill(TITLE)
    tutor.locator("#summary").fill("Cook without burns or fires.")
    tutor.locator("#topic").select_option("first-aid")
    screenshot(tutor, "studio-01-new-course")
    tutor.get_by_role("button", name="Create the draft").click()
    expect(tutor.locator("h1")).to_contain_text(TITLE)

    # An article, with the live preview (JavaScript posts the Markdown to the hub).
    add_lesson(tutor, "article", "Hot pans and handles")
    tutor.locator("#body").fill("## Turn the handles in\n\nA child can **pull** a pan that sticks out.")
    expect(tutor.locator("#preview h2")).to_have_text("Turn the handles in")
    expect(tutor.locator("#preview strong")).to_have_text("pull")
    screenshot(tutor, "studio-02-article-live-preview")
    tutor.get_by_role("button", name="Save", exact=True).click()
    expect(tutor.get_by_role("status")).to_have_text("Saved.")
    back_to_course(tutor)

    # A video from a phone: stored, then made small for phones in the background.
    add_lesson(tutor, "video", "A safe kitchen, in pictures")
    tutor.locator("#file").set_input_files(str(phone_video(tmp_path / "kitchen.mp4")))
    tutor.locator("#body").fill("The video shows a test pattern while a tone plays.")
    tutor.get_by_role("button", name="Save", exact=True).click()
    expect(tutor.locator("section.job")).to_be_visible()
    screenshot(tutor, "studio-03-video-preparing")
    expect(tutor.locator("section.job")).to_contain_text("small copy for phones is ready", timeout=60_000)
    screenshot(tutor, "studio-04-video-ready")
    back_to_course(tutor)

    # A quiz, question by question.
    add_lesson(tutor, "quiz", "Check what you know")
    for question in QUESTIONS:
        add_question(tutor, *question)
    expect(tutor.locator("ol.studio-questions > li")).to_have_count(3)
    screenshot(tutor, "studio-05-quiz")
    back_to_course(tutor)
    screenshot(tutor, "studio-06-course-editor")

    # Preview as a resident, then publish.
    tutor.get_by_role("link", name="Preview as a resident").click()
    expect(tutor.locator(".preview-banner")).to_be_visible()
    tutor.get_by_role("link", name="Start the course").click()
    expect(tutor.locator("article h2")).to_have_text("Turn the handles in")
    screenshot(tutor, "studio-07-preview-as-resident")
    tutor.get_by_role("link", name="Back to editing").click()
    back_to_course(tutor)
    tutor.get_by_role("button", name="Publish").click()
    expect(tutor.get_by_role("status")).to_contain_text("Published")
    screenshot(tutor, "studio-08-published")

    # A resident on another phone finds it with the search box (the index follows within seconds).
    resident = phones.open(javascript=True)
    deadline = time.monotonic() + 20
    while True:
        resident.goto("/")  # the results page has its own search form, not the header's
        resident.locator("#header-search-q").fill("kitchen safety")
        resident.locator("form.header-search").get_by_role("button", name="Search").click()
        hit = resident.get_by_role("link", name=re.compile("Kitchen safety"))
        if hit.count() or time.monotonic() > deadline:
            break
        time.sleep(1)
    screenshot(resident, "studio-09-resident-search")
    hit.first.click()
    expect(resident.locator("h1")).to_have_text(TITLE)
    expect(resident.locator(".source")).to_contain_text("Made locally, not verified")
    resident.get_by_role("link", name="Start the course").click()

    expect(resident.locator("article h2")).to_have_text("Turn the handles in")
    resident.get_by_role("button", name="Done, next lesson").click()

    video = resident.locator("article video")
    expect(video.locator("source").first).to_have_attribute("src", re.compile(r"/kitchen\.360p\.mp4$"))
    expect(video).to_have_attribute("poster", re.compile(r"kitchen\.poster\.jpg$"))
    wait_until_true(resident, "document.querySelector('article video').readyState >= 1", 15_000)
    height = resident.evaluate("document.querySelector('article video').videoHeight")
    assert height == 360
    screenshot(resident, "studio-10-resident-video")
    resident.get_by_role("button", name="Done, next lesson").click()

    form = resident.locator("form.quiz")
    form.locator('input[name="q0"][value="1"]').check()
    form.locator('input[name="q1"][value="false"]').check()
    form.locator('input[name="q2"]').fill("20")
    resident.get_by_role("button", name="Check my answers").click()
    expect(resident.locator(".result h2")).to_have_text("Your score: 3 out of 3")
    screenshot(resident, "studio-11-resident-quiz")
    resident.get_by_role("link", name="Back to the course").click()
    expect(resident.locator(".done-note")).to_have_text("You have finished this course. Well done!")
    screenshot(resident, "studio-12-resident-finished")
    assert phones.broken == []
