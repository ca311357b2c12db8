"""A Kolibri channel imported from the command line plays on a phone: its video loads in Chromium
with both subtitle tracks, and its exercise is a quiz a resident answers and passes."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from content.model import Lesson
from tests.e2e.conftest import PHONE, Phones
from tests.e2e.helpers import fill_correct_answers, wait_until_true

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "kolibri" / "KOLIBRI_DATA"
WATER = "kolibri-62ebc12742c15171b7a7c59ce500b557"
CHECK = "kolibri-ff896407246754f99ccf18b9cbf07989"


def imported_lessons(home: Path, course_id: str) -> list[Lesson]:
    with sqlite3.connect(home / "hub.db") as db:
        rows = db.execute("SELECT data FROM lessons WHERE course_id = ? ORDER BY position", [course_id])
        return [Lesson.model_validate(json.loads(data)) for (data,) in rows.fetchall()]


@pytest.fixture(scope="module")
def channel(hub_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    drive = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("stick") / "KOLIBRI_DATA"))
    subprocess.run(
        [sys.executable, "-m", "hub", "content", "import", str(drive), "--allow-unverified", "--yes",
         "--home", str(hub_home)],
        check=True, capture_output=True, env={**os.environ, "COLUMNS": "200"}, timeout=120,
    )  # fmt: skip
    return drive


def small_phone(phones: Phones, javascript: bool = True) -> Page:
    """A 360 × 740 phone (the fixture's phones are 390 wide)."""
    size = {"viewport": {"width": 360, "height": 740}}
    context = phones.browser.new_context(
        **{**PHONE, **size}, base_url=phones.base_url, java_script_enabled=javascript
    )
    context.on("response", phones._note_broken)
    phones.contexts.append(context)
    return context.new_page()


def test_the_imported_video_plays_with_its_subtitles_on_a_phone(channel, hub_home, phones, screenshot):
    video = imported_lessons(hub_home, WATER)[0]
    page = small_phone(phones)
    page.goto(f"/courses/{WATER}")
    expect(page.locator("h1")).to_have_text("Making water safe")
    expect(page.locator("main .source-mark")).to_have_text("○ Imported from a Kolibri channel, not verified")
    screenshot(page, "kolibri-course")
    page.goto(f"/courses/{WATER}/{video.id}")
    expect(page.locator("h1")).to_have_text("Boiling water")
    wait_until_true(page, "document.querySelector('article video').readyState >= 1", 15_000)
    wait_until_true(page, "document.querySelector('article video').textTracks.length >= 2")
    state = page.evaluate(
        """() => {
        const video = document.querySelector("article video");
        return {width: video.videoWidth, duration: video.duration, poster: video.poster,
                tracks: [...video.textTracks].map((t) => [t.language, t.label])};
        }"""
    )
    assert state["width"] == 160 and state["duration"] > 0.5
    assert state["tracks"] == [["en", "English"], ["fr", "Français"]]
    assert state["poster"], "the channel's thumbnail is the poster"
    wait_until_true(page, "(document.querySelector('article video').textTracks[0].cues || []).length > 0")
    expect(page.locator("article")).to_contain_text("Licence: CC BY-SA")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    screenshot(page, "kolibri-video")
    assert phones.broken == []


@pytest.mark.parametrize("javascript", [True, False])
def test_the_imported_exercise_is_a_quiz_a_resident_passes(channel, hub_home, phones, screenshot, javascript):
    quiz = imported_lessons(hub_home, CHECK)[0]  # then the channel's HTML5 app
    page = small_phone(phones, javascript)
    page.goto(f"/courses/{CHECK}/{quiz.id}")
    expect(page.locator("h1")).to_have_text("Water quiz")
    expect(page.locator("form.quiz")).to_contain_text("How long should water boil to be safe to drink?")
    expect(page.locator("form.quiz")).to_contain_text("One full minute")
    fill_correct_answers(page, quiz.questions)
    page.get_by_role("button", name="Check my answers").click()
    result = page.locator("section.result")
    expect(result).to_have_class(re.compile(r"\bpassed\b"))
    expect(result.locator("h2")).to_have_text("Your score: 2 out of 2")
    screenshot(page, f"kolibri-quiz-{'js' if javascript else 'nojs'}")
    assert phones.broken == []
