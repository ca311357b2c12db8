"""Reading a PDF a tutor brings: is it a whole PDF, and what text does each page hold.

The text comes from PDFium (pypdfium2): of the three extractors tried on Arabic PDFs made here
(bench/import/README.md), it alone gives Arabic in logical order with real spaces; pdfminer.six
reverses it and pypdf moves numbers and full stops. Arabic presentation forms (the shaped
letters some PDF makers write instead of the letters themselves) are folded back into letters,
so search finds the words people type.

Bounds: at most MAX_PAGES pages are read and at most `max_chars` characters kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from content.errors import ContentError

MAX_PAGES = 5_000  # far past a 624-page textbook; a bound on the work for one file
HEAD_BYTES = 1024  # PDF readers accept the "%PDF-" header anywhere in the first kilobyte
TAIL_BYTES = 4096  # …and the "%%EOF" end mark within the last few kilobytes
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    encrypted: bool  # protected, but opens without a password (a copy or print restriction)


def _open(path: Path):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium  # here: only importing a PDF needs PDFium (about 6 MB)

    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise ContentError(
                f"{path.name} is protected by a password, so the hub cannot read it. Ask whoever made it "
                "for a copy without a password, or open it and save it again without one"
            ) from None
        raise ContentError(
            f"{path.name} is a damaged PDF: it cannot be opened ({error}). Copy it again from where it "
            "came from, or save it again as a PDF from the program that made it"
        ) from None


def check_pdf(path: Path) -> PdfFacts:
    """Refuse, in words a tutor understands, a file that is not a whole PDF; else what it holds."""
    size = path.stat().st_size
    with path.open("rb") as source:
        head = source.read(HEAD_BYTES)
        source.seek(max(0, size - TAIL_BYTES))
        tail = source.read()
    if b"%PDF-" not in head:
        kind = "an HTML page" if head.lstrip()[:1] == b"<" else "something else"
        raise ContentError(
            f"{path.name} is not a PDF: it is {size:,} bytes of {kind} with a .pdf name. "
            "Open it on a computer to see what it is, or save the document again as a PDF"
        )
    if b"%%EOF" not in tail:
        raise ContentError(
            f"{path.name} is incomplete: the PDF stops before its end (was the copy interrupted?). "
            "Copy it again from where it came from, then import it"
        )
    document = _open(path)
    try:
        pages = len(document)
        encrypted = _is_encrypted(document)
    finally:
        document.close()
    if pages == 0:
        raise ContentError(f"{path.name} has no pages. Save the document again as a PDF")
    return PdfFacts(pages, encrypted)


def _is_encrypted(document) -> bool:  # type: ignore[no-untyped-def]
    import pypdfium2.raw as raw

    return raw.FPDF_GetSecurityHandlerRevision(document.raw) != -1


def clean_text(text: str) -> str:
    """Page text as people type it: shaped Arabic letters folded, lines and spaces tidied."""
    text = _PRESENTATION_FORMS.sub(lambda found: unicodedata.normalize("NFKC", found.group()), text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\ufffe", "")
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def pdf_pages(path: Path, max_chars: int) -> list[str]:
    """The text of each page in reading order ("" for a page without text), at most `max_chars` in all."""
    document = _open(path)
    pages: list[str] = []
    total = 0
    try:
        for number in range(min(len(document), MAX_PAGES)):
            page = document[number]
            textpage = page.get_textpage()
            try:
                text = clean_text(textpage.get_text_bounded())
            finally:
                textpage.close()
                page.close()
            pages.append(text[: max(0, max_chars - total)])
            total += len(pages[-1])
            if total >= max_chars:
                break
    finally:
        document.close()
    return pages
