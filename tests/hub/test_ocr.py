"""Issue 16, scanned PDFs: the hub reads the words on pictures of pages (tesseract) in a background
job; search finds them and residents can read them. The scans are made here as a scanner would:
a real PDF drawn by WeasyPrint, its pages turned into pictures by poppler's pdftoppm, and the
pictures put back into a PDF without any text layer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.pdfread import pdf_pages
from hub import imports, jobs
from hub.app import create_app
from hub.home import Hub
from hub.library import library_generation
from hub.plugins import manager_for
from hub.plugins.ocr import reading
from hub.search import SearchIndex, index_path
from tests.conftest import tiny_pdf
from tests.importing import weasy_pdf

pytestmark = pytest.mark.skipif(not reading.available(), reason="needs tesseract and pdftoppm (Debian)")
ENGLISH = ["Oral rehydration salts save lives during diarrhoea.", "Boil drinking water for one full minute."]


def scanned_copy(source: Path, target: Path) -> Path:
    """`source` as a scanner gives it back: each page a picture, no text layer."""
    from PIL import Image

    prefix = target.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(source), str(prefix)], check=True)
    pictures = [Image.open(page) for page in sorted(target.parent.glob(f"{prefix.name}-*.png"))]
    pictures[0].save(target, save_all=True, append_images=pictures[1:], resolution=150)
    return target


def read_all(hub: Hub) -> int:
    reading.queue_missing(hub)
    return jobs.run_queued(hub, {reading.KIND: reading.read_scanned_pdf})


def searched(hub: Hub, query: str) -> list[str]:
    index = SearchIndex(index_path(hub))
    index.sync(hub) if index.open() else index.rebuild(hub)
    return [hit.url for hit in index.search(query).hits]


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


def test_the_words_on_scanned_pages_become_searchable_and_readable(hub: Hub, tmp_path: Path):
    scan = scanned_copy(weasy_pdf(tmp_path / "leaflet.pdf", ENGLISH), tmp_path / "scan.pdf")
    assert pdf_pages(scan, 10_000) == ["", ""]  # nothing to search before the hub reads it
    [result] = imports.run_import(hub, scan, allow_unverified=True)
    lesson = hub.course(result.course_id).lessons[0]
    assert searched(hub, "rehydration") == []
    generation = library_generation(hub.db)

    assert read_all(hub) == 1
    assert library_generation(hub.db) > generation  # caches and the search index see the change
    assert reading.queue_missing(hub) == 0  # read once
    pages = reading.scanned_pages(hub, lesson.media[0].sha256)
    assert [number for number, _ in pages] == [1, 2]
    assert "rehydration" in pages[0][1].lower() and "boil" in pages[1][1].lower()
    assert searched(hub, "rehydration") == [f"/courses/{result.course_id}/{lesson.id}"]
    assert searched(hub, "drinking water") == [f"/courses/{result.course_id}/{lesson.id}"]

    client = TestClient(create_app(hub, manager_for(hub, load_entry_points=False)))
    page = client.get(f"/courses/{result.course_id}/{lesson.id}").text
    assert "Text read from the scanned pages" in page and "2 pages that are pictures" in page
    text = client.get(f"/courses/{result.course_id}/{lesson.id}/scanned-text")
    assert text.status_code == 200 and "Page 2" in text.text and "minute" in text.text
    assert "may be read wrongly" in text.text


def test_an_arabic_hubs_scan_is_read_in_arabic(hub: Hub, tmp_path: Path):
    """A scan has no text to tell its language: it takes the hub's, as any PDF without text does."""
    hub.set_setting("default_language", "ar")
    arabic = ["اغسل يديك بالماء والصابون قبل الأكل."]
    scan = scanned_copy(
        weasy_pdf(tmp_path / "ar.pdf", arabic, lang="ar", direction="rtl"), tmp_path / "scan.pdf"
    )
    [result] = imports.run_import(hub, scan, allow_unverified=True)
    assert hub.course(result.course_id).course.language == "ar"
    read_all(hub)
    [(number, text)] = reading.scanned_pages(hub, hub.course(result.course_id).lessons[0].media[0].sha256)
    assert number == 1 and "والصابون" in text
    assert searched(hub, "الصابون")


def test_a_pdf_with_its_own_text_is_looked_at_once_and_not_read(hub: Hub, tmp_path: Path):
    pdf = weasy_pdf(tmp_path / "typed.pdf", ENGLISH)
    [result] = imports.run_import(hub, pdf, allow_unverified=True)
    generation = library_generation(hub.db)
    assert read_all(hub) == 1
    assert reading.scanned_pages(hub, hub.course(result.course_id).lessons[0].media[0].sha256) == []
    assert library_generation(hub.db) == generation  # nothing changed for search
    assert reading.queue_missing(hub) == 0
    client = TestClient(create_app(hub, manager_for(hub, load_entry_points=False)))
    lesson = hub.course(result.course_id).lessons[0]
    assert "scanned pages" not in client.get(f"/courses/{result.course_id}/{lesson.id}").text
    assert client.get(f"/courses/{result.course_id}/{lesson.id}/scanned-text").status_code == 404


def test_a_pdf_the_hub_cannot_open_is_recorded_and_not_retried(hub: Hub):
    job_id = jobs.submit(hub.db, reading.KIND, {"sha256": "0" * 64, "language": "en"}, background=True)
    jobs.run_queued(hub, {reading.KIND: reading.read_scanned_pdf})
    assert jobs.get_job(hub.db, job_id).state == "done"
    assert hub.db.execute("SELECT read_pages FROM pdf_ocr WHERE sha256 = ?", ["0" * 64]).fetchone() == (0,)


def test_a_long_scans_text_is_shown_a_screenful_of_pages_at_a_time(hub: Hub, tmp_path: Path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(tiny_pdf(""))
    [result] = imports.run_import(hub, pdf, allow_unverified=True)
    lesson = hub.course(result.course_id).lessons[0]
    pages = [[number, f"words of page {number}"] for number in range(1, 46)]
    hub.db.execute(
        "INSERT INTO pdf_ocr (sha256, pages, read_pages, language, made_at) VALUES (?, ?, 45, 'eng', '')",
        [lesson.media[0].sha256, json.dumps(pages)],
    )
    client = TestClient(create_app(hub, manager_for(hub, load_entry_points=False)))
    last = client.get(f"/courses/{result.course_id}/{lesson.id}/scanned-text?part=3").text
    assert "Part 3 of 3 of the text" in last and 'rel="prev"' in last
    assert "words of page 41" in last and "words of page 40" not in last
