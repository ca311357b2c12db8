"""Full-text search over the library: the only module that talks to Whoosh.

The interface: ``SearchIndex(path)`` with ``start(hub)`` (writer thread), ``rebuild(hub, progress)``,
``update_course(course)``, ``remove_course(course_id)``, ``sync(hub)`` and ``search(text, language=,
topic=, kind=, prefer=, page=)`` returning ``SearchResults`` (hits with escaped, highlighted HTML,
facet counts, a "did you mean" suggestion, and whether the index is still being prepared).
``index_for(hub)`` gives the one started index of a hub in this process.

Documents
    One per lesson, one per course, and one "spelling" document per course. A lesson document
    holds its title and everything a resident could be looking for: the Markdown body (an
    article, the transcript of an audio lesson, the text alternative of a video or PDF), the
    WebVTT captions of a video, a quiz's questions, choices and explanations, and the alt text
    and captions of pictures. PDF files themselves are not read (no PDF library): the lesson's
    body, which describes the document, is. A course document holds the title, summary,
    audience and lesson titles, and the SHA-256 of the manifest it was built from.

One field per analysis language
    Whoosh picks an analyzer per field, not per document, so a text goes into ``text_<L>`` for
    its own language L: the course's, or a caption's (a French video may carry Arabic captions).
    L is en, fr, es, ar, pt or de, analyzed like Whoosh's ``LanguageAnalyzer`` with accent
    folding put before stemming: tokenize (combining marks stay inside words) -> lowercase ->
    ``CharsetFilter`` with Whoosh's ``accent_map`` plus Arabic normalisation (harakat and
    tatweel dropped, alef/ya/ta marbuta unified) -> stop words (folded too) -> Snowball stem
    (ISRI for Arabic). So "brulure" finds "brûlure" and "وضعيه" finds "وضعية". Other languages
    use ``text_xx``: folded, not stemmed. A title enters its field with weight ``TITLE_BOOST``.
    A query is analyzed once per language present and the alternatives OR-ed: residents search
    in any language without choosing one; the reader's interface language gets a small boost.

Spelling on a separate, unstemmed field
    ``words`` holds folded, unstemmed words; each word is indexed once, by the spelling document
    of the first course that brought it. A query word found in no text (after analysis) is looked
    up there: known words one edit away (two for words of 7+ letters) or with two letters
    swapped become extra alternatives for that word (fuzzy matching), and the candidate that
    shares the most lessons with the other query words becomes "did you mean ...?". Candidates
    are checked against the real text, so a word whose lessons were removed is never suggested.

Plain words only
    User text never reaches a query parser: it is cut to ``MAX_QUERY_CHARS``, split by the
    index's own tokenizer into at most ``MAX_QUERY_WORDS`` words, and looked up term by term, so
    ``"``, ``*``, ``~``, ``(``, ``:``, ``AND``, ``OR`` and ``NOT`` are just characters or words.

Scoring, facets, highlights
    Whoosh's BM25F formula, computed term at a time over posting blocks (Whoosh's matcher tree
    costs ~10 µs per matching document in Python; a common word matches thousands). A document
    with every (non stop) word gets a bonus. The same pass yields every match, and facet counts
    (language, topic, kind) come from a per-segment cache of each document's values; a chosen
    facet's own counts ignore that choice, so the other values stay visible. Snippets are the
    220-character window with the most distinct matches, marked ``<b class="match">`` with
    everything else HTML-escaped (``mark_words``; Whoosh's highlighter gave the same marks but
    took most of a query's time).

Threads and processes
    Whoosh allows one writer per index. Each ``SearchIndex`` has one writer thread fed by a
    queue; between jobs it polls SQLite (``library_generation``, and every 30 s the
    ``courses.manifest_sha256`` column) and reindexes what changed, so an import made by any
    process is searchable within about two seconds. Another process writing (``hub search
    rebuild``) holds the lock; the thread waits and retries, and a search never sees
    ``LockError``. Whoosh readers are not thread-safe, so each request thread keeps its own
    searcher, reused until a commit. Files are read, not memory-mapped: a segment truncated
    under a running hub then raises an error (and a rebuild) instead of killing the process
    with SIGBUS.

The index is a cache
    In ``<HUB_HOME>/index/``. Missing, unreadable, or from another ``SCHEMA_VERSION``, it is
    rebuilt from SQLite: in the background when the hub starts (searches meanwhile say that
    search is being prepared), or by ``hub search rebuild``. A rebuild commits every
    ``CHUNK_DOCUMENTS`` documents, so results appear while it runs and memory stays bounded.

Speed (see bench/search/README.md)
    ``HubCodec`` stores short posting lists inline and does not zlib every block; documents are
    analyzed by ``index_terms``, the analyzer chain's output computed without Token objects
    (a test checks they agree); stems are cached in C (``functools.lru_cache``).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import heapq
import html
import json
import logging
import queue
import re
import shutil
import threading
import time
import unicodedata
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from whoosh import fields, index
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PostingsWriter, _lenfield
from whoosh.columns import VarBytesColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.lang import has_stemmer, stemmer_for_language, stopwords_for_language
from whoosh.lang.isri import ISRIStemmer
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.util.text import utf8decode
from whoosh.writing import CLEAR

from content.markdown import plain_text
from content.model import Lesson
from content.text import pdf_text
from hub.library import stored_lessons
from hub.text_parts import search_parts

if TYPE_CHECKING:
    from hub.home import Hub

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
LANGUAGES = ("en", "fr", "es", "ar", "pt", "de")
FALLBACK = "xx"
ANALYZED = (*LANGUAGES, FALLBACK)
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
MAX_TEXT_CHARS = 20_000  # per text part kept for snippets
HIGHLIGHT_CHARS = 6_000  # how much of a part is scanned for a snippet
CHUNK_DOCUMENTS = 6_000  # documents per commit in a rebuild (see SearchIndex._write_all)
PAGE_SIZE = 10
SNIPPET_CHARS = 220
TITLE_BOOST = 3.0
PREFERRED_BOOST = 1.5
ALL_WORDS_BONUS = 1.0
BM25_B, BM25_K1 = 0.75, 1.2  # Whoosh's BM25F defaults
FACETS = ("lang", "topic", "kind")
COURSE_KIND = "course"
VOCABULARY_KIND = "vocabulary"
VERSION_FILE = "schema-version"
REPAIR_INTERVAL = 600.0  # seconds between rebuilds caused by failing searches
INDEX_NAME = "MAIN"


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, with inlining of short posting lists working.

    (whoosh-reloaded 2.7.5 calls ``terminfo.set_inline``, which does not exist, when inlining is on.)
    It also skips the per-posting type assertions, a sixth of the time spent writing postings.
    """

    def add_posting(self, id_: int, weight: float, vbytes: bytes, length: int | None = None) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def finish_postings(self) -> Any:
        terminfo = self._terminfo
        # Only postings that all carry a value are inlined: an inlined posting without one reads
        # back as "" (not b""), which Whoosh's merge then refuses (ID fields have no values).
        if not self.written() and len(self) < self._inlinelimit and len(self._values) == len(self._ids):
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            terminfo.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        self._terminfo = None
        return terminfo


class HubCodec(W3Codec):
    """Whoosh's W3 codec tuned for many small documents and many rare words.

    Posting lists of fewer than ``inlinelimit`` documents live in the term table (most words are
    rare: the spelling field's words have exactly one), and blocks are not zlib-compressed
    (compressing each tiny block cost a tenth of the build, and decompressing slowed queries).
    Blocks carry no field-length statistics (``length_stats``): gathering them read a column for
    every posting. Scores do not change; Whoosh only skips blocks a little less eagerly.
    """

    length_stats = False

    def __init__(self) -> None:
        super().__init__(blocklimit=128, compression=0, inlinelimit=8)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)  # fmt: skip


CODEC = HubCodec()

Progress = Callable[[int, int], None]  # (documents done, documents in all)


# --- Analysis ----------------------------------------------------------------------------------


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
_WORD = re.compile(WORD_PATTERN)

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
    words = _WORD.findall(fold(text[:MAX_QUERY_CHARS]))
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
def _stemmer(language: str) -> Callable[[str], str] | None:
    """One cached stemmer per language, shared by every index in the process."""
    if language == FALLBACK or not has_stemmer(language):
        return None
    return functools.lru_cache(maxsize=200_000)(stemmer_for_language(language))


class CachedStemFilter(StemFilter):
    """``StemFilter`` using the shared C-level LRU cache (Whoosh's own cache is pure Python)."""

    def clear(self) -> None:
        self._stem = _stemmer(self.lang) if self.lang else functools.lru_cache(maxsize=10_000)(self.stemfn)


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
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
        | StopFilter(stoplist=_stop_words(language), minsize=1)
    )
    if _stemmer(language):
        chain_ = chain_ | CachedStemFilter(lang=language, cachesize=200_000)
    return chain_


def index_terms(language: str, text: str) -> list[str]:
    """The terms ``analyzer_for(language)`` gives for a text, computed without Token objects.

    Indexing is where the time goes, so documents take this path; queries and highlighting use
    the analyzer chain. (Folding maps word characters to word characters or to nothing, so folding
    the whole text before splitting it gives the same words as splitting first.)
    """
    stops, stem = _stop_words(language), _stemmer(language)
    words = _WORD.findall(text.lower().translate(FOLDING))
    if stem is None:
        return [w for w in words if w and w not in stops]
    return [stem(w) for w in words if w and w not in stops]


def clear_caches() -> None:
    """Forget every cached stem (the benchmark measures builds from cold)."""
    for language in LANGUAGES:
        stem = _stemmer(language)
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


# --- What gets indexed -------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonText:
    id: str
    title: str
    kind: str
    parts: list[tuple[str, str]]  # (language tag, plain text)


@dataclass(frozen=True)
class CourseText:
    id: str
    sha256: str
    title: str
    summary: str
    language: str
    topics: list[str]
    lessons: list[LessonText]
    audience: str = ""


_VTT_TAG = re.compile(r"<[^>]*>")


def vtt_text(raw: str) -> str:
    """The words of a WebVTT file: cue text without timings, identifiers, notes or tags."""
    lines: list[str] = []
    for block in re.split(r"\r?\n[ \t]*\r?\n", raw.lstrip("\ufeff").strip()):
        block_lines = block.splitlines()
        timing = next((i for i, line in enumerate(block_lines) if "-->" in line), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE, STYLE or REGION blocks
        for line in block_lines[timing + 1 :]:
            text = html.unescape(_VTT_TAG.sub("", line)).strip()
            if text and (not lines or lines[-1] != text):
                lines.append(text)
    return "\n".join(lines)


def markdown_text(text: str) -> str:
    return html.unescape(plain_text(text)) if text.strip() else ""


def lesson_text(lesson: Lesson, language: str, read_file: Callable[[str], bytes | None]) -> LessonText:
    """Everything searchable in a lesson; `read_file` returns a blob's bytes by hash (or None)."""
    main = [markdown_text(lesson.text)]
    for question in lesson.questions:
        main += [question.prompt, *question.choices, question.explanation, question.unit]
    for image in lesson.images:
        main += [image.alt, image.caption]
    for ref in lesson.media:
        data = read_file(ref.sha256) if ref.media_type == "application/pdf" else None
        if data:
            main.append(pdf_text(data, max_chars=MAX_TEXT_CHARS))
    parts = search_parts(language, "\n".join(t for t in main if t), MAX_TEXT_CHARS)  # hub/text_parts.py
    for caption in lesson.captions:
        data = read_file(caption.file.sha256)
        if data:
            words = vtt_text(data.decode("utf-8", errors="replace"))
            if words:
                parts.append((caption.language, words[:MAX_TEXT_CHARS]))
    return LessonText(lesson.id, lesson.title, lesson.kind, [p for p in parts if p[1]])


def library_state(hub: Hub) -> dict[str, str]:
    """Each course in SQLite and the SHA-256 of its manifest; retracted courses are not searchable."""
    return dict(hub.db.execute(
        "SELECT id, manifest_sha256 FROM courses WHERE id NOT IN (SELECT course_id FROM retracted_courses)"
    ).fetchall())  # fmt: skip


def read_course(hub: Hub, course_id: str) -> CourseText | None:
    """A course's searchable text from SQLite and the blob store (one consistent snapshot)."""
    db = hub.db
    db.execute("BEGIN")
    try:
        row = db.execute(
            "SELECT manifest, manifest_sha256, topics FROM courses WHERE id = ?", [course_id]
        ).fetchone()
        stored = stored_lessons(db, course_id)
    finally:
        db.execute("COMMIT")
    if row is None:
        return None
    course = json.loads(row[0])

    def read_file(sha256: str) -> bytes | None:
        path = hub.blobs.path(sha256)
        return path.read_bytes() if path.is_file() and path.stat().st_size < 10_000_000 else None

    language = course["language"]
    lessons = [lesson_text(lesson, language, read_file) for lesson in stored]
    return CourseText(
        id=course["id"],
        sha256=row[1],
        title=course["title"],
        summary=course.get("summary", ""),
        language=language,
        topics=json.loads(row[2]),
        lessons=lessons,
        audience=course.get("audience", ""),
    )


def _facet_bytes(language: str, kind: str, topics: list[str]) -> bytes:
    return "\x1f".join([language, kind, *topics]).encode()


def course_vocabulary(course: CourseText) -> set[str]:
    """Every distinct folded word of a course (titles and all texts), for spelling suggestions."""
    texts = [course.title, course.summary, *(ls.title for ls in course.lessons)]
    texts += [text for lesson in course.lessons for _, text in lesson.parts]
    return {w for w in _WORD.findall(fold("\n".join(texts))) if len(w) > 2 and not w.isdigit()}


def vocabulary_document(course_id: str, words: Iterable[str]) -> dict[str, Any]:
    """The spelling document a course owns: words no other course's spelling document has."""
    owned = sorted(words)
    return {"key": f"vocabulary:{course_id}", "vocabulary": course_id, "kind": VOCABULARY_KIND,
            "owned": owned, "words": " ".join(owned)}  # fmt: skip


def course_documents(course: CourseText) -> Iterator[dict[str, Any]]:
    """The Whoosh documents of one course: the course itself, then each lesson."""
    language = course.language.split("-")[0].lower()
    analysis = analysis_language(course.language)
    lesson_titles = "\n".join(lesson.title for lesson in course.lessons)
    yield {
        "key": course.id,
        "course": course.id,
        "lesson": None,
        "title": course.title,
        "kind": COURSE_KIND,
        "lang": language,
        "topics": list(course.topics),
        "parts": [(course.language, course.summary)] if course.summary else [],
        "sha": course.sha256,
        "facets": _facet_bytes(language, COURSE_KIND, course.topics),
        f"text_{analysis}": [
            (course.title, TITLE_BOOST),
            (f"{course.summary}\n{course.audience}\n{lesson_titles}", 1.0),
        ],
    }
    for lesson in course.lessons:
        document: dict[str, Any] = {
            "key": f"{course.id}/{lesson.id}",
            "course": course.id,
            "lesson": lesson.id,
            "title": lesson.title,
            "course_title": course.title,
            "kind": lesson.kind,
            "lang": language,
            "topics": list(course.topics),
            "parts": lesson.parts,
            "facets": _facet_bytes(language, lesson.kind, course.topics),
        }
        by_language: dict[str, list[tuple[str, float]]] = {f"text_{analysis}": [(lesson.title, TITLE_BOOST)]}
        for tag, text in lesson.parts:
            by_language.setdefault(f"text_{analysis_language(tag)}", []).append((text, 1.0))
        document.update(by_language)
        yield document


# --- Results -----------------------------------------------------------------------------------


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


class _CountingFile:
    """A file being written that keeps its own position: Whoosh asks for it after every block,
    and each ``tell()`` on a real file is a system call."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._position = raw.tell()

    def write(self, data: Any) -> int:
        written = self._raw.write(data)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = self._raw.seek(offset, whence)
        return self._position

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _Storage(FileStorage):
    def __init__(self, path: str) -> None:
        super().__init__(path, supports_mmap=False)

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        structfile = super().create_file(name, excl=excl, mode=mode, **kwargs)
        if mode == "wb":
            structfile.file = _CountingFile(structfile.file)
        return structfile


class SearchBusy(Exception):
    """Another process kept the index's write lock for too long."""


class IndexUnavailable(Exception):
    """The index cannot be opened (missing, damaged, or from another schema version)."""


# --- The index ---------------------------------------------------------------------------------


@dataclass
class _Plan:
    words: list[list[tuple[str, str, float]]]  # per query word: (field, term, boost) alternatives
    required: list[int]  # the words (not stop words anywhere) a document gets a bonus for having all of
    terms: dict[str, set[str]]  # field -> analyzed terms, for highlighting
    suggestion: str | None


@dataclass
class _Segment:
    """Per-segment facet values by document number (segments never change once written)."""

    langs: list[str]
    kinds: list[str]
    topics: list[tuple[str, ...]]
    lengths: dict[str, list[int]] = field(default_factory=dict)
    words: list[str] | None = None

    def spelling(self, leaf: Any) -> list[str]:
        """The segment's spelling words, sorted (read once)."""
        if self.words is None:
            self.words = sorted(term.decode("utf-8") for term in leaf.lexicon("words"))
        return self.words


@dataclass
class _Job:
    action: Callable[[], Any]
    future: Future[Any] = field(default_factory=Future)


class SearchIndex:
    """The search index of one hub, in ``path`` (normally ``<HUB_HOME>/index``).

    Use ``start(hub)`` in a long-running process (the web app): a writer thread opens or
    rebuilds the index and keeps it in step with SQLite. Without ``start``, writes run in the
    calling thread (the command line).
    """

    def __init__(self, path: Path, *, poll_interval: float = 1.0, limitmb: int = 256) -> None:
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.limitmb = limitmb
        self.schema = build_schema()
        self._analyzers = {language: self.schema[f"text_{language}"].analyzer for language in ANALYZED}
        self._ix: Any = None
        self._generation = 0  # bumped whenever searchers must refresh
        self._local = threading.local()
        self._segments: dict[str, _Segment] = {}
        self._segments_lock = threading.Lock()
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._building = False
        self._ready = threading.Event()
        self._stopping = False
        self._indexed: dict[str, str] | None = None  # course id -> manifest sha256 in the index
        self._seen_index_generation = -2
        self._seen_library_generation: int | None = None
        self._last_full_check = 0.0
        self._suspect = False
        self._last_repair = float("-inf")
        self._logged: dict[str, float] = {}

    # Opening ---------------------------------------------------------------------------------

    def open(self) -> bool:
        """Open the index on disk after checking it can be read; False if it must be rebuilt."""
        try:
            version = (self.path / VERSION_FILE).read_text().strip()
            storage = _Storage(str(self.path))
            if version != str(SCHEMA_VERSION) or not storage.index_exists(INDEX_NAME):
                raise IndexUnavailable("missing or from another version")
            ix = storage.open_index(INDEX_NAME, schema=self.schema)
            with ix.searcher() as searcher:
                # Opening each segment reads the directory at the end of its file, so a truncated
                # or missing segment fails here; then a little of everything is read back.
                for leaf, _ in searcher.reader().leaf_readers():
                    count = leaf.doc_count_all()
                    for docnum in {0, count // 2, count - 1} if count else ():
                        leaf.stored_fields(docnum)
                    self._segment(leaf)
                    for name in ("course", "kind"):
                        list(leaf.lexicon(name))
                    for name in ("words", *(f"text_{lang}" for lang in ANALYZED)):
                        for term in leaf.lexicon(name):
                            _postings(leaf, name, term.decode("utf-8"))
                            break
                indexed = {
                    d["course"]: d["sha"] for d in searcher.documents(kind=COURSE_KIND) if d.get("sha")
                }
        except Exception as error:  # any damage at all means: rebuild
            log.info("search index at %s cannot be used (%s: %s)", self.path, type(error).__name__, error)
            return False
        self._ix = ix
        self._indexed = indexed
        self._seen_index_generation = ix.latest_generation()
        self._changed()
        self._ready.set()
        return True

    def _create(self) -> None:
        """An empty index, replacing whatever is in the folder."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(exist_ok=True)  # not its parents: a hub folder that was deleted stays deleted
        self._ix = _Storage(str(self.path)).create_index(self.schema, indexname=INDEX_NAME)
        (self.path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
        self._indexed = {}
        self._seen_index_generation = self._ix.latest_generation()
        self._changed()

    def _changed(self) -> None:
        self._generation += 1

    @property
    def preparing(self) -> bool:
        return self._building or not self._ready.is_set()

    # Writing ---------------------------------------------------------------------------------

    def _writer(self, *, timeout: float = 60.0) -> Any:
        """A writer for a small update, waiting for the lock if another writer holds it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._ix.writer(limitmb=64, timeout=1.0, delay=0.02, codec=CODEC)
            except index.LockError:
                if time.monotonic() > deadline:
                    raise SearchBusy("another program is writing to the search index") from None

    def _submit(self, action: Callable[[], Any]) -> Any:
        """Run a write in the writer thread if there is one (and wait), else right here."""
        thread = self._thread
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            return action()
        job = _Job(action)
        self._queue.put(job)
        return job.future.result()

    def rebuild(self, source: Hub | Iterable[CourseText], progress: Progress | None = None) -> int:
        """Recreate the whole index from the library; returns how many documents it holds."""
        return self._submit(lambda: self._rebuild(source, progress))

    def _rebuild(self, source: Hub | Iterable[CourseText], progress: Progress | None) -> int:
        if isinstance(source, Iterable):
            courses, total = source, 0
        else:
            hub = source
            total = hub.db.execute("SELECT (SELECT COUNT(*) FROM courses) + (SELECT COUNT(*) FROM lessons)")
            total = total.fetchone()[0]
            courses = self._read_courses(hub, list(library_state(hub)))
        self._building = True
        try:
            if self._ix is None or not self._usable():
                self._create()
            with self._write_lock():
                done, indexed = self._write_all(courses, total, progress)
            self._indexed = indexed
            self._seen_index_generation = self._ix.latest_generation()
            self._changed()
            self._ready.set()
            return done
        finally:
            self._building = False

    @contextlib.contextmanager
    def _write_lock(self, timeout: float = 60.0) -> Iterator[None]:
        """Whoosh's write lock, held across several commits (other writers wait, then retry)."""
        lock = self._ix.lock("WRITELOCK")
        deadline = time.monotonic() + timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise SearchBusy("another program is writing to the search index")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    def _bulk_writer(self) -> Any:
        """A writer for a rebuild (the caller holds the lock).

        One process: Whoosh's multiprocessing writer forks, which a threaded web server should
        not do, and with chunked commits it was slower here than one process anyway.
        """
        return self._ix.writer(limitmb=self.limitmb, _lk=False, codec=CODEC)

    def _write_all(
        self, courses: Iterable[CourseText], total: int, progress: Progress | None
    ) -> tuple[int, dict[str, str]]:
        """Index every course, committing every ``CHUNK_DOCUMENTS`` documents.

        The first commit drops everything that was in the index. Committing in chunks keeps
        Whoosh's in-memory posting pool under ``limitmb``: once it spills to disk, merging the
        runs back doubles the build time. Each chunk becomes a segment, searchable at once.
        """
        done, pending, first, indexed, spelled = 0, 0, True, {}, set()
        writer = self._bulk_writer()
        try:
            for course in courses:
                for document in course_documents(course):
                    writer.add_document(**document)
                    done += 1
                    pending += 1
                new_words = course_vocabulary(course) - spelled
                spelled |= new_words
                writer.add_document(**vocabulary_document(course.id, new_words))
                indexed[course.id] = course.sha256
                if progress:
                    progress(done, max(total, done))
                if pending >= CHUNK_DOCUMENTS:
                    writer.commit(**_chunk_commit(first))
                    first, pending = False, 0
                    self._changed()
                    writer = self._bulk_writer()
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**_chunk_commit(first))
        return done, indexed

    def _usable(self) -> bool:
        try:
            return self._ix.latest_generation() >= 0 and (self.path / VERSION_FILE).is_file()
        except Exception:
            return False

    def update_courses(self, courses: Iterable[CourseText], remove: Iterable[str] = ()) -> int:
        """Replace these courses' documents (and remove others) in one commit."""
        return self._submit(lambda: self._update(list(courses), list(remove)))

    def update_course(self, course: CourseText) -> int:
        return self.update_courses([course])

    def remove_course(self, course_id: str) -> int:
        return self.update_courses([], [course_id])

    def _update(self, courses: list[CourseText], remove: list[str]) -> int:
        if not courses and not remove:
            return 0
        if self._ix is None:
            raise IndexUnavailable("the index is not open")
        writer = self._writer()
        added, wanted = 0, courses
        try:
            with self._ix.searcher() as searcher:
                # Another writer may have indexed some of these while this one waited for the lock.
                current = {c.id: searcher.document(course=c.id, kind=COURSE_KIND) for c in courses}
                courses = [c for c in courses if (current[c.id] or {}).get("sha") != c.sha256]
                vocabularies = self._vocabularies(searcher, courses)
            for course_id in [*remove, *(c.id for c in courses)]:
                writer.delete_by_term("course", course_id)
            for course in courses:
                for document in course_documents(course):
                    writer.add_document(**document)
                    added += 1
                writer.delete_by_term("vocabulary", course.id)
                writer.add_document(**vocabulary_document(course.id, vocabularies[course.id]))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        indexed = dict(self._indexed or {})
        for course_id in remove:
            indexed.pop(course_id, None)
        indexed.update({c.id: c.sha256 for c in wanted})
        self._indexed = indexed
        self._seen_index_generation = self._ix.latest_generation()
        self._changed()
        return added

    @staticmethod
    def _vocabularies(searcher: Any, courses: list[CourseText]) -> dict[str, set[str]]:
        """The spelling words each updated course owns: what it owned, plus its words nobody owns.

        A word stays with the course that first brought it, even if a later version of that course
        drops it (or the course is removed): suggestions are checked against the real text, so a
        stale spelling word is never suggested, and ``hub search rebuild`` tidies them away.
        """
        reader = searcher.reader()
        taken: set[str] = set()
        result = {}
        for course in courses:
            old = searcher.document(vocabulary=course.id)
            owned = set(old["owned"]) if old else set()
            new = {w for w in course_vocabulary(course) - owned - taken if ("words", w) not in reader}
            taken |= new
            result[course.id] = owned | new
        return result

    def sync(self, hub: Hub) -> int:
        """Index the courses whose manifest changed in SQLite since they were indexed."""
        return self._submit(lambda: self._sync(hub))

    def _sync(self, hub: Hub) -> int:
        from hub.library import library_generation

        self._seen_library_generation = library_generation(hub.db)
        wanted = library_state(hub)
        if self._indexed is None:
            self._indexed = self._read_indexed()
        have = self._indexed
        changed = [cid for cid, sha in wanted.items() if have.get(cid) != sha]
        removed = [cid for cid in have if cid not in wanted]
        count = 0
        if changed or removed:
            count = self._update(list(self._read_courses(hub, changed)), removed)
        self._ready.set()
        return count

    def _read_indexed(self) -> dict[str, str]:
        with self._ix.searcher() as searcher:
            return {d["course"]: d["sha"] for d in searcher.documents(kind=COURSE_KIND) if d.get("sha")}

    # The writer thread -----------------------------------------------------------------------

    def start(self, hub: Hub) -> None:
        """Open (or rebuild, in the background) the index and keep it in step with the library."""
        if self._thread and self._thread.is_alive():
            return
        self._stopping = False
        self._thread = threading.Thread(
            target=_writer_loop,
            args=(weakref.ref(self), weakref.ref(hub)),
            name=f"search-writer:{self.path}",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the writer thread (writes asked for after this run in the caller's thread)."""
        self._stopping = True
        self._queue.put(None)
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if job is not None:
                job.future.set_exception(IndexUnavailable("the search index was stopped"))

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Wait until the index is open and in step with the library (for tests and the CLI)."""
        return self._ready.wait(timeout)

    def _first_steps(self, hub: Hub) -> None:
        if not self.open():
            self._create()
            self._rebuild(hub, None)
        self._sync(hub)

    def _poll(self, hub: Hub) -> None:
        """Cheap checks, about once a second: did the library or the index change under us?"""
        from hub.library import library_generation

        if not self._usable():
            log.warning("search index at %s disappeared; rebuilding it", self.path)
            self._create()
            self._rebuild(hub, None)
            return
        if self._suspect and time.monotonic() - self._last_repair > REPAIR_INTERVAL:
            self._suspect = False
            self._last_repair = time.monotonic()
            raise IndexUnavailable("a search failed: the index may be damaged")
        generation = self._ix.latest_generation()
        if generation != self._seen_index_generation:  # another process wrote (e.g. a rebuild)
            self._seen_index_generation = generation
            self._indexed = self._read_indexed()
            self._changed()
        now = time.monotonic()
        if library_generation(hub.db) != self._seen_library_generation or now - self._last_full_check > 30:
            self._last_full_check = now
            self._sync(hub)

    def _warm(self) -> None:
        """Read each new segment's facet values and spelling words in the writer thread, so that
        no resident's search waits for them (the spelling list of 20,000 lessons takes ~0.1 s)."""
        if self._ix is None:
            return
        with contextlib.suppress(Exception), self._ix.searcher() as searcher:
            for leaf, _ in searcher.reader().leaf_readers():
                self._segment(leaf).spelling(leaf)

    def _recover(self, hub: Hub, error: BaseException) -> None:
        """After an unexpected error in the writer thread: rebuild if the index is damaged.

        A failing search (``IndexUnavailable``) always rebuilds; anything else rebuilds only if the
        index no longer opens cleanly, so a passing problem (say, SQLite busy) costs nothing.
        """
        if not isinstance(error, IndexUnavailable) and self.open():
            self._log_once(f"search index writer: {type(error).__name__}: {error}")
            return
        log.warning("search index problem (%s: %s); rebuilding it", type(error).__name__, error)
        try:
            self._ix = None
            self._create()
            self._rebuild(hub, None)
        except SearchBusy:
            pass  # someone else is writing (probably rebuilding): look again at the next poll
        except Exception:
            log.exception("could not rebuild the search index at %s", self.path)

    def _log_once(self, message: str) -> None:
        """Log a problem once every REPAIR_INTERVAL, not at every poll."""
        now = time.monotonic()
        if self._logged.get(message, float("-inf")) + REPAIR_INTERVAL < now:
            self._logged[message] = now
            log.exception(message)

    def _read_courses(self, hub: Hub, course_ids: Iterable[str]) -> Iterator[CourseText]:
        """The courses' searchable text; a course that cannot be read is skipped (and logged)."""
        for course_id in course_ids:
            try:
                course = read_course(hub, course_id)
            except Exception:
                self._log_once(f"search: cannot read course {course_id!r} for indexing")
                continue
            if course is not None:
                yield course

    # Reading ---------------------------------------------------------------------------------

    def _searcher(self) -> Any:
        """This thread's searcher, reopened when the index changed (None if nothing is open).

        Whoosh readers are not safe to share between threads, so each thread keeps its own.
        (``Searcher.refresh()`` is not used: in whoosh-reloaded 2.7.5 it keeps segments that a
        merge replaced, so documents would appear twice; a new searcher costs a few
        milliseconds, once per thread after each commit.)
        """
        ix = self._ix
        if ix is None:
            return None
        local = self._local
        cached = getattr(local, "cached", None)
        if cached is not None and cached[0] is ix and cached[1] == self._generation:
            return cached[2]
        generation = self._generation
        searcher = ix.searcher()
        local.cached = (ix, generation, searcher)
        if cached is not None:
            with contextlib.suppress(Exception):
                cached[2].close()
        return searcher

    def search(
        self,
        text: str,
        *,
        language: str | None = None,
        topic: str | None = None,
        kind: str | None = None,
        prefer: str | None = None,
        page: int = 1,
        limit: int = PAGE_SIZE,
    ) -> SearchResults:
        """Search for the words in `text`; never raises for anything a person types."""
        words = query_words(text or "")
        preparing = self.preparing
        if not words:
            return empty_results(text, preparing)
        try:
            searcher = self._searcher()
            if searcher is None:
                return empty_results(text, True, words)
            return self._search(searcher, text, words, language, topic, kind, prefer, max(1, page), limit)
        except Exception:
            log.exception("search failed for %r", text)
            self._local.cached = None
            self._suspect = True  # the writer thread rebuilds the index (at most every few minutes)
            return empty_results(text, True, words)

    def _search(
        self,
        searcher: Any,
        text: str,
        words: list[str],
        language: str | None,
        topic: str | None,
        kind: str | None,
        prefer: str | None,
        page: int,
        limit: int,
    ) -> SearchResults:
        plan = self._plan(searcher, words, prefer)
        if plan is None:
            return empty_results(text, self.preparing, words)
        chosen = {"lang": language or None, "topic": topic or None, "kind": kind or None}
        scored = self._score(searcher, plan)
        facets, allowed = self._facets(scored, chosen)
        total = len(allowed)
        best = heapq.nlargest(page * limit, allowed)
        hits = [self._hit(searcher, -docnum, score, plan) for score, docnum in best[(page - 1) * limit :]]
        return SearchResults(
            query=text,
            words=words,
            hits=hits,
            total=total,
            facets=facets,
            suggestion=plan.suggestion,
            preparing=self.preparing,
            page=page,
            page_size=limit,
        )

    # Query planning --------------------------------------------------------------------------

    def _present_languages(self, searcher: Any) -> list[str]:
        reader = searcher.reader()
        return [lang for lang in ANALYZED if reader.field_length(f"text_{lang}")]

    def _analyze(self, language: str, word: str) -> list[str]:
        return [t.text for t in self._analyzers[language](word)]

    def _plan(self, searcher: Any, words: list[str], prefer: str | None) -> _Plan | None:
        """Turn the words into alternatives per word: each analyzed per language, plus corrections."""
        reader = searcher.reader()
        languages = self._present_languages(searcher)
        preferred = analysis_language(prefer) if prefer else None
        terms: dict[str, set[str]] = {}
        planned: list[list[tuple[str, str, float]]] = []
        required: list[int] = []
        corrected: list[str] = []
        known = [w for w in words if self._word_found(reader, languages, w)]
        for word in words:
            variants = [word]
            if word not in known:
                suggestions = self._corrections(searcher, languages, word, known)
                variants += suggestions
                corrected.append(suggestions[0] if suggestions else word)
            else:
                corrected.append(word)
            alternatives: dict[tuple[str, str], float] = {}
            stop_somewhere = False
            for language in languages:
                name = f"text_{language}"
                boost = PREFERRED_BOOST if language == preferred else 1.0
                for variant in variants:
                    analyzed = self._analyze(language, variant)
                    if not analyzed and variant == word:
                        stop_somewhere = True
                    for term in analyzed:
                        if _live(reader, name, term):
                            terms.setdefault(name, set()).add(term)
                            alternatives[(name, term)] = boost
            if alternatives:
                if not stop_somewhere:
                    required.append(len(planned))
                planned.append([(name, term, boost) for (name, term), boost in alternatives.items()])
        suggestion = " ".join(corrected) if corrected != words else None
        if not planned and not suggestion:
            return None
        return _Plan(planned, required if len(required) > 1 else [], terms, suggestion)

    def _word_found(self, reader: Any, languages: list[str], word: str) -> bool:
        """True if the word (once analyzed) is in some title or text; a stop word counts as found."""
        for language in languages:
            analyzed = self._analyze(language, word)
            if not analyzed:
                return True
            for term in analyzed:
                if _live(reader, f"text_{language}", term):
                    return True
        return False

    def _corrections(self, searcher: Any, languages: list[str], word: str, context: list[str]) -> list[str]:
        """Known words close to a word that matched nothing, best first (at most three).

        Candidates come from the unstemmed spelling field; each must still occur in some title or
        text, and they are ranked by how many documents they share with the other query words,
        then by how many documents hold them.
        """
        if len(word) < 3 or word.isdigit():
            return []
        reader = searcher.reader()
        maxdist = 1 if len(word) < 7 else 2
        candidates: dict[str, int] = {}
        for i in range(len(word) - 1):  # two letters swapped: one slip of the finger
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped != word and ("words", swapped) in reader:
                candidates[swapped] = 1
        for distance in range(1, maxdist + 1):
            if candidates:
                break
            for candidate in self._terms_within(reader, word, distance):
                if candidate != word:
                    candidates.setdefault(candidate, distance)
        best = sorted(candidates, key=candidates.__getitem__)[:12]
        docs = {c: self._word_docs(searcher, languages, c) for c in best}
        docs = {c: d for c, d in docs.items() if d}
        if not docs:
            return []
        nearest = min(candidates[c] for c in docs)
        context_docs = [self._word_docs(searcher, languages, w) for w in context]

        def rank(candidate: str) -> tuple[int, int]:
            found = docs[candidate]
            return (sum(len(found & other) for other in context_docs), len(found))

        return sorted((c for c in docs if candidates[c] == nearest), key=rank, reverse=True)[:3]

    def _terms_within(self, reader: Any, word: str, distance: int) -> set[str]:
        """Spelling words within `distance` edits of `word` (same first letter if it is long).

        Whoosh's Levenshtein automaton, run over each segment's spelling words held in memory:
        walking the on-disk term table instead took about 100 ms for a long word.
        """
        dfa = levenshtein_automaton(word, distance, 1 if len(word) > 3 else 0).to_dfa()
        found: set[str] = set()
        for leaf, _ in reader.leaf_readers():
            words = self._segment(leaf).spelling(leaf)

            def first_at_or_after(text: str, words: list[str] = words) -> str | None:
                position = bisect.bisect_left(words, text)
                return words[position] if position < len(words) else None

            found.update(find_all_matches(dfa, first_at_or_after))
        return found

    def _word_docs(self, searcher: Any, languages: list[str], word: str) -> set[int]:
        """The documents whose title or text holds this word (analyzed as each language would)."""
        docs: set[int] = set()
        terms = {(f"text_{lang}", term) for lang in languages for term in self._analyze(lang, word)}
        for leaf, offset in searcher.reader().leaf_readers():
            for name, term in terms:
                if (name, term) in leaf:
                    docs.update(offset + d for d in _posting_ids(leaf, name, term))
        return docs

    # Facets ----------------------------------------------------------------------------------

    def _segment(self, leaf: Any) -> _Segment:
        """The cached per-segment values of a segment reader (nothing for an empty index)."""
        if leaf.segment() is None:  # Whoosh's EmptyReader
            return _Segment([], [], [], words=[])
        segment_id = leaf.segment().segment_id()
        cached = self._segments.get(segment_id)
        if cached is not None:
            return cached
        langs, kinds, topics = [], [], []
        for value in leaf.column_reader("facets", translate=False):
            lang, kind, *rest = utf8decode(value)[0].split("\x1f") if value else ("", "", "")
            langs.append(lang)
            kinds.append(kind)
            topics.append(tuple(rest))
        segment = _Segment(langs, kinds, topics)
        with self._segments_lock:
            if len(self._segments) > 64:
                self._segments.clear()
            self._segments[segment_id] = segment
        return segment

    def _lengths(self, leaf: Any, segment: _Segment, field_name: str) -> list[int]:
        """Each document's length in a field (as Whoosh stores it: one byte, log-scaled)."""
        lengths = segment.lengths.get(field_name)
        if lengths is None:
            lengths = _field_lengths(leaf, field_name)
            segment.lengths[field_name] = lengths
        return lengths

    def _score(self, searcher: Any, plan: _Plan) -> list[tuple[_Segment, int, dict[int, float]]]:
        """BM25 scores of every matching document, per segment: (facets, docnum offset, scores).

        The same formula as Whoosh's BM25F (B=0.75, K1=1.2, global idf and average length), but
        computed a posting block at a time instead of through a tree of matchers: a query whose
        words occur in thousands of lessons is scored in milliseconds, and the same pass gives
        the whole match set for the facet counts. A document holding every (non stop) word gets
        their scores again as a bonus.
        """
        k1b = BM25_K1 * (1 - BM25_B)
        names = {name for words in plan.words for name, _, _ in words}
        stats = {name: BM25_K1 * BM25_B / (searcher.avg_field_length(name) or 1) for name in names}
        result = []
        for leaf, offset in searcher.reader().leaf_readers():
            segment = self._segment(leaf)
            per_word: list[dict[int, float]] = []
            for words in plan.words:
                acc: dict[int, float] = {}
                get = acc.get
                for name, term, boost in words:
                    if (name, term) not in leaf:
                        continue
                    ids, weights = _postings(leaf, name, term)
                    lengths = self._lengths(leaf, segment, name)
                    idfb = searcher.idf(name, term) * boost * (BM25_K1 + 1)
                    kb = stats[name]
                    for docnum, weight in zip(ids, weights, strict=True):
                        acc[docnum] = get(docnum, 0.0) + idfb * weight / (weight + k1b + kb * lengths[docnum])
                per_word.append(acc)
            scores = dict(per_word[0]) if per_word else {}
            get = scores.get
            for acc in per_word[1:]:
                for docnum, score in acc.items():
                    scores[docnum] = get(docnum, 0.0) + score
            if plan.required:
                required = [per_word[i] for i in plan.required]
                for docnum in set(required[0]).intersection(*required[1:]):
                    scores[docnum] += ALL_WORDS_BONUS * sum(acc[docnum] for acc in required)
            if scores:
                result.append((segment, offset, scores))
        return result

    @staticmethod
    def _facets(
        scored: list[tuple[_Segment, int, dict[int, float]]], chosen: dict[str, str | None]
    ) -> tuple[dict[str, list[FacetValue]], list[tuple[float, int]]]:
        """Counts per facet value (each ignoring its own choice), and the allowed hits as
        (score, -docnum): tuples that sort best first with ties in index order, compared in C."""
        counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        allowed: list[tuple[float, int]] = []
        want_lang, want_topic, want_kind = chosen["lang"], chosen["topic"], chosen["kind"]
        for segment, offset, scores in scored:
            langs, kinds, topics = segment.langs, segment.kinds, segment.topics
            docs = list(scores)
            if not (want_lang or want_kind or want_topic):
                counts["lang"].update(map(langs.__getitem__, docs))
                counts["kind"].update(map(kinds.__getitem__, docs))
                counts["topic"].update(chain.from_iterable(map(topics.__getitem__, docs)))
                allowed.extend(zip(scores.values(), [-offset - d for d in docs], strict=True))
                continue
            ok_lang = [not want_lang or langs[d] == want_lang for d in docs]
            ok_kind = [not want_kind or kinds[d] == want_kind for d in docs]
            ok_topic = [not want_topic or want_topic in topics[d] for d in docs]
            oks = list(zip(docs, ok_lang, ok_kind, ok_topic, strict=True))
            counts["lang"].update(langs[d] for d, _, k, t in oks if k and t)
            counts["kind"].update(kinds[d] for d, la, _, t in oks if la and t)
            counts["topic"].update(chain.from_iterable(topics[d] for d, la, k, _ in oks if la and k))
            allowed.extend((scores[d], -offset - d) for d, la, k, t in oks if la and k and t)
        facets = {}
        for name in FACETS:
            values = counts[name]
            value = chosen[name]
            if value and value not in values:
                values[value] = 0
            facets[name] = [
                FacetValue(v, count, v == value)
                for v, count in sorted(values.items(), key=lambda item: (-item[1], item[0]))
                if v
            ]
        return facets, allowed

    # Hits ------------------------------------------------------------------------------------

    def _hit(self, searcher: Any, docnum: int, score: float, plan: _Plan) -> SearchHit:
        stored = searcher.stored_fields(docnum)
        title = stored.get("title", "")
        language = stored.get("lang", "")
        analysis = analysis_language(language)
        title_html = mark_words(title, plan.terms.get(f"text_{analysis}", set()), analysis, whole=True)
        snippet = ""
        for tag, text in stored.get("parts") or []:
            part_language = analysis_language(tag)
            snippet = mark_words(text, plan.terms.get(f"text_{part_language}", set()), part_language)
            if snippet:
                break
        if not snippet:
            first = next((text for _, text in stored.get("parts") or [] if text), "")
            snippet = html.escape(_shorten(first, SNIPPET_CHARS))
        return SearchHit(
            course_id=stored.get("course", ""),
            lesson_id=stored.get("lesson") or None,
            title=title,
            course_title=stored.get("course_title") or title,
            title_html=Markup(title_html or html.escape(title)),
            snippet_html=Markup(snippet),
            kind=stored.get("kind", ""),
            language=language,
            topics=list(stored.get("topics") or []),
            score=score,
        )


def _chunk_commit(first: bool) -> dict[str, Any]:
    """Commit options for one chunk of a rebuild: the first drops the old index, none merge."""
    return {"mergetype": CLEAR} if first else {"merge": False}


def mark_words(text: str, terms: set[str], language: str, whole: bool = False) -> str:
    """HTML of a fragment of `text` (all of it if `whole`) with the words matching `terms` in
    ``<b class="match">``, or "" if none matches. Everything else is HTML-escaped.

    Words are analyzed exactly as the index analyzes them (``index_terms``), so "brulures" marks
    "brûlure". The fragment is the ``SNIPPET_CHARS`` window holding the most distinct matches.
    Whoosh's own highlighter gives the same marks but took most of a query's time.
    """
    if not text or not terms:
        return ""
    stops, stem = _stop_words(language), _stemmer(language)
    found: list[tuple[int, int, str]] = []
    for match in _WORD.finditer(text, 0, HIGHLIGHT_CHARS):
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


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _postings(leaf: Any, name: str, term: str) -> tuple[Sequence[int], Sequence[float]]:
    """The document numbers and weights of one term in one segment, a block at a time if possible."""
    matcher = leaf.postings(name, term)
    excluded: frozenset[int] = frozenset()
    if type(matcher).__name__ == "FilterMatcher":  # the segment has deleted documents
        excluded = frozenset(matcher._ids)
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_read_weights"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    if excluded:
        kept = [(d, w) for d, w in zip(ids, weights, strict=True) if d not in excluded]
        return [d for d, _ in kept], [w for _, w in kept]
    return ids, weights


def _live(reader: Any, name: str, term: str) -> bool:
    """True if some document that is not deleted holds the term (Whoosh keeps the terms of
    deleted documents in their segment until it is merged away)."""
    for leaf, _ in reader.leaf_readers():
        # With deletions, the postings matcher skips deleted documents: active means one is left.
        if (name, term) in leaf and (not leaf.has_deletions() or leaf.postings(name, term).is_active()):
            return True
    return False


def _posting_ids(leaf: Any, name: str, term: str) -> Sequence[int]:
    return _postings(leaf, name, term)[0]


def _field_lengths(leaf: Any, name: str) -> list[int]:
    """Every document's length in a field of one segment, read in one go when possible."""
    count = leaf.doc_count_all()
    try:
        column = leaf._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        if column is None:
            return [1] * count
        raw = column._dbfile.get(column._basepos, column._count)
        lengths = [byte_to_length(b) or 1 for b in raw]
        return lengths + [1] * (count - len(lengths))
    except AttributeError:  # another codec: ask document by document
        return [leaf.doc_field_length(d, name, 1) or 1 for d in range(count)]


# --- The writer thread and the registry --------------------------------------------------------


def _writer_loop(index_ref: weakref.ref[SearchIndex], hub_ref: weakref.ref[Hub]) -> None:
    """Run writes and polls until the index is stopped or the hub and index are gone.

    Only weak references are held between steps, so a hub that is thrown away (tests make many)
    takes its writer thread with it.
    """
    started, warmed = False, -1
    while True:
        search_index, hub = index_ref(), hub_ref()
        if search_index is None or hub is None or search_index._stopping:
            return
        if not hub.home.is_dir():
            return
        try:
            if search_index._generation != warmed:
                warmed = search_index._generation
                search_index._warm()
            if not started:
                started = True
                search_index._first_steps(hub)
                continue
            try:
                job = search_index._queue.get(timeout=search_index.poll_interval)
            except queue.Empty:
                search_index._poll(hub)
                continue
            if job is None:
                return
            try:
                job.future.set_result(job.action())
            except BaseException as error:
                job.future.set_exception(error)
        except SearchBusy:
            pass  # another process holds the lock; the next poll looks again
        except Exception as error:
            if not hub.home.is_dir():
                return
            search_index._recover(hub, error)
        finally:
            del search_index, hub


_registry: weakref.WeakKeyDictionary[Hub, SearchIndex] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def index_path(hub: Hub) -> Path:
    return hub.home / "index"


def index_for(hub: Hub, *, start: bool = True) -> SearchIndex:
    """The one search index of this hub in this process (started, unless told otherwise)."""
    with _registry_lock:
        search_index = _registry.get(hub)
        if search_index is None:
            search_index = _registry[hub] = SearchIndex(index_path(hub))
    if start:
        search_index.start(hub)
    return search_index
