"""The one CSV writer every report uses: files that LibreOffice and Excel open with names intact.

UTF-8 with a byte-order mark (Excel reads UTF-8 only with it), CRLF line ends and a header row,
as RFC 4180 has them. A text cell starting with = + - @, a tab or a carriage return would be run
as a formula by a spreadsheet ("=HYPERLINK(...)" in a learner's name): it gets a leading ' so it
is shown as text. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell as it may go in the file: text that a spreadsheet would run is made plain text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def safe_filename(stem: str) -> str:
    """A file name any system and header take: ASCII letters, digits and dashes, then .csv."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", stem).strip("-") or "report"
    return cleaned[:80] + ".csv"


def csv_response(stem: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """A download of the table, named after `stem`."""
    return Response(
        csv_bytes(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe_filename(stem)}"'},
    )
