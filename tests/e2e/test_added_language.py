"""An interface language the hub does not ship, added by an admin in the browser: Pashto, translated
partly on the strings page (the English beside each) and partly by uploading a .po file, switched
on, then read on a 360 px phone with JavaScript off, right to left. The first hub's admin carries it
on a stick; the second hub, once it trusts the first hub's key, offers it too."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from hub import po_files, trust
from hub.home import Hub
from tests.e2e.conftest import PHONE, Phones
from tests.e2e.helpers import choose_language, set_up
from tests.e2e.test_usb_sticks import offer_the_stick, the_stick, wait_for_the_job
from tests.hub.test_interface_languages import po_file
from tests.processes import Server, serve

pytestmark = pytest.mark.e2e

FIRST, SECOND = (
    ("Riverside Library", ("Rita River", "river-password-1")),
    ("Hilltop Clinic", ("Hugo Hill", "hill-password-1")),
)
HOME_PS, COURSES_PS = "کور", "کورسونه"
CHOOSE_PS = "خپله ژبه وټاکئ"
UPLOADED = {"Choose your language": CHOOSE_PS, "Courses": COURSES_PS, "My learning": "زما زده کړه"}
FRENCH_HINT = "cours courts sur la santé"  # the French fallback, for what is not translated yet

Screenshot = Callable[[Page, str], Path]
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}


def small_phone(phones: Phones) -> Page:
    """A 360 px phone with JavaScript off, closed with the others (Phones opens 390 px ones)."""
    context = phones.browser.new_context(**SMALL_PHONE, base_url=phones.base_url, java_script_enabled=False)
    context.on("response", phones._note_broken)
    phones.contexts.append(context)
    return context.new_page()


def add_pashto_in_the_browser(page: Page, tmp_path: Path, screenshot: Screenshot) -> None:
    page.goto("/admin")
    page.get_by_role("link", name="Interface languages").click()
    expect(page.locator("h1")).to_have_text("Interface languages")
    page.get_by_label("Language code").fill("ps")
    page.get_by_label("Fallback for words not yet translated").select_option("fr")
    page.get_by_role("button", name="Add this language").click()
    expect(page.locator("h1")).to_contain_text("پښتو")
    expect(page.locator("main")).to_contain_text("Written right to left.")

    # The strings page, a page at a time, the English as each box's label.
    messages = [m.id for m in po_files.template() if m.id]
    page.goto(f"/admin/languages/ps/strings?page={messages.index('Home') // 25 + 1}")
    page.get_by_label("Home", exact=True).fill(HOME_PS)
    screenshot(page, "added-language-01-strings")
    page.get_by_role("button", name="Save this page").click()
    expect(page.locator("[role=status]")).to_have_text("Saved.")

    po = tmp_path / "ps.po"
    po.write_bytes(po_file(UPLOADED))
    page.get_by_role("link", name="پښتو").click()
    page.get_by_label(re.compile("A .po file filled in")).set_input_files(po)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[role=status]")).to_contain_text("The file was taken: 4 of")
    page.get_by_label("Offer this language to everyone on the hub").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[role=status]")).to_have_text("Saved.")
    screenshot(page, "added-language-02-language")


def reads_pashto_right_to_left(page: Page, screenshot: Screenshot, name: str) -> None:
    page.goto("/")
    choose_language(page, "ps")
    screenshot(page, name)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    nav = page.get_by_role("navigation", name=re.compile(".")).first
    home = nav.get_by_role("link", name=HOME_PS, exact=True)
    courses = nav.get_by_role("link", name=COURSES_PS)
    expect(home).to_be_visible()
    expect(courses).to_be_visible()
    expect(page.locator("head meta[name=description]")).to_have_attribute("content", re.compile(FRENCH_HINT))
    # Laid out right to left: the first link of the menu is right of the second, the hub's name at the
    # right of the header, and nothing wider than the phone.
    first, second = home.bounding_box(), courses.bounding_box()
    brand = page.locator("header .brand").bounding_box()
    assert first and second and brand
    assert first["x"] > second["x"], (first, second)
    assert brand["x"] + brand["width"] > 360 / 2, brand
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_added_language_on_a_phone_and_on_a_second_hub_by_stick(
    browser: Browser, tmp_path: Path, servers: list[Server], screenshot: Screenshot
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    first, second = serve(tmp_path / "riverside"), serve(tmp_path / "hilltop")
    servers += [first, second]
    on_first, on_second = Phones(browser, first.url), Phones(browser, second.url)
    try:
        river = on_first.open(javascript=False)
        set_up(river, FIRST[0], FIRST[1], first.home)
        add_pashto_in_the_browser(river, tmp_path, screenshot)

        resident = small_phone(on_first)
        reads_pashto_right_to_left(resident, screenshot, "added-language-03-phone-home")
        resident.locator("header a.lang").click()
        expect(resident.locator("h1")).to_have_text(CHOOSE_PS)
        screenshot(resident, "added-language-04-phone-picker")

        offer_the_stick(river, stick)
        the_stick(river, stick).get_by_role("button", name="Export onto this stick").click()
        assert "Done" in wait_for_the_job(river, f"Export onto {stick.name}")

        hill = on_second.open(javascript=False)
        set_up(hill, SECOND[0], SECOND[1], second.home)
        river_key = trust.own_key(first.home)
        assert river_key is not None
        hill.goto("/admin/keys")
        hill.get_by_label("Publisher's name, as residents will see it").fill(FIRST[0])
        hill.get_by_label(re.compile("The publisher.s key")).fill(river_key.public.fingerprint)
        hill.get_by_role("button", name="Trust this publisher").click()
        offer_the_stick(hill, stick)
        river_id = Hub(first.home).device.id
        the_stick(hill, stick).get_by_label(re.compile(f"identity code reads {river_id}")).check()
        the_stick(hill, stick).get_by_role("button", name="Import from this stick").click()
        taken = wait_for_the_job(hill, f"Import from {stick.name}")
        assert "1 interface language taken in or updated" in taken, taken
        screenshot(hill, "added-language-05-second-hub-import")

        reader = small_phone(on_second)
        reads_pashto_right_to_left(reader, screenshot, "added-language-06-second-hub-phone")
        assert not on_first.broken and not on_second.broken, on_first.broken + on_second.broken
    finally:
        on_first.close()
        on_second.close()
