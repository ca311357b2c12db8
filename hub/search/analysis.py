"""How text becomes terms: words, folding, stop words and stems per language, and the schema."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh import fields
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.columns import VarBytesColumn
from whoosh.lang import has_stemmer, stemmer_for_language, stopwords_for_language
from whoosh.lang.isri import ISRIStemmer
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

LANGUAGES = ("en", "fr", "es", "ar", "pt", "de")
FALLBACK = "xx"
ANALYZED = (*LANGUAGES, FALLBACK)
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
TITLE_BOOST = 3.0


def _combining_marks() -> str:
    """A regex character class body with every combining mark of the Basic Multilingual Plane."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")]
    ranges, start = [], marks[0]
    for previous, current in zip(marks, [*marks[1:], -1], strict=True):
        if current != previous + 1:
            ranges.append(f"\\u{start:04x}" if start == previous else f"\\u{start:04x}-\\u{previous:04x}")
            start = current
    return "".join(ranges)


_MARKS = _combining_marks()
# A word: letters, digits and the combining marks inside them (Arabic harakat, Devanagari vowel
# signs...), with inner dots kept ("3.5"). Apostrophes split: "l'eau" gives "l" and "eau".
WORD_PATTERN = rf"[\w{_MARKS}]+(?:\.[\w{_MARKS}]+)*"
WORD = re.compile(WORD_PATTERN)

_ARABIC_FOLDING = {
    **dict.fromkeys(range(0x064B, 0x0660)),  # harakat, shadda, sukun and other small marks
    0x0670: None,  # superscript alef
    0x0640: None,  # tatweel
    **dict.fromkeys(map(ord, "أإآٱ"), "ا"),
    ord("ى"): "ي",
    ord("ة"): "ه",
}
FOLDING: dict[int, str | None] = {
    **accent_map,
    ord("ß"): "ss",
    ord("æ"): "ae",
    ord("œ"): "oe",
    ord("ø"): "o",
    ord("đ"): "d",
    ord("ł"): "l",
    **dict.fromkeys(range(0x0300, 0x0370)),  # combining accents left over from decomposed text
    **_ARABIC_FOLDING,
}


def fold(text: str) -> str:
    """Lowercase text without accents or Arabic vowel marks, as the index stores words."""
    return text.lower().translate(FOLDING)


def query_words(text: str) -> list[str]:
    """The distinct folded words of what someone typed, in order (no syntax, ever)."""
    words = WORD.findall(fold(text[:MAX_QUERY_CHARS]))
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


class FoldFilter(CharsetFilter):
    """``CharsetFilter`` with the hub's folding table, pickled without it (the schema is kept small)."""

    def __init__(self) -> None:
        super().__init__(FOLDING)

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    __hash__ = CharsetFilter.__hash__


@functools.cache
def stemmer(language: str) -> Callable[[str], str] | None:
    """One cached stemmer per language, shared by every index in the process."""
    if language == FALLBACK or not has_stemmer(language):
        return None
    return functools.lru_cache(maxsize=200_000)(stemmer_for_language(language))


class CachedStemFilter(StemFilter):
    """``StemFilter`` using the shared C-level LRU cache (Whoosh's own cache is pure Python)."""

    def clear(self) -> None:
        self._stem = stemmer(self.lang) if self.lang else functools.lru_cache(maxsize=10_000)(self.stemfn)


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    if language == "ar":
        words: Iterable[str] = ISRIStemmer().stop_words
    else:
        try:
            words = stopwords_for_language(language)
        except Exception:
            return frozenset()
    return frozenset(fold(w) for w in words)


def analyzer_for(language: str) -> Any:
    """The analyzer chain for one analysis language (see the module docstring)."""
    chain_ = (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=stop_words(language), minsize=1)
    )
    if stemmer(language):
        chain_ = chain_ | CachedStemFilter(lang=language, cachesize=200_000)
    return chain_


def index_terms(language: str, text: str) -> list[str]:
    """The terms ``analyzer_for(language)`` gives for a text, computed without Token objects.

    Indexing is where the time goes, so documents take this path; queries and highlighting use
    the analyzer chain. (Folding maps word characters to word characters or to nothing, so folding
    the whole text before splitting it gives the same words as splitting first.)
    """
    stops, stem = stop_words(language), stemmer(language)
    words = WORD.findall(text.lower().translate(FOLDING))
    if stem is None:
        return [w for w in words if w and w not in stops]
    return [stem(w) for w in words if w and w not in stops]


def clear_caches() -> None:
    """Forget every cached stem (the benchmark measures builds from cold)."""
    for language in LANGUAGES:
        stem = stemmer(language)
        if stem is not None:
            stem.cache_clear()  # type: ignore[attr-defined]


class LanguageText(fields.TEXT):
    """A TEXT field analyzed by one language's chain, indexed through ``index_terms``.

    Its value is a text, or a list of (text, weight) pairs: a lesson's title goes in with weight
    ``TITLE_BOOST`` and its body with weight 1, so a title word scores like three body words
    (one field per language instead of two halves the terms each query looks up).
    """

    def __init__(self, language: str) -> None:
        super().__init__(analyzer=analyzer_for(language), phrase=False)
        self.language = language

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        parts = [(value, 1.0)] if isinstance(value, str) else value
        freqs: Counter[str] = Counter()
        extra: dict[str, float] = {}
        for text, weight in parts:
            terms = index_terms(self.language, text)
            freqs.update(terms)
            if weight != 1.0:
                for term in terms:
                    extra[term] = extra.get(term, 0.0) + weight - 1.0
        for term, freq in freqs.items():
            yield term.encode("utf-8"), freq, freq + extra.get(term, 0.0), pack_uint(freq)


class SpellingWords(fields.KEYWORD):
    """The unstemmed spelling field: space-separated folded words, each indexed once."""

    def __init__(self) -> None:
        super().__init__(scorable=False)

    def index(self, value: str, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        one = pack_uint(1)
        for word in set(value.split()):
            yield word.encode("utf-8"), 1, 1.0, one


def analysis_language(code: str) -> str:
    """Which analyzer a language tag uses: its primary subtag if the hub has one, else the fallback."""
    primary = code.split("-")[0].lower()
    return primary if primary in LANGUAGES else FALLBACK


def build_schema() -> fields.Schema:
    schema = fields.Schema(
        key=fields.STORED(),
        course=fields.ID(stored=True),
        lesson=fields.STORED(),
        title=fields.STORED(),
        course_title=fields.STORED(),
        kind=fields.ID(stored=True),
        lang=fields.STORED(),
        topics=fields.STORED(),
        parts=fields.STORED(),
        sha=fields.STORED(),
        vocabulary=fields.ID(),  # on spelling documents: the course that owns them
        owned=fields.STORED(),
        facets=fields.COLUMN(VarBytesColumn()),
        words=SpellingWords(),
    )
    for language in ANALYZED:
        schema.add(f"text_{language}", LanguageText(language))
    return schema
