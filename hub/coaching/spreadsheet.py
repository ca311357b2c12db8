"""Text written into a CSV a spreadsheet will open: never read as a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as typed: a leading ' stops "=HYPERLINK(…)" running (OWASP's advice).

    A learner's name is kept as she typed it ("=Ana" stays "=Ana" on the hub); every CSV of names
    passes its cells through here.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text
