"""The library's course list arranged once per library generation, so that a page or an API list
costs what it shows, not what the hub holds: cards by id and by language, topics and languages
counted once, and pages of a fixed size cut from lists sorted in advance."""

from __future__ import annotations

import base64
import binascii
import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.library import CourseCard


def base_language(code: str) -> str:
    return code.split("-")[0]


def sort_key(card: CourseCard) -> tuple[str, str]:
    """The order of every list (title, case folded; the id breaks ties), which cursors point into."""
    return (card.title.casefold(), card.id)


@dataclass(frozen=True)
class Page:
    """One page of a list: its cards, where it starts, and how many the whole list holds."""

    cards: list[CourseCard]
    offset: int
    total: int
    size: int

    @property
    def number(self) -> int:
        return self.offset // self.size + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.cards) < self.total


@dataclass
class Catalogue:
    """Every visible course of one library generation (hub.courses()), arranged for lookups."""

    source: list[CourseCard]  # as the library lists them (hub.courses())
    cards: list[CourseCard] = field(init=False)
    by_id: dict[str, CourseCard] = field(init=False)
    by_language: dict[str, list[CourseCard]] = field(init=False)
    topics: list[str] = field(init=False)
    languages: list[str] = field(init=False)
    home_topics: list[str] = field(init=False)
    _topic_set: frozenset[str] = field(init=False)
    _filtered: dict[tuple[str, str, str], list[CourseCard]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.cards = sorted(self.source, key=sort_key)
        self.by_id = {c.id: c for c in self.cards}
        self.by_language = {}
        for card in self.cards:
            self.by_language.setdefault(base_language(card.language), []).append(card)
        self.topics = sorted({t for c in self.cards for t in c.topics})
        self._topic_set = frozenset(self.topics)
        self.home_topics = sorted({t for c in self.cards for t in c.topics[1:]})  # as home lists them
        self.languages = sorted(self.by_language)

    def _kept(
        self, kind: str, language: str, topic: str, make: Callable[[], list[CourseCard]]
    ) -> list[CourseCard]:
        """A filtered list, kept for this generation when its language and topic are ones the library
        has (so their number is bounded by the library, not by what visitors type); lists hold
        references to the cards only."""
        if (language and language not in self.by_language) or (topic and topic not in self._topic_set):
            return make()
        key = (kind, language, topic)
        found = self._filtered.get(key)
        if found is None:
            found = self._filtered[key] = make()
        return found

    def chosen(self, language: str = "", topic: str = "") -> list[CourseCard]:
        """The courses in `language` (every language if empty) on `topic` (any if empty), in order."""
        cards = self.by_language.get(language, []) if language else self.cards
        return self._kept("in", language, topic, lambda: [c for c in cards if not topic or topic in c.topics])

    def others(self, language: str) -> list[CourseCard]:
        """The courses not in `language`, in order."""
        return self._kept(
            "not", language, "", lambda: [c for c in self.cards if base_language(c.language) != language]
        )

    def language_first(self, language: str, topic: str = "") -> list[CourseCard]:
        """Every course on `topic`, those in `language` first, each group in order."""
        return self._kept(
            "first",
            language,
            topic,
            lambda: (
                self.chosen(language, topic)
                + [c for c in self.chosen("", topic) if base_language(c.language) != language]
            ),
        )

    def after(self, cards: list[CourseCard], cursor: str, limit: int) -> tuple[list[CourseCard], str | None]:
        """Up to `limit` of `cards` (a list from `chosen`) after the cursor, and the cursor of the
        next page (None at the end). A cursor names the last course seen, so a page stays right
        when courses are imported or removed between two requests."""
        start = bisect.bisect_right(cards, decode_cursor(cursor), key=sort_key) if cursor else 0
        page = cards[start : start + limit]
        more = start + limit < len(cards)
        return page, (encode_cursor(sort_key(page[-1])) if more and page else None)


def encode_cursor(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode("\0".join(key).encode()).decode().rstrip("=")


class BadCursor(ValueError):
    """A cursor this hub did not make (or a damaged one)."""


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        title, course_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("\0")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(cursor) from None
    return title, course_id


def page_number(asked: str | None) -> int:
    """The page a query string asks for: 1 unless it is a whole number from 1 to 999,999,999
    (written in ASCII digits: int() refuses some other digits, and very long numbers)."""
    text = (asked or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 and int(text) > 0 else 1


def page_of(cards: list[CourseCard], number: int, size: int) -> Page:
    """Page `number` (from 1; out of range: the last) of `cards`, `size` cards a page."""
    pages = max(1, -(-len(cards) // size))
    offset = (min(max(number, 1), pages) - 1) * size
    return Page(cards[offset : offset + size], offset, len(cards), size)
