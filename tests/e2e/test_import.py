"""A tutor uploads an EPUB from a phone, sees what it holds and who signed it, imports it as
unverified content, follows the job, and a resident reads it with its "not verified" mark."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.importing import make_epub

pytestmark = pytest.mark.e2e

TUTOR = ("Ivy Importer", "ivy-password-1")


def add_tutor(home: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hub", "users", "add", TUTOR[0], "--role", "tutor", "--secret", TUTOR[1],
         "--home", str(home)],
        check=True, capture_output=True, env={**os.environ, "COLUMNS": "200"}, timeout=60,
    )  # fmt: skip


def test_a_tutor_imports_an_epub_and_a_resident_reads_it_marked_not_verified(
    phones, screenshot, hub_home, tmp_path
):
    add_tutor(hub_home)
    tutor = phones.open(javascript=False)  # the import flow needs no JavaScript
    tutor.goto("/signin")
    tutor.locator("#name").fill(TUTOR[0])
    tutor.locator("#pin").fill(TUTOR[1])
    tutor.get_by_role("button", name="Sign in").click()

    tutor.goto("/tutor/import")
    expect(tutor.locator("h1")).to_have_text("Import courses")
    tutor.locator("#file").set_input_files(str(make_epub(tmp_path / "healthy-home.epub")))
    tutor.get_by_role("button", name="Upload and see what it holds").click()

    expect(tutor.locator("h1")).to_contain_text("Before importing healthy-home.epub")
    expect(tutor.locator("dl.facts")).to_contain_text("Nobody: it is not signed")
    expect(tutor.locator("table")).to_contain_text("Healthy Home")
    screenshot(tutor, "import-01-preview")
    tutor.get_by_role("button", name="Import, marked as not verified").click()

    expect(tutor.locator("h1")).to_have_text("Background work")
    for _ in range(30):  # the page refreshes itself while a job runs; without JavaScript we reload
        if "Done" in tutor.locator("main").inner_text():
            break
        tutor.wait_for_timeout(500)
        tutor.reload()
    expect(tutor.locator("main")).to_contain_text("Done")
    screenshot(tutor, "import-02-jobs")

    resident = phones.open(javascript=False)
    resident.goto("/courses/epub-healthy-home-en")
    expect(resident.locator("h1")).to_contain_text("Healthy Home")
    expect(resident.locator(".source")).to_contain_text("Made locally, not verified")
    resident.get_by_role("link", name="Start the course").click()
    expect(resident.locator("article")).to_contain_text("Boil drinking water")
    screenshot(resident, "import-03-resident-reads")
