"""PDF files, or a folder of them: one course, one pdf lesson per file.

Each lesson's text alternative is the text extracted from the PDF (`content.text.pdf_text`,
bounded), so search finds its words and a reader who cannot open the PDF still has them.
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
from content.text import pdf_document_id, pdf_text

MAX_FILES = 200
MAX_TEXT_CHARS = 10_000
MAX_TEXT_READ_BYTES = 64 * 1024**2  # larger PDFs are imported without reading their text

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def _pdfs(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".pdf" and not p.name.startswith("."))
    if not found:
        raise ContentError(f"{path.name} has no PDF files")
    if len(found) > MAX_FILES:
        raise ContentError(f"{path.name} has {len(found)} PDF files; one import takes at most {MAX_FILES}")
    for pdf in found:
        check_source(pdf)
    return found


def _title(path: Path) -> str:
    """A title from a file or folder name: "01-oral_rehydration.pdf" -> "Oral rehydration"."""
    name = path.stem if path.suffix.lower() == ".pdf" else path.name
    words = re.sub(r"[-_]+", " ", re.sub(r"^\d+[\s._-]+", "", name)).strip()
    return (words[:1].upper() + words[1:])[:200] or path.name[:200]


def text_alternative(pdf: Path, size: int) -> str:
    """The PDF's words as Markdown-safe text, or a plain sentence when it has none."""
    text = pdf_text(pdf.read_bytes(), max_chars=MAX_TEXT_CHARS) if size <= MAX_TEXT_READ_BYTES else ""
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text)]
    escaped = "\n\n".join(_MARKDOWN_PUNCTUATION.sub(r"\\\1", p) for p in paragraphs if p)
    name = _MARKDOWN_PUNCTUATION.sub(r"\\\1", pdf.name)
    return escaped or f"The document {name} has no text to show here."


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
        title = _title(path) if path.is_dir() else _title(pdfs[0])
        course = CoursePreview(course_id(path, pdfs), title, options.language, len(pdfs), size)
        return Preview(self.format, path, [course], size, work_bytes=size, renamable=True)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        check_source(path)
        pdfs = _pdfs(path)
        sizes = [check_source(pdf) for pdf in pdfs]
        total, done = sum(sizes), 0
        writer = PackageWriter(work / "pdf")
        lessons = []
        for lesson_id, pdf, size in zip(stable_ids([_title(p) for p in pdfs]), pdfs, sizes, strict=True):
            ref = writer.add_file(pdf, pdf.name, "application/pdf")
            lessons.append({"id": lesson_id, "title": _title(pdf), "kind": "pdf", "media": [ref],
                            "text": text_alternative(pdf, size)})  # fmt: skip
            done += size
            if progress:
                progress(done, total)
        title = _title(path) if path.is_dir() else _title(pdfs[0])
        course = {
            "id": course_id(path, pdfs),
            "version": 1,
            "title": title,
            "language": options.language,
            "publisher": options.publisher,
            "sources": [path.name],
        }
        writer.finish(course, lessons)
        return [writer.root]
