"""Syncing as people do it, on phones: a central server and a hub, each a real `hub serve` with its
own home. The centre's admin makes a joining code (an enrolment token) on /admin/sync; the hub's
admin enrols with it (after a wrong one is refused), presses "Sync now" and reads what moved; a
learner finishes a starter course on the hub; the centre's tutor sees that hub and that course on
/tutor/hubs, with no learner's name. A code already used by another hub is refused and leaves the
hub unenrolled."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from hub.home import Hub
from hub.plugins.sync import client
from tests.conftest import run_hub
from tests.e2e.conftest import Phones
from tests.e2e.helpers import fill_correct_answers, main_nav, set_up, sign_in, starter
from tests.processes import Server, serve

pytestmark = pytest.mark.e2e

CENTRE_NAME = "City Learning Office"
HUB_NAME = "Riverside Library"
CENTRE_ADMIN = ("Cleo Central", "central-password-1")
HUB_ADMIN = ("Hana Hub", "hub-password-1")
TUTOR = ("Theo Tutor", "tutor-password-1")
LEARNER = ("Zuzana Quillfeather", "2468")  # a name no page could show by chance
COURSE = "climate-at-home-en"
OTHER_COURSE = "phone-safety-en"
SYNC_SECONDS = 60

Screenshot = Callable[[Page, str], Path]


def add_account(server: Server, role: str, name: str, secret: str) -> None:
    added = run_hub("users", "add", name, "--role", role, "--secret", secret, home=server.home)
    assert added.returncode == 0, added.stdout + added.stderr


def fact(within: Page | Locator, term: str) -> Locator:
    """The value next to a term in a list of facts (<dl>)."""
    return within.locator(f'xpath=//dl/dt[normalize-space()="{term}"]/following-sibling::dd[1]')


def make_token(page: Page, hub_name: str) -> str:
    page.goto("/admin/sync")
    page.locator("#token-name").fill(hub_name)
    page.get_by_role("button", name="Make a joining code").click()
    expect(page.get_by_role("status")).to_contain_text(f"Give this joining code to the admin of {hub_name}.")
    token = page.locator("code.key").inner_text().strip()
    assert re.fullmatch(r"[a-z2-7]{32}", token), token
    return token


def enrol(page: Page, central_url: str, token: str) -> None:
    page.goto("/admin/sync")
    page.locator("#sync-url").fill(central_url)
    page.locator("#sync-token").fill(token)
    page.get_by_role("button", name="Enrol this hub").click()


def expect_not_enrolled(page: Page) -> None:
    main = page.get_by_role("main")
    expect(main).to_contain_text("This hub is not enrolled with a central server yet.")
    expect(page.get_by_role("button", name="Enrol this hub")).to_be_visible()
    expect(page.get_by_role("button", name="Sync now")).to_have_count(0)


def wait_for_the_sync(page: Page) -> None:
    """Wait on /admin/sync, which refreshes itself while a sync runs, until it has finished."""
    expect(fact(page, "Next sync")).not_to_have_text("Running now", timeout=SYNC_SECONDS * 1000)
    expect(fact(page, "Last sync")).not_to_have_text("Not yet")
    expect(fact(page, "Last problem")).to_have_count(0)


def finish_course(page: Page, course_id: str) -> int:
    """Read every lesson of a starter course and pass its quiz; the number of lessons."""
    manifest = starter(course_id)
    page.goto(f"/courses/{course_id}")
    page.get_by_role("link", name="Start the course").click()
    for lesson in manifest.lessons[:-1]:
        expect(page.locator("h1")).to_have_text(lesson.title)
        page.get_by_role("button", name="Done, next lesson").click()
    quiz = manifest.lessons[-1]
    assert quiz.kind == "quiz"
    fill_correct_answers(page, quiz.questions)
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator("section.result")).to_contain_text("Well done, you passed!")
    return len(manifest.lessons)


def table_row(page: Page, heading: str, first_cell: str) -> Locator:
    """The row of the table under a heading whose first cell is first_cell."""
    table = page.locator(f'xpath=//h2[normalize-space()="{heading}"]/following-sibling::div[1]//table')
    return table.locator("tbody tr").filter(has=page.locator(f'td:first-child:text-is("{first_cell}")'))


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_hub_enrols_syncs_and_its_progress_reaches_the_centre_without_names(
    browser: Browser, tmp_path: Path, servers: list[Server], screenshot: Screenshot, javascript: bool
) -> None:
    def shot(page: Page, name: str) -> None:
        screenshot(page, f"sync-{name}-{'js' if javascript else 'no-js'}")

    central = serve(tmp_path / "central", "--role", "central")
    servers.append(central)
    hub = serve(tmp_path / "hub")
    servers.append(hub)
    on_centre, on_hub = Phones(browser, central.url), Phones(browser, hub.url)
    try:
        # The centre's admin sets it up and makes a token for the new hub.
        centre_admin = on_centre.open(javascript)
        set_up(centre_admin, CENTRE_NAME, CENTRE_ADMIN, central.home)
        centre_admin.goto("/admin/sync")
        expect(centre_admin.get_by_role("main")).to_contain_text("No hub is enrolled yet.")
        token = make_token(centre_admin, HUB_NAME)
        shot(centre_admin, "01-central-token")

        # The hub's admin: a wrong token is refused in plain words and nothing changes.
        hub_admin = on_hub.open(javascript)
        set_up(hub_admin, HUB_NAME, HUB_ADMIN, hub.home)
        hub_admin.goto("/admin/sync")
        expect_not_enrolled(hub_admin)
        shot(hub_admin, "02-hub-not-enrolled")
        enrol(hub_admin, central.url, "abcdefghijklmnopqrstuvwxyz234567")
        expect(hub_admin.get_by_role("alert")).to_have_text(
            "Enrolment failed: This joining code is not known here. Check it, or ask for a new one."
        )
        expect(hub_admin.locator("#sync-url")).to_have_value(central.url)  # kept, to correct a typo
        expect_not_enrolled(hub_admin)
        shot(hub_admin, "03-hub-wrong-token")
        hub_admin.goto("/admin/sync")
        expect_not_enrolled(hub_admin)
        on_hub.broken.clear()  # the refusal's 400 was the point

        # The right token (typed on a phone, whose keyboard capitalised its first letter): enrolled,
        # and the first sync runs on its own; nothing needed to move.
        enrol(hub_admin, central.url, token[0].upper() + token[1:])
        expect(hub_admin).to_have_url(re.compile(r"/admin/sync$"))
        expect(hub_admin.get_by_role("main")).to_contain_text(
            f"This hub is enrolled with {CENTRE_NAME} ({central.url})."
        )
        wait_for_the_sync(hub_admin)
        expect(fact(hub_admin, "What moved then")).to_have_text(
            "Nothing: this hub and the central server were already in step."
        )
        expect(fact(hub_admin, "Waiting to be sent")).to_have_text("Progress changes: 0")
        shot(hub_admin, "04-hub-enrolled-synced")
        centre_admin.goto("/admin/sync")
        enrolled = centre_admin.locator("li.card", has_text=HUB_NAME)
        expect(enrolled.locator("h3")).to_have_text(HUB_NAME)
        enrolled.get_by_text("Identity code").click()  # technical values wait behind a fold
        expect(enrolled.locator("details code")).to_have_text(Hub(hub.home).device.id)
        expect(fact(enrolled, "Last seen")).not_to_have_text("Not yet")
        shot(centre_admin, "05-central-hub-enrolled")

        # A learner finishes a starter course on the hub; her progress waits to be sent.
        add_account(hub, "learner", *LEARNER)
        learner = on_hub.open(javascript)
        sign_in(learner, *LEARNER)
        lessons = finish_course(learner, COURSE)
        hub_admin.goto("/admin/sync")
        waiting = fact(hub_admin, "Waiting to be sent").inner_text()
        sent = int(re.fullmatch(r"Progress changes: (\d+)", waiting).group(1))  # type: ignore[union-attr]
        assert sent >= lessons  # a change per lesson, and more for the quiz attempt and time spent

        # "Sync now": the page tells what moved, in plain words.
        hub_admin.get_by_role("button", name="Sync now").click()
        expect(hub_admin).to_have_url(re.compile(r"/admin/sync$"))
        wait_for_the_sync(hub_admin)
        expect(fact(hub_admin, "Waiting to be sent")).to_have_text("Progress changes: 0")
        moved = fact(hub_admin, "What moved then")
        expect(moved).to_contain_text(f"Progress changes sent: {sent}")
        expect(moved).to_contain_text("Progress changes received: 0")
        expect(moved).to_contain_text("Courses brought in: 0")
        shot(hub_admin, "06-hub-synced-progress")

        # The centre's tutor sees the hub and the course, and no learner's name.
        add_account(central, "tutor", *TUTOR)
        tutor = on_centre.open(javascript)
        sign_in(tutor, *TUTOR)
        main_nav(tutor, "Hubs").click()
        expect(tutor).to_have_url(re.compile(r"/tutor/hubs$"))
        course = starter(COURSE).course
        expect(table_row(tutor, "Per course", course.title).locator("td")).to_have_text(
            [course.title, "1", "1", "100%"]
        )
        hub_card = tutor.locator("li.card").filter(has=tutor.get_by_role("heading", name=HUB_NAME))
        expect(fact(hub_card, "Learners")).to_have_text("1")
        expect(fact(hub_card, "Lessons completed")).to_have_text(str(lessons))
        expect(fact(hub_card, "Courses completed")).to_have_text("1")
        expect(fact(hub_card, "Last sync")).not_to_have_text("–")
        expect(tutor.get_by_role("heading", name="Named learners")).to_have_count(0)
        learner_id = Hub(hub.home).db.execute("SELECT id FROM learners WHERE name = ?", [LEARNER[0]])
        learner_id = learner_id.fetchone()[0]
        shown = tutor.content()
        assert LEARNER[0] not in shown and LEARNER[0].split()[0] not in shown and learner_id not in shown
        shot(tutor, "07-central-tutor-hubs")

        # Once the hub's admin chooses named profiles, her name does reach the centre with her next
        # progress (so its absence above was the sharing rule at work, not a page that hides names).
        hub_admin.goto("/admin/sync")
        hub_admin.locator('input[name="sharing"][value="named_profiles"]').check()
        hub_admin.get_by_role("button", name="Save what this hub shares").click()
        expect(hub_admin.locator('input[name="sharing"][value="named_profiles"]')).to_be_checked()
        other = starter(OTHER_COURSE)
        learner.goto(f"/courses/{OTHER_COURSE}/{other.lessons[0].id}")
        expect(learner.locator("h1")).to_have_text(other.lessons[0].title)
        hub_admin.get_by_role("button", name="Sync now").click()
        # Over plain http:// names stay home until both admins say the network is private.
        expect(fact(hub_admin, "Next sync")).not_to_have_text("Running now", timeout=SYNC_SECONDS * 1000)
        expect(fact(hub_admin, "Last problem")).to_contain_text("names would cross the network unprotected")
        for admin in (hub_admin, centre_admin):
            admin.goto("/admin/sync")
            admin.get_by_label(re.compile("Let names cross plain http://")).check()
            admin.get_by_role("button", name="Save what this hub shares").click()
            expect(admin.get_by_label(re.compile("Let names cross plain http://"))).to_be_checked()
        hub_admin.get_by_role("button", name="Sync now").click()
        wait_for_the_sync(hub_admin)
        tutor.reload()
        expect(table_row(tutor, "Named learners", LEARNER[0]).locator("td").nth(1)).to_have_text(HUB_NAME)
        shot(tutor, "08-central-tutor-hubs-named")
        assert on_hub.broken == [] and on_centre.broken == []
    finally:
        on_centre.close()
        on_hub.close()


def test_a_used_token_is_refused_and_leaves_the_hub_unenrolled(
    browser: Browser, tmp_path: Path, servers: list[Server], screenshot: Screenshot
) -> None:
    central = serve(tmp_path / "central", "--role", "central")
    servers.append(central)
    made = run_hub("sync", "token", "create", "--name", "Hilltop", home=central.home)
    assert made.returncode == 0, made.stdout
    token = made.stdout.strip().splitlines()[-1]
    first = run_hub("sync", "enroll", central.url, token, home=tmp_path / "hilltop")
    assert first.returncode == 0, first.stdout  # Hilltop used the token from its terminal
    hub = serve(tmp_path / "hub")
    servers.append(hub)
    phones = Phones(browser, hub.url)
    try:
        admin = phones.open(javascript=True)
        set_up(admin, HUB_NAME, HUB_ADMIN, hub.home)
        enrol(admin, central.url, token)
        expect(admin.get_by_role("alert")).to_have_text(
            "Enrolment failed: This joining code was already used. "
            "Ask the central server's admin for a new one."
        )
        expect_not_enrolled(admin)
        screenshot(admin, "sync-09-hub-used-token")
        admin.goto("/admin/sync")
        expect_not_enrolled(admin)
        assert client.central(Hub(hub.home)) is None
    finally:
        phones.close()
