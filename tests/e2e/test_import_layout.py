"""Issue 16, layout: imported content on a 320 px phone without JavaScript. An EPUB with a wide
table and a list in a cell, a ZIM article with a long command and a wide table, a PDF with a long
file name: nothing sticks out of the screen (long words break, tables and code scroll in their box)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from content.importers import ImportOptions, importer_for
from tests.conftest import tiny_pdf
from tests.e2e.test_phone import WIDER_THAN_SCREEN, open_phone
from tests.importing import make_epub, make_zim

pytestmark = pytest.mark.e2e

WIDE_TABLE = "<table><tr>" + "".join(f"<th>Column {n}</th>" for n in range(12)) + "</tr><tr>" + "".join(
    f"<td>Value{n}withoutspaces</td>" for n in range(12)
) + "</tr></table>"  # fmt: skip
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt"
CHAPTER = (
    f"<h1>Wide things</h1><p>{LONG_WORD} {LONG_WORD}</p>{WIDE_TABLE}"
    "<table><tr><th>Age</th><th>Give</th></tr>"
    "<tr><td>Under 2</td><td><ul><li>Half a cup</li></ul></td></tr></table>"
)
ARTICLE = (
    "<h1>Install</h1><pre><code>sudo apt-get install --no-install-recommends --yes "
    "some-very-long-package-name another-very-long-package-name yet-another-package</code></pre>"
    f"{WIDE_TABLE}<p>{LONG_WORD}</p>"
)


def cli_import(home: Path, source: Path) -> str:
    course = importer_for(source).preview(source, ImportOptions()).courses[0].id
    subprocess.run(
        [sys.executable, "-m", "hub", "content", "import", str(source), "--allow-unverified", "--yes",
         "--home", str(home)],
        check=True, capture_output=True, env={**os.environ, "COLUMNS": "200"}, timeout=120,
    )  # fmt: skip
    return course


def test_imported_content_fits_a_320_px_phone(browser, hub_url, hub_home, tmp_path, screenshot):
    epub = cli_import(
        hub_home, make_epub(tmp_path / "wide.epub", [("Wide things", CHAPTER)], title="Wide book")
    )
    articles = {"Home": ("Home", "<h1>Home</h1>"), "Install": ("Install", ARTICLE)}
    zim = cli_import(hub_home, make_zim(tmp_path / "wide.zim", articles, title="Wide wiki"))
    name = f"{LONG_WORD}-{LONG_WORD}.pdf"
    (tmp_path / name).write_bytes(tiny_pdf("A leaflet with a long name"))
    pdf = cli_import(hub_home, tmp_path / name)
    pages = {
        "epub": f"/courses/{epub}/wide-things",
        "zim": f"/courses/{zim}/install",
        "pdf": f"/courses/{pdf}",
    }
    page = open_phone(browser, hub_url, 320, javascript=False, language="en")
    problems: list[str] = []
    for label, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        problems += [f"{path}: {problem}" for problem in page.evaluate(WIDER_THAN_SCREEN)]
        screenshot(page, f"import-layout-{label}-320")
    pdf_lesson = page.locator("ol.lessons a, .lessons a").first.get_attribute("href")
    page.goto(pdf_lesson or pages["pdf"])
    problems += [f"pdf lesson: {problem}" for problem in page.evaluate(WIDER_THAN_SCREEN)]
    screenshot(page, "import-layout-pdf-lesson-320")
    page.goto(pages["epub"])
    assert page.locator(".prose li li li").first.inner_text() == "Half a cup"  # a list, not "* Half a cup"
    assert problems == []
