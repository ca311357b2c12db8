"""Plain text out of files, for search and for importers: PDF pages today.

Extraction is best effort and bounded: a broken or hostile PDF gives less text (or none),
never an exception, and never more than `max_chars` characters or `max_pages` pages of work.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs are common; their warnings are noise


def pdf_text(data: bytes, *, max_chars: int = 20_000, max_pages: int = 200) -> str:
    """The text of a PDF's pages, in reading order, or "" if none can be read."""
    # Imported here: pypdf pulls in Pillow and cryptography (about 20 MB) that a serving hub
    # only needs while it indexes a PDF.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return ""
        pages: list[str] = []
        total = 0
        for page in reader.pages[:max_pages]:
            text = page.extract_text() or ""
            pages.append(text)
            total += len(text)
            if total >= max_chars:
                break
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        return ""
    return "\n".join(pages)[:max_chars]


def pdf_document_id(path: Path) -> str:
    """The first half of a PDF's /ID (the part meant to stay across its editions), or "" if none."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        found = PdfReader(path).trailer.get("/ID")
        first = found.get_object()[0] if found else None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError, IndexError):
        return ""
    raw = getattr(first, "original_bytes", b"")
    return raw.hex() if isinstance(raw, bytes) and raw.strip(b"\0") else ""
