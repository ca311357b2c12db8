"""What a search gives back: hits with highlighted snippets, facet counts, pages."""

from __future__ import annotations

import html
from dataclasses import dataclass

from markupsafe import Markup

from hub.search.analysis import FOLDING, WORD, stemmer, stop_words

PAGE_SIZE = 10
SNIPPET_CHARS = 220
HIGHLIGHT_CHARS = 6_000  # how much of a part is scanned for a snippet
FACETS = ("lang", "topic", "kind")


@dataclass(frozen=True)
class SearchHit:
    course_id: str
    lesson_id: str | None  # None: the hit is the course itself
    title: str
    course_title: str
    title_html: Markup  # the title with matching words marked, HTML-escaped
    snippet_html: Markup  # a fragment of the text with matching words marked, HTML-escaped
    kind: str
    language: str
    topics: list[str]
    score: float

    @property
    def url(self) -> str:
        return f"/courses/{self.course_id}" + (f"/{self.lesson_id}" if self.lesson_id else "")


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResults:
    query: str
    words: list[str]
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetValue]]
    suggestion: str | None  # "did you mean ...?", the whole corrected query
    preparing: bool  # the index is being built: results may be missing
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def empty_results(query: str, preparing: bool, words: list[str] | None = None) -> SearchResults:
    return SearchResults(query, words or [], [], 0, {f: [] for f in FACETS}, None, preparing)


def mark_words(text: str, terms: set[str], language: str, whole: bool = False) -> str:
    """HTML of a fragment of `text` (all of it if `whole`) with the words matching `terms` in
    ``<b class="match">``, or "" if none matches. Everything else is HTML-escaped.

    Words are analyzed exactly as the index analyzes them (``index_terms``), so "brulures" marks
    "brûlure". The fragment is the ``SNIPPET_CHARS`` window holding the most distinct matches.
    Whoosh's own highlighter gives the same marks but took most of a query's time.
    """
    if not text or not terms:
        return ""
    stops, stem = stop_words(language), stemmer(language)
    found: list[tuple[int, int, str]] = []
    for match in WORD.finditer(text, 0, HIGHLIGHT_CHARS):
        word = match.group().lower().translate(FOLDING)
        if not word or word in stops:
            continue
        term = stem(word) if stem else word
        if term in terms:
            found.append((match.start(), match.end(), term))
    if not found:
        return ""
    if whole:
        start, end = 0, len(text)
    else:
        start, end = _window(text, found)
        found = [m for m in found if m[0] >= start and m[1] <= end]
    pieces = ["… "] if start > 0 else []
    position = start
    for begin, finish, _ in found:
        pieces.append(html.escape(text[position:begin]))
        pieces.append(f'<b class="match">{html.escape(text[begin:finish])}</b>')
        position = finish
    pieces.append(html.escape(text[position:end]))
    if end < len(text):
        pieces.append(" …")
    return " ".join("".join(pieces).split())


def _window(text: str, found: list[tuple[int, int, str]]) -> tuple[int, int]:
    """The span of about SNIPPET_CHARS around the run of matches with the most distinct words."""
    best, best_count = 0, 0
    j = 0
    for i in range(len(found)):
        j = max(j, i)
        while j + 1 < len(found) and found[j + 1][1] - found[i][0] <= SNIPPET_CHARS - 60:
            j += 1
        count = len({m[2] for m in found[i : j + 1]})
        if count > best_count:
            best, best_count = i, count
    start = max(0, found[best][0] - 60)
    if start > 0:
        space = text.find(" ", start, found[best][0])
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", max(found[best][1], start), end)
        end = space if space > 0 else end
    return start, end


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"
