"""The background job "ocr": the hub reads the words on the scanned pages of a PDF.

A scanned PDF is pictures of pages: no text to search, nothing for a screen reader. Where this
machine has Debian's tesseract (and its language data), a library watcher (hub/library_watch.py)
queues one job per PDF blob not looked at yet. The job finds the pages without a text layer,
draws each with poppler's pdftoppm and reads it with tesseract in the course's language, both as
lower-priority child processes a stopping hub cuts short, and keeps the text by page in
`pdf_ocr`, keyed by the blob's hash (a PDF in two courses is read once). Search indexes it with
the lesson (hub/search/documents.py); the lesson page shows it under the document.

Optional on a Raspberry Pi: without tesseract nothing is queued; `hub plugins disable ocr` stops it.
Bounds: MAX_PAGES pages read per PDF and MAX_TEXT_CHARS characters kept.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.errors import ContentError
from content.importers.pdf import MAX_TEXT_CHARS
from content.pdfread import clean_text, pdf_pages
from hub import jobs, library_watch
from hub.db import transaction
from hub.library import now

if TYPE_CHECKING:
    from hub.home import Hub

KIND = "ocr"
DPI = 200  # tesseract reads body text well from 200 dpi; 300 doubles the time for little gain
MIN_PAGE_CHARS = 20  # a page with fewer characters of text than this is taken for a picture
MAX_PAGES = 1_000
LANGUAGES = {"en": "eng", "fr": "fra", "es": "spa", "ar": "ara"}  # tesseract's names


@functools.cache
def installed_languages() -> frozenset[str]:
    """The tesseract language data on this machine (empty without tesseract or pdftoppm)."""
    if shutil.which("tesseract") is None or shutil.which("pdftoppm") is None:
        return frozenset()
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())


def available() -> bool:
    return bool(installed_languages())


def tesseract_language(language: str) -> str:
    """The language data to read a course in: its own if installed, else English's."""
    wanted = LANGUAGES.get(language.split("-")[0].lower(), "eng")
    return wanted if wanted in installed_languages() else "eng"


def pdfs_to_read(hub: Hub) -> list[tuple[str, str]]:
    """(sha256, course language) of each PDF in the library not read yet and not being read."""
    rows = hub.db.execute(
        """
        SELECT f.sha256, MIN(c.language) FROM files f
        JOIN course_files cf ON cf.sha256 = f.sha256
        JOIN courses c ON c.id = cf.course_id
        WHERE f.media_type = 'application/pdf'
          AND NOT EXISTS (SELECT 1 FROM pdf_ocr o WHERE o.sha256 = f.sha256)
          AND f.sha256 NOT IN (SELECT json_extract(params, '$.sha256') FROM jobs  -- read once, not per PDF
                               WHERE kind = 'ocr' AND state != 'done'
                                 AND json_extract(params, '$.sha256') IS NOT NULL)
        GROUP BY f.sha256 ORDER BY f.sha256
        """
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def queue_missing(hub: Hub) -> int:
    """Queue a reading of every PDF not read yet; return how many were queued."""
    missing = pdfs_to_read(hub)
    for sha256, language in missing:
        jobs.submit(hub.db, KIND, {"sha256": sha256, "language": language}, background=True)
    return len(missing)


def watch(hub: Hub) -> None:
    library_watch.watch(hub, KIND, queue_missing, available)


def _read_page(pdf: Path, number: int, language: str, work: Path, keep_going: Callable[[], None]) -> str:
    """The words tesseract reads on page `number` (1-based), or "" if it reads none."""
    picture = work / "page"
    drawn = jobs.run_child(
        ["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", "-f", str(number), "-l", str(number),
         str(pdf), str(picture)],
        keep_going,
    )  # fmt: skip
    if drawn.returncode != 0:
        return ""
    read = jobs.run_child(["tesseract", str(picture) + ".png", "stdout", "-l", language], keep_going)
    return clean_text(read.stdout.decode("utf-8", "replace")) if read.returncode == 0 else ""


def read_scanned_pdf(hub: Hub, params: dict[str, Any], report: jobs.Report) -> dict[str, Any]:
    sha256, language = str(params["sha256"]), tesseract_language(str(params["language"]))
    pdf = hub.blobs.path(sha256)
    try:
        texts = pdf_pages(pdf, MAX_TEXT_CHARS) if pdf.is_file() else []
    except ContentError:
        texts = []  # a damaged PDF: recorded as read, with nothing, so it is not queued again
    scanned = [n for n, text in enumerate(texts, start=1) if len(text.strip()) < MIN_PAGE_CHARS][:MAX_PAGES]
    pages: list[tuple[int, str]] = []
    kept = 0
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=hub.home) as work:
        for done, number in enumerate(scanned):
            report(done, len(scanned), f"page {number}")
            text = _read_page(
                pdf, number, language, Path(work), functools.partial(report, done, len(scanned), "")
            )
            if text and kept < MAX_TEXT_CHARS:
                pages.append((number, text[: MAX_TEXT_CHARS - kept]))
                kept += len(pages[-1][1])
    with transaction(hub.db):
        hub.db.execute(
            "INSERT OR REPLACE INTO pdf_ocr (sha256, pages, read_pages, language, made_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [sha256, json.dumps(pages, ensure_ascii=False), len(pages), language, now()],
        )
    report(len(scanned), len(scanned), "")
    return {"scanned_pages": len(scanned), "pages_with_text": len(pages), "language": language}


def scanned_pages(hub: Hub, sha256: str) -> list[tuple[int, str]]:
    """The text the hub read from a PDF's scanned pages: (page number, text), in page order."""
    row = hub.db.execute("SELECT pages FROM pdf_ocr WHERE sha256 = ?", [sha256]).fetchone()
    return [(int(number), str(text)) for number, text in json.loads(row[0])] if row else []


def pages_read(hub: Hub, sha256: str) -> int:
    """How many of a PDF's scanned pages the hub read words on (0 if none, or not read yet)."""
    row = hub.db.execute("SELECT read_pages FROM pdf_ocr WHERE sha256 = ?", [sha256]).fetchone()
    return int(row[0]) if row else 0
