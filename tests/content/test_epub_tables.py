"""Issue 16: a list inside an EPUB's table cell stays a list (it came out as literal "*")."""

from __future__ import annotations

import json
from pathlib import Path

from content.importers import ImportOptions, importer_for
from content.markdown import render_markdown
from tests.importing import make_epub

DOSES = (
    "<h1>Doses</h1><table><tr><th>Age</th><th>What to give</th></tr>"
    "<tr><td>Under 2</td><td><ul><li>Half a cup</li><li>After each stool</li></ul></td></tr></table>"
    "<table><tr><th>Day</th><th>Meals</th></tr><tr><td>Monday</td><td>Three</td></tr></table>"
)


def test_a_list_in_a_table_cell_renders_as_a_list(tmp_path: Path):
    book = make_epub(tmp_path / "doses.epub", [("Doses", DOSES)])
    [package] = importer_for(book).convert(book, tmp_path / "work", ImportOptions(), None)
    text = json.loads((package / "manifest.json").read_text(encoding="utf-8"))["lessons"][0]["text"]
    html = render_markdown(text)
    assert "<li>Half a cup</li>" in html and "<li>After each stool</li>" in html
    assert "<strong>What to give:</strong>" in html and "* Half" not in html
    assert "<td>Monday</td>" in html  # a table without lists stays a table
