"""Carrying progress by USB stick with the admin's buttons, on phones with JavaScript off: two
hubs, each a real `hub serve` with its own home. Each admin offers the stick's folder in
Settings; a resident learns on the first hub; its admin exports onto the stick; the second
hub's admin sees who wrote onto it, is refused until she ticks the box that introduces the first
hub by its device id, then imports, and the resident's progress is on the second hub."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from hub.home import Hub
from sync import bundle
from tests.e2e.conftest import Phones
from tests.e2e.helpers import set_up
from tests.processes import Server, serve
from tests.sync.states import stored_state

pytestmark = pytest.mark.e2e

FIRST, SECOND = (
    ("Riverside Library", ("Rita River", "river-password-1")),
    ("Hilltop Clinic", ("Hugo Hill", "hill-password-1")),
)
COURSE = "climate-at-home-en"
JOB_SECONDS = 60

Screenshot = Callable[[Page, str], Path]


def offer_the_stick(page: Page, stick: Path) -> None:
    """Settings: add the stick's folder to the folders offered (a real stick mounts under /media)."""
    page.goto("/admin/settings")
    page.locator("#import_folders").fill(str(stick))
    page.get_by_role("button", name="Save").click()
    page.goto("/admin")
    page.get_by_role("link", name="USB sticks").click()
    expect(page.locator("h1")).to_have_text("USB sticks")


def the_stick(page: Page, stick: Path) -> Locator:
    return page.locator(
        "li.card", has=page.locator("h3", has_text=re.compile(f"^USB stick {re.escape(stick.name)}$"))
    )


def wait_for_the_job(page: Page, title: str) -> str:
    """The page refreshes itself while the job runs; its outcome once it is done or failed."""
    job = page.locator("ul.jobs li.card", has=page.locator(f'h3:text-is("{title}")')).first
    expect(job.locator("p.meta")).to_contain_text(re.compile("Done|Failed"), timeout=JOB_SECONDS * 1000)
    return job.inner_text()


def test_an_admin_carries_progress_to_another_hub_on_a_stick(
    browser: Browser, tmp_path: Path, servers: list[Server], screenshot: Screenshot
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    first, second = serve(tmp_path / "riverside"), serve(tmp_path / "hilltop")
    servers += [first, second]
    on_first, on_second = Phones(browser, first.url), Phones(browser, second.url)
    try:
        resident = on_first.open(javascript=False)
        resident.goto(f"/courses/{COURSE}")
        resident.get_by_role("link", name="Start the course").click()
        resident.get_by_role("button", name="Done, next lesson").click()

        river = on_first.open(javascript=False)
        set_up(river, FIRST[0], FIRST[1], first.home)
        offer_the_stick(river, stick)
        card = the_stick(river, stick)
        expect(card).to_contain_text("No hub has written onto this stick yet.")
        screenshot(river, "sticks-01-found")
        card.get_by_role("button", name="Export onto this stick").click()
        outcome = wait_for_the_job(river, f"Export onto {stick.name}")
        assert "Done" in outcome and re.search(r"[1-9]\d* new progress changes? written", outcome), outcome
        expect(the_stick(river, stick)).to_contain_text("This hub")
        screenshot(river, "sticks-02-exported")

        hill = on_second.open(javascript=False)
        set_up(hill, SECOND[0], SECOND[1], second.home)
        offer_the_stick(hill, stick)
        card = the_stick(hill, stick)
        river_id = Hub(first.home).device.id
        expect(card).to_contain_text(FIRST[0])
        expect(card).to_contain_text("not introduced")
        screenshot(hill, "sticks-03-not-introduced")
        card.get_by_role("button", name="Import from this stick").click()  # without checking the id
        refused = wait_for_the_job(hill, f"Import from {stick.name}")
        assert "Failed" in refused and "has not been introduced" in refused and river_id in refused

        the_stick(hill, stick).get_by_label(re.compile(f"identity code reads {river_id}")).check()
        the_stick(hill, stick).get_by_role("button", name="Import from this stick").click()
        taken = wait_for_the_job(hill, f"Import from {stick.name}")
        assert "Done" in taken and re.search(r"[1-9]\d* new progress changes? taken in", taken), taken
        assert "This hub's answer was written back onto the stick." in taken
        expect(the_stick(hill, stick)).not_to_contain_text("not introduced")
        screenshot(hill, "sticks-04-imported")
        assert not on_first.broken and not on_second.broken, on_first.broken + on_second.broken
    finally:
        on_first.close()
        on_second.close()

    river_hub, hill_hub = Hub(first.home), Hub(second.home)
    carried = {(river_hub.device.pseudonym(learner), *rest): state
               for (learner, *rest), state in stored_state(river_hub).lessons.items()}  # fmt: skip
    assert carried and stored_state(hill_hub).lessons == carried  # all of it, under the hub's codes only
    assert (stick / bundle.ROOT / hill_hub.device.id / bundle.BUNDLE_FILE).is_file()
