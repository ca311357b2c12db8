"""A long text version shown in parts: a 600-page textbook's words are megabytes, and a phone
on the hub's Wi-Fi should get them a part at a time, not in one page (the page weight budget).

Parts end between paragraphs, so a paragraph (and a PDF's page marker) is never cut.
"""

from __future__ import annotations

from dataclasses import dataclass

PART_CHARS = 20_000  # about ten pages of a book: one part weighs about as much as a short article


@dataclass(frozen=True)
class TextPart:
    text: str
    number: int  # from 1
    count: int


def text_part(text: str, number: int, part_chars: int = PART_CHARS) -> TextPart:
    """Part `number` of `text` (clamped to the parts there are), cut between paragraphs."""
    if len(text) <= part_chars:
        return TextPart(text, 1, 1)
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in text.split("\n\n"):
        if current and size + len(paragraph) > part_chars:
            parts.append("\n\n".join(current))
            current, size = [], 0
        current.append(paragraph)
        size += len(paragraph) + 2
    if current:
        parts.append("\n\n".join(current))
    number = min(max(number, 1), len(parts))
    return TextPart(parts[number - 1], number, len(parts))


MAX_SEARCH_CHARS = 3_000_000  # above the PDF importer's text bounds (content/importers/pdf.py)


def search_parts(language: str, text: str, part_chars: int) -> list[tuple[str, str]]:
    """All of a lesson's text for the search index, as (language, text) parts of at most `part_chars`
    cut between words (the index keeps each part for snippets), so a word on page 315 is found as
    well as one on page 1."""
    text = text[:MAX_SEARCH_CHARS]
    parts: list[tuple[str, str]] = []
    start = 0
    while start < len(text):
        end = start + part_chars
        if end < len(text):
            space = text.rfind(" ", start + part_chars // 2, end)
            end = space if space > start else end
        parts.append((language, text[start:end]))
        start = end
    return parts or [(language, "")]
