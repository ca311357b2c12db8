"""What in a PDF would run in a viewer: its JavaScript, a launch or a form sent somewhere.

Browsers run a PDF's JavaScript in their own viewer, whatever the page's Content-Security-Policy
says (Chromium shows its `app.alert` boxes under a `sandbox` policy too), so the hub keeps no PDF
that carries any: a health leaflet has no reason to, and a hostile one could put up a false
alarm or send the reader elsewhere. The check follows every object the document reaches from its
trailer (without decoding page content) and looks for actions of the kinds below.
"""

from __future__ import annotations

import logging
from pathlib import Path

from content.errors import ContentError

logging.getLogger("pypdf").setLevel(logging.ERROR)

ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute"})
MAX_OBJECTS = 5_000_000  # a bound on the work for one document: far above any real leaflet or book


def _active(value: object) -> str | None:
    """The kind of action a PDF dictionary is (or names), if it is one that would run something."""
    from pypdf.generic import DictionaryObject

    if not isinstance(value, DictionaryObject):
        return None
    if "/JS" in value or "/JavaScript" in value:  # a script, or the document's named scripts
        return "/JavaScript"
    kind = value.get("/S")
    return str(kind) if kind in ACTIVE_ACTIONS else None


def pdf_action(path: Path) -> str | None:
    """The first action in the PDF at `path` that would run in a viewer (e.g. "/JavaScript"), or None.

    Raises ContentError when the document cannot be read well enough to tell.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ContentError("it is protected by a password, so it cannot be checked for scripts")
        pending: list[object] = [reader.trailer]
        seen: set[tuple[int, int]] = set()
        while pending:
            value = pending.pop()
            if isinstance(value, IndirectObject):
                if (value.idnum, value.generation) in seen or len(seen) > MAX_OBJECTS:
                    continue
                seen.add((value.idnum, value.generation))
                value = value.get_object()
            if found := _active(value):
                return found
            if isinstance(value, DictionaryObject):
                pending.extend(value.values())
            elif isinstance(value, ArrayObject):
                pending.extend(value)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as error:
        raise ContentError(f"it cannot be read to check it holds no scripts ({error})") from None
    return None
