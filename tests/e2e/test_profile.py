"""A profile (name + PIN) carries a resident's progress to another device."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import main_nav, starter

pytestmark = pytest.mark.e2e

COURSE = "job-readiness-en"
NAME = "Amina Test"
PIN = "1234"
# By field name: the labels' wording may change ("PIN", "PIN or password").
NAME_FIELD = 'form.stack input[name="name"]'
PIN_FIELD = 'form.stack input[name="pin"]'


def test_profile_follows_the_resident_to_another_device(phones, screenshot):
    manifest = starter(COURSE)
    title = manifest.course.title

    # First phone: finish a lesson (opening one keeps nothing yet), then save the progress under a
    # name and PIN.
    first = phones.open(javascript=False)
    first.goto(f"/courses/{COURSE}")
    first.get_by_role("link", name="Start the course").click()
    expect(first.locator("h1")).to_have_text(manifest.lessons[0].title)
    first.get_by_role("button", name="Done, next lesson").click()
    expect(first.locator("h1")).to_have_text(manifest.lessons[1].title)
    main_nav(first, "My learning").click()
    expect(first).to_have_url(re.compile(r"/me$"))
    in_progress = first.get_by_role("heading", name="In progress").locator("xpath=following-sibling::ul[1]")
    expect(in_progress.locator("li.card h3")).to_have_text([title])
    first.locator(NAME_FIELD).fill(NAME)
    first.locator(PIN_FIELD).fill(PIN)
    first.get_by_role("button", name="Save my progress").click()
    expect(first).to_have_url(re.compile(r"/me\?saved=1$"))
    saved = first.get_by_role("status")
    expect(saved).to_contain_text(f"You are signed in as {NAME}.")
    assert (saved.bounding_box() or {"y": 9999})["y"] < 740, "the confirmation is below the first screen"
    expect(first.locator("section.profile")).to_contain_text(f"You are signed in as {NAME}.")
    expect(first.locator("footer")).to_contain_text(f"Signed in as {NAME}.")
    screenshot(first, "profile-01-created")

    # Second phone: nothing yet; a wrong PIN is refused with a message.
    second = phones.open(javascript=False)
    second.goto("/me")
    expect(second.get_by_role("main")).to_contain_text("You have not started a course yet.")
    second.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(second).to_have_url(re.compile(r"/signin$"))
    second.locator(NAME_FIELD).fill(NAME)
    second.locator(PIN_FIELD).fill("9999")
    second.get_by_role("button", name="Sign in").click()
    expect(second.get_by_role("alert")).to_have_text("That name and PIN do not match. Please try again.")
    expect(second.locator(NAME_FIELD)).to_have_value(NAME)
    screenshot(second, "profile-02-wrong-pin")
    assert phones.broken == [f"400 POST {phones.base_url}/signin"]  # the refusal, and nothing else
    phones.broken.clear()

    # The right PIN: the same course is in progress here too.
    second.locator(PIN_FIELD).fill(PIN)
    second.get_by_role("button", name="Sign in").click()
    expect(second).to_have_url(re.compile(r"/me$"))
    in_progress = second.get_by_role("heading", name="In progress").locator("xpath=following-sibling::ul[1]")
    expect(in_progress.locator("li.card h3")).to_have_text([title])
    expect(in_progress.get_by_role("link", name="Continue")).to_have_attribute(
        "href", f"/courses/{COURSE}/{manifest.lessons[1].id}"
    )
    expect(second.locator("section.profile")).to_contain_text(f"You are signed in as {NAME}.")
    screenshot(second, "profile-03-second-device")
    assert phones.broken == []
