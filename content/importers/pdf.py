"""PDF files, a folder of them, or a zip of them: one course, one pdf lesson per file.

Each PDF is checked first (a file that is not a PDF, or a PDF cut short by an interrupted copy,
is refused in words: content/pdfread.py). Each lesson's text alternative is the text of every
page of its PDF, page after page under its number, so search finds a word on page 15 of a
textbook and a reader who cannot open the PDF still has the words. Bounds: at most
MAX_TEXT_CHARS characters of one PDF and COURSE_TEXT_CHARS of a whole folder become text
(a 600-page textbook holds about 1.5 million; the manifest stays under its 8 MB limit even in
Arabic, two bytes a letter); past that the PDF is still imported whole, its later pages not
searchable. The course's language is detected from the text (content/language.py).
A folder holds at most MAX_FILES PDFs at its top level; sub-folders are not looked into. A zip
(without manifest.json: that is a package) is checked like a package's (no bombs, links, escapes)
and its PDFs, wherever they sit in it, are unpacked to a work folder first; its other files are
left out and counted in the preview.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from content.errors import ContentError
from content.importers.base import (
    CoursePreview,
    ImportOptions,
    Preview,
    Progress,
    check_source,
    title_from_name,
)
from content.importers.identity import hashed_id, stable_id, stable_ids
from content.importers.writer import PackageWriter
from content.language import SAMPLE_CHARS, detect_language
from content.package import MANIFEST, ZIP_READ_ERRORS, check_zip_members
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


def _zipped_pdfs(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The PDFs in a zip, leaving out what computers add (__MACOSX/, hidden files)."""
    return [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(".pdf")
        and not any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(info.filename).parts)
    ]


def is_zip_of_pdfs(path: Path) -> bool:
    """A .zip with PDFs in it and no manifest.json (which would make it a package)."""
    if not (path.is_file() and path.suffix.lower() == ".zip"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return MANIFEST not in archive.namelist() and bool(_zipped_pdfs(archive))
    except (zipfile.BadZipFile, OSError):
        return False


@contextmanager
def _pdf_source(path: Path, work: Path | None = None) -> Iterator[tuple[Path, int]]:
    """The PDF or folder to read, and how many files of a zip were left out; a zip's PDFs are
    unpacked (checked as a package's members are) below `work` (else the system's temporary
    folder) to a folder that goes when reading is done."""
    if not is_zip_of_pdfs(path):
        yield path, 0
        return
    with tempfile.TemporaryDirectory(prefix="pdfs-", dir=work) as unpacked, zipfile.ZipFile(path) as archive:
        check_zip_members(archive)
        pdfs = _zipped_pdfs(archive)
        if len(pdfs) > MAX_FILES:
            raise ContentError(
                f"{path.name} holds {len(pdfs)} PDF files; one import takes at most {MAX_FILES}. "
                "Split them into several zips and import each"
            )
        folder = Path(unpacked) / _title(path)
        folder.mkdir()
        for info in pdfs:
            member = PurePosixPath(info.filename)
            target, number = folder / member.name, 1
            while target.exists():  # the same name in several folders of the zip: keep every one
                number += 1
                target = folder / f"{member.stem} ({number}){member.suffix}"
            try:
                with archive.open(info) as source, target.open("xb") as out:
                    shutil.copyfileobj(source, out)
            except ZIP_READ_ERRORS as error:
                raise ContentError(
                    f"{info.filename!r} in {path.name} is damaged ({error}); copy it again"
                ) from None
        yield folder, sum(not info.is_dir() for info in archive.infolist()) - len(pdfs)


def _title(path: Path) -> str:
    """A title from a file or folder name: "01-oral_rehydration.pdf" -> "Oral rehydration"."""
    return title_from_name(path.stem if path.is_file() else path.name) or path.name[:200]


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
            return path.suffix.lower() == ".pdf" or is_zip_of_pdfs(path)
        return path.is_dir() and any(p.suffix.lower() == ".pdf" for p in path.iterdir())

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        check_source(path)
        with _pdf_source(path) as (source, left_out):
            return self._preview(path, source, left_out, options)

    def _preview(self, path: Path, source: Path, left_out: int, options: ImportOptions) -> Preview:
        pdfs = _pdfs(source)
        size = sum(check_source(pdf) for pdf in pdfs)
        facts = [check_pdf(pdf) for pdf in pdfs]
        title = _title(source) if source.is_dir() else _title(pdfs[0])
        language = _language(pdfs, options)
        course = CoursePreview(course_id(source, pdfs), title, language, len(pdfs), size)
        pages = sum(fact.pages for fact in facts)
        notes = [
            f"{pages} pages in all; the text of every page becomes searchable "
            "(up to a limit for very long books)."
        ]
        if any(fact.encrypted for fact in facts):
            notes.append(
                "Some of these PDFs are protected against copying; the hub reads their text all the same."
            )
        if left_out:
            notes.append(f"Left out of the zip: {left_out} other files (not PDFs).")
        work = size * 2 if source != path else size  # a zip's PDFs are unpacked, then packed
        return Preview(self.format, path, [course], size, work_bytes=work, notes=notes, renamable=True)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        check_source(path)
        work.mkdir(parents=True, exist_ok=True)
        with _pdf_source(path, work) as (source, _):
            return self._convert(source, path.name, work, options, progress)

    def _convert(
        self, path: Path, source_name: str, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
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
            "sources": [source_name],
        }
        writer.finish(course, lessons)
        return [writer.root]
