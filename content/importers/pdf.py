"""PDF files, or a folder of them: one course, one pdf lesson per file.

Each PDF is checked first (a file that is not a PDF, or a PDF cut short by an interrupted copy,
is refused in words: content/pdfread.py). Each lesson's text alternative is the text of every
page of its PDF, page after page under its number, so search finds a word on page 15 of a
textbook and a reader who cannot open the PDF still has the words. Bounds: at most
MAX_TEXT_CHARS characters of one PDF and COURSE_TEXT_CHARS of a whole folder become text
(a 600-page textbook holds about 1.5 million; the manifest stays under its 8 MB limit even in
Arabic, two bytes a letter); past that the PDF is still imported whole, its later pages not
searchable. The course's language is detected from the text (content/language.py).
A folder holds at most MAX_FILES PDFs at its top level; sub-folders are not looked into.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from content.errors import ContentError
from content.importers.base import (
    CoursePreview,
    ImportOptions,
    Preview,
    Progress,
    check_source,
)
from content.importers.identity import hashed_id, stable_id, stable_ids
from content.importers.writer import PackageWriter
from content.language import SAMPLE_CHARS, detect_language
from content.pdfread import check_pdf, pdf_pages
from content.text import pdf_document_id

MAX_FILES = 200
MAX_TEXT_CHARS = 1_500_000
COURSE_TEXT_CHARS = 2_500_000

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def _pdfs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".pdf" and not p.name.startswith("."))
    if not found:
        raise ContentError(
            f"{path.name} is a folder with no PDF files in it. Choose a folder that holds PDFs, "
            "or one of the files themselves"
        )
    if len(found) > MAX_FILES:
        raise ContentError(
            f"{path.name} has {len(found)} PDF files; one import takes at most {MAX_FILES}. "
            "Split them into several folders and import each"
        )
    for pdf in found:
        check_source(pdf)
    return found


def _title(path: Path) -> str:
    """A title from a file or folder name: "01-oral_rehydration.pdf" -> "Oral rehydration"."""
    name = path.stem if path.suffix.lower() == ".pdf" else path.name
    words = re.sub(r"[-_]+", " ", re.sub(r"^\d+[\s._-]+", "", name)).strip()
    return (words[:1].upper() + words[1:])[:200] or path.name[:200]


def _escape(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def text_alternative(pdf: Path, pages: list[str]) -> str:
    """The PDF's words as Markdown-safe text, page after page under its number, or a plain
    sentence when it has none (a scanned PDF)."""
    if not any(pages):
        return f"The pages of {_escape(pdf.name)} are pictures, with no text of their own."
    parts = []
    for number, text in enumerate(pages, start=1):
        if text:
            parts.append(f"— {number} —")
            parts.append(_escape(" ".join(text.split())))
    return "\n\n".join(parts)


def _language(pdfs: list[Path], options: ImportOptions) -> str:
    """The language of the first pages of text, in the PDFs' order (the same in preview and import)."""
    sample = ""
    for pdf in pdfs:
        sample += "\n".join(pdf_pages(pdf, SAMPLE_CHARS - len(sample))) + "\n"
        if len(sample) >= SAMPLE_CHARS:
            break
    return detect_language(sample, options.language)


def course_id(path: Path, pdfs: list[Path]) -> str:
    """One PDF: its title and its document id (kept across its editions), else its content's
    hash, so two PDFs of one name stay two courses. A folder: its name, in any script."""
    if path.is_dir():
        return f"pdf-{stable_id(_title(path), max_length=70)}"
    identity = pdf_document_id(pdfs[0]) or _content_hash(pdfs[0])
    return f"pdf-{hashed_id(_title(pdfs[0]), identity, max_length=70)}"


def _content_hash(pdf: Path) -> str:
    digest = hashlib.sha256()
    with pdf.open("rb") as source:
        while chunk := source.read(1024**2):
            digest.update(chunk)
    return digest.hexdigest()


class PdfImporter:
    format = "PDF"

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".pdf"
        return path.is_dir() and any(p.suffix.lower() == ".pdf" for p in path.iterdir())

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        check_source(path)
        pdfs = _pdfs(path)
        size = sum(check_source(pdf) for pdf in pdfs)
        facts = [check_pdf(pdf) for pdf in pdfs]
        title = _title(path) if path.is_dir() else _title(pdfs[0])
        language = _language(pdfs, options)
        course = CoursePreview(course_id(path, pdfs), title, language, len(pdfs), size)
        pages = sum(fact.pages for fact in facts)
        notes = [
            f"{pages} pages in all; the text of every page becomes searchable "
            "(up to a limit for very long books)."
        ]
        if any(fact.encrypted for fact in facts):
            notes.append(
                "Some of these PDFs are protected against copying; the hub reads their text all the same."
            )
        return Preview(self.format, path, [course], size, work_bytes=size, notes=notes, renamable=True)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        check_source(path)
        pdfs = _pdfs(path)
        sizes = [check_source(pdf) for pdf in pdfs]
        for pdf in pdfs:
            check_pdf(pdf)
        total, done, budget = sum(sizes), 0, COURSE_TEXT_CHARS
        writer = PackageWriter(work / "pdf")
        lessons = []
        for lesson_id, pdf, size in zip(stable_ids([_title(p) for p in pdfs]), pdfs, sizes, strict=True):
            ref = writer.add_file(pdf, pdf.name, "application/pdf")
            pages = pdf_pages(pdf, min(MAX_TEXT_CHARS, budget))
            budget -= sum(len(page) for page in pages)
            lessons.append({"id": lesson_id, "title": _title(pdf), "kind": "pdf", "media": [ref],
                            "text": text_alternative(pdf, pages)})  # fmt: skip
            done += size
            if progress:
                progress(done, total)
        title = _title(path) if path.is_dir() else _title(pdfs[0])
        course = {
            "id": course_id(path, pdfs),
            "version": 1,
            "title": title,
            "language": _language(pdfs, options),
            "publisher": options.publisher,
            "sources": [path.name],
        }
        writer.finish(course, lessons)
        return [writer.root]
