"""First-run setup, an admin making a tutor, and a shared device passed from tutor to learner."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import main_nav, setup_code, starter

pytestmark = pytest.mark.e2e

HUB_NAME = "Riverside Library"
ADMIN = ("Ada Admin", "admin-password-1")
TUTOR = ("Tom Tutor", "tutor-password-1")
LEARNER = ("Lena", "2468")


def sign_in(page: Page, name: str, secret: str) -> None:
    page.goto("/signin")
    page.locator('form.stack input[name="name"]').fill(name)
    page.locator('form.stack input[name="pin"]').fill(secret)
    page.get_by_role("button", name="Sign in").click()


def add_account(page: Page, name: str, role: str, secret: str) -> None:
    form = page.locator('form[action="/admin/users"]')
    form.locator('input[name="name"]').fill(name)
    form.locator('select[name="role"]').select_option(role)
    form.locator('input[name="secret"]').fill(secret)
    form.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text(f"Account {name} created.")


def test_setup_admin_tutor_and_a_learner_on_a_shared_device(phones, screenshot, hub_home):
    # First run: whoever has the setup code `hub serve` printed names the hub and becomes its admin.
    admin = phones.open(javascript=False)
    admin.goto("/admin")
    expect(admin).to_have_url(re.compile(r"/admin/setup$"))
    admin.locator("#code").fill(setup_code(hub_home))
    admin.locator("#hub_name").fill(HUB_NAME)
    admin.locator("#default_language").select_option("en")
    admin.locator("#name").fill(ADMIN[0])
    admin.locator("#password").fill(ADMIN[1])
    screenshot(admin, "accounts-01-setup")
    admin.get_by_role("button", name="Create the hub").click()
    expect(admin).to_have_url(re.compile(r"/admin$"))
    expect(admin.locator("header .brand")).to_have_text(HUB_NAME)
    expect(admin.locator("dl.state").first).to_contain_text("Courses")
    screenshot(admin, "accounts-02-dashboard")

    # The admin creates a tutor and a learner.
    admin.get_by_role("main").get_by_role("link", name="Accounts").click()
    add_account(admin, TUTOR[0], "tutor", TUTOR[1])
    add_account(admin, LEARNER[0], "learner", LEARNER[1])
    screenshot(admin, "accounts-03-users")

    # Setup is over: someone else cannot reach it or the admin area.
    stranger = phones.open(javascript=False)
    stranger.goto("/admin/setup")
    expect(stranger).to_have_url(re.compile(r"/admin$|/admin\?"))
    expect(stranger.get_by_role("alert")).to_contain_text("Please sign in")
    phones.broken.clear()  # the stranger's 401 was the point

    # A shared device: the tutor signs in, learns a little, sees the tutor page, signs out.
    shared = phones.open(javascript=False)
    sign_in(shared, *TUTOR)
    main_nav(shared, "Tutor").click()
    expect(shared.get_by_role("heading", name="Learners' progress")).to_be_visible()
    tutor_course = starter("first-aid-en")
    shared.goto(f"/courses/{tutor_course.course.id}/{tutor_course.lessons[0].id}")
    shared.goto("/me")
    shared.get_by_role("button", name="Sign out").click()
    expect(shared).to_have_url(re.compile(r"/$"))
    expect(shared.locator("header nav")).not_to_contain_text("Tutor")

    # The learner signs in with her PIN on the same browser and sees only her own progress.
    sign_in(shared, *LEARNER)
    expect(shared).to_have_url(re.compile(r"/me$"))
    expect(shared.get_by_role("main")).to_contain_text("You have not started a course yet.")
    own_course = starter("hand-hygiene-en")
    shared.goto(f"/courses/{own_course.course.id}/{own_course.lessons[0].id}")
    main_nav(shared, "My learning").click()
    cards = shared.locator("main li.card h3")
    expect(cards).to_have_text([own_course.course.title])
    expect(shared.get_by_role("main")).not_to_contain_text(tutor_course.course.title)
    screenshot(shared, "accounts-04-learner-own-progress")
    shared.goto("/tutor")
    expect(shared.get_by_role("alert")).to_contain_text("only for the hub's tutors")
    assert [b for b in phones.broken if not b.endswith("/tutor")] == []
