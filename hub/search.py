"""Full-text search over the library: the only module that talks to Whoosh.

Design
------
* **One document per lesson and one per course.** A lesson document holds the lesson's title and
  every text a resident could be looking for: the Markdown body (an article, or the transcript of
  an audio lesson, or the text alternative of a video or PDF), the WebVTT captions of a video,
  the questions, choices and explanations of a quiz, and the alt text and captions of pictures.
  A course document holds the course title, summary, audience and lesson titles, the SHA-256 of
  the manifest it was built from (how the index knows it is up to date), and the course's
  vocabulary for spelling suggestions.
* **One field per analysis language.** Whoosh chooses an analyzer per field, not per document, so
  text is indexed into ``title_<L>`` / ``text_<L>`` where L is the language of that text: the
  course's language, or a caption's own language (a French video may carry Arabic captions).
  L is one of en, fr, es, ar, pt, de, each analyzed as: tokenize (keeping combining marks inside
  words) -> lowercase -> fold accents and Arabic variants (``CharsetFilter`` with Whoosh's
  ``accent_map`` plus alef/ya/ta-marbuta normalisation, harakat and tatweel removed) -> drop stop
  words (folded too) -> stem (Snowball; ISRI for Arabic). Folding comes *before* stemming so
  "brulure" and "brûlure" stem alike. Any other language goes to ``*_xx``, folded but not stemmed.
  A query is analyzed once per language present in the index and the terms are OR-ed, so a
  resident can search in any language without choosing it first; the reader's interface
  language gets a small boost.
* **Spelling on a separate, unstemmed field.** ``words`` (on course documents) holds each distinct
  folded word of the course. A query word that matches nothing in any language field is looked
  up there: words within one edit (two for long words), or with two letters swapped, become
  extra alternatives in the query (fuzzy matching) and the best one, chosen by how often it
  appears with the other query words, becomes "did you mean ...?".
* **Plain words only.** User text is never given to a query parser: it is cut to
  ``MAX_QUERY_CHARS``, split into at most ``MAX_QUERY_WORDS`` words with the same tokenizer as the
  index, and turned into ``Term`` queries, so quotes, ``*``, ``~``, ``(``, ``AND``, ``OR``, ``NOT`` and
  ``:`` are just characters. Documents matching every (non stop) word get a bonus.
* **Facets** (language, topic, kind) are counted from the posting lists of the query terms and a
  per-segment cache of each document's facet values; a chosen facet's own counts ignore that
  facet, so the other values stay visible to switch to.
* **Threads.** Whoosh allows one writer per index. Each ``SearchIndex`` runs one writer thread fed
  by a queue; it also polls SQLite (``library_generation``, then ``courses.manifest_sha256``) so
  imports made by any process are indexed within a couple of seconds. Writers from other
  processes (``hub search rebuild``) wait for the lock; ``LockError`` never reaches a resident.
  Whoosh readers are not safe to share between threads, so each request thread keeps its own
  searcher, reused across requests and refreshed (re-using unchanged segments) after a commit.
* **The index is a cache** in ``<HUB_HOME>/index/``: missing, corrupt or from another schema
  version, it is rebuilt from SQLite (in the background when the hub starts; searches meanwhile
  return what exists and say that search is being prepared).
"""

from __future__ import annotations

import contextlib
import functools
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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from whoosh import fields, highlight, index
from whoosh import query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.columns import VarBytesColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.lang import has_stemmer, stemmer_for_language, stopwords_for_language
from whoosh.lang.isri import ISRIStemmer
from whoosh.support.charset import accent_map
from whoosh.util.text import utf8decode

from content.markdown import plain_text
from content.model import Lesson

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
PAGE_SIZE = 20
TITLE_BOOST = 3.0
PREFERRED_BOOST = 1.25
ALL_WORDS_BONUS = 1.0
FACETS = ("lang", "topic", "kind")
COURSE_KIND = "course"
VOCABULARY_KIND = "vocabulary"
VERSION_FILE = "schema-version"
INDEX_NAME = "MAIN"


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, with inlining of short posting lists working.

    (whoosh-reloaded 2.7.5 calls ``terminfo.set_inline``, which does not exist, when inlining is on.)
    """

    def finish_postings(self) -> Any:
        terminfo = self._terminfo
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()


class HubCodec(W3Codec):
    """Whoosh's W3 codec tuned for many small documents and many rare words.

    Posting lists of fewer than ``inlinelimit`` documents live in the term table (most words are
    rare: the spelling field's words have exactly one), and blocks are not zlib-compressed
    (compressing each tiny block cost a tenth of the build, and decompressing slowed queries).
    """

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


class CachedStemFilter(StemFilter):
    """``StemFilter`` with the standard library's C-level LRU cache (Whoosh's own is pure Python)."""

    def clear(self) -> None:
        stem = stemmer_for_language(self.lang) if self.lang else self.stemfn
        self._stem = functools.lru_cache(maxsize=self.cachesize)(stem)


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
    chain_ = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | FoldFilter()
    if language == FALLBACK:
        return chain_
    stops = _stop_words(language)
    if stops:
        chain_ = chain_ | StopFilter(stoplist=stops, minsize=1)
    if has_stemmer(language):
        chain_ = chain_ | CachedStemFilter(lang=language, cachesize=200_000)
    return chain_


def analysis_language(code: str) -> str:
    """Which analyzer a language tag uses: its primary subtag if the hub has one, else the fallback."""
    primary = code.split("-")[0].lower()
    return primary if primary in LANGUAGES else FALLBACK


def build_schema() -> fields.Schema:
    analyzers = {language: analyzer_for(language) for language in ANALYZED}
    schema = fields.Schema(
        key=fields.STORED(),
        course=fields.ID(stored=True),
        lesson=fields.STORED(),
        title=fields.STORED(),
        kind=fields.ID(stored=True),
        lang=fields.STORED(),
        topics=fields.STORED(),
        parts=fields.STORED(),
        sha=fields.STORED(),
        vocabulary=fields.ID(),  # on spelling documents: the course that owns them
        owned=fields.STORED(),
        facets=fields.COLUMN(VarBytesColumn()),
        # scorable only so Whoosh writes its lengths column: without one it stats a file per posting
        words=fields.KEYWORD(scorable=True),
    )
    for language, analyzer in analyzers.items():
        schema.add(f"title_{language}", fields.TEXT(analyzer=analyzer, phrase=False, field_boost=TITLE_BOOST))
        schema.add(f"text_{language}", fields.TEXT(analyzer=analyzer, phrase=False))
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
    parts = [(language, "\n".join(t for t in main if t)[:MAX_TEXT_CHARS])]
    for caption in lesson.captions:
        data = read_file(caption.file.sha256)
        if data:
            words = vtt_text(data.decode("utf-8", errors="replace"))
            if words:
                parts.append((caption.language, words[:MAX_TEXT_CHARS]))
    return LessonText(lesson.id, lesson.title, lesson.kind, [p for p in parts if p[1]])


def library_state(hub: Hub) -> dict[str, str]:
    """Each course in SQLite and the SHA-256 of its manifest."""
    return dict(hub.db.execute("SELECT id, manifest_sha256 FROM courses").fetchall())


def read_course(hub: Hub, course_id: str) -> CourseText | None:
    """A course's searchable text from SQLite and the blob store (one consistent snapshot)."""
    db = hub.db
    db.execute("BEGIN")
    try:
        row = db.execute(
            "SELECT manifest, manifest_sha256, topics FROM courses WHERE id = ?", [course_id]
        ).fetchone()
        rows = db.execute(
            "SELECT data FROM lessons WHERE course_id = ? ORDER BY position", [course_id]
        ).fetchall()
    finally:
        db.execute("COMMIT")
    if row is None:
        return None
    course = json.loads(row[0])

    def read_file(sha256: str) -> bytes | None:
        path = hub.blobs.path(sha256)
        return path.read_bytes() if path.is_file() and path.stat().st_size < 10_000_000 else None

    language = course["language"]
    lessons = [lesson_text(Lesson.model_validate_json(data), language, read_file) for (data,) in rows]
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
        f"title_{analysis}": course.title,
        f"text_{analysis}": f"{course.summary}\n{course.audience}\n{lesson_titles}",
    }
    for lesson in course.lessons:
        document: dict[str, Any] = {
            "key": f"{course.id}/{lesson.id}",
            "course": course.id,
            "lesson": lesson.id,
            "title": lesson.title,
            "kind": lesson.kind,
            "lang": language,
            "topics": list(course.topics),
            "parts": lesson.parts,
            "facets": _facet_bytes(language, lesson.kind, course.topics),
            f"title_{analysis}": lesson.title,
        }
        by_language: dict[str, list[str]] = {}
        for tag, text in lesson.parts:
            by_language.setdefault(f"text_{analysis_language(tag)}", []).append(text)
        document.update({name: "\n".join(texts) for name, texts in by_language.items()})
        yield document


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    course_id: str
    lesson_id: str | None  # None: the hit is the course itself
    title: str
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


class Marks(highlight.Formatter):
    """Matching words in ``<b class="match">``; every other character HTML-escaped."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f'<b class="match">{html.escape(highlight.get_text(text, token, replace))}</b>'


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
    query: wq.Query
    terms: dict[str, set[str]]  # field -> analyzed terms, for highlighting and facets
    suggestion: str | None


@dataclass
class _Segment:
    """Per-segment facet values by document number (segments never change once written)."""

    langs: list[str]
    kinds: list[str]
    topics: list[tuple[str, ...]]


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

    def __init__(self, path: Path, *, poll_interval: float = 1.0, procs: int = 1, limitmb: int = 256) -> None:
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.procs = procs
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
                reader = searcher.reader()
                for leaf, _ in reader.leaf_readers():
                    for docnum in range(leaf.doc_count_all()):
                        leaf.stored_fields(docnum)
                    list(leaf.column_reader("facets"))
                    for name in ("key", "words", *(f"text_{lang}" for lang in ANALYZED)):
                        for _ in leaf.lexicon(name):
                            pass
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
        return True

    def _create(self) -> None:
        """An empty index, replacing whatever is in the folder."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
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

    def _writer(self, *, timeout: float = 60.0, bulk: bool = False) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if bulk and self.procs > 1:
                    return self._ix.writer(
                        procs=self.procs, limitmb=self.limitmb, multisegment=True, timeout=1.0, codec=CODEC
                    )
                return self._ix.writer(
                    limitmb=self.limitmb if bulk else 64, timeout=1.0, delay=0.02, codec=CODEC
                )
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
            total = hub.db.execute("SELECT COUNT(*) + (SELECT COUNT(*) FROM lessons) FROM courses").fetchone()[0]
            courses = (c for c in map(lambda cid: read_course(hub, cid), library_state(hub)) if c)
        self._building = True
        try:
            if self._ix is None or not self._usable():
                self._create()
            writer = self._writer(bulk=True)
            done, indexed, spelled = 0, {}, set()
            try:
                for course in courses:
                    for document in course_documents(course):
                        writer.add_document(**document)
                        done += 1
                    new_words = course_vocabulary(course) - spelled
                    spelled |= new_words
                    writer.add_document(**vocabulary_document(course.id, new_words))
                    indexed[course.id] = course.sha256
                    if progress:
                        progress(done, max(total, done))
            except BaseException:
                writer.cancel()
                raise
            writer.commit(mergetype=_clear_merge())
            self._indexed = indexed
            self._seen_index_generation = self._ix.latest_generation()
            self._changed()
            self._ready.set()
            return done
        finally:
            self._building = False

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
        added = 0
        try:
            with self._ix.searcher() as searcher:
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
        indexed.update({c.id: c.sha256 for c in courses})
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
        if not changed and not removed:
            return 0
        courses = [c for c in (read_course(hub, cid) for cid in changed) if c]
        return self._update(courses, removed)

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
        self._stopping = True
        self._queue.put(None)
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Wait until the index is open and in step with the library (for tests and the CLI)."""
        return self._ready.wait(timeout)

    def _first_steps(self, hub: Hub) -> None:
        if not self.open():
            self._create()
            self._rebuild(hub, None)
        self._sync(hub)
        self._ready.set()

    def _poll(self, hub: Hub) -> None:
        """Cheap checks, about once a second: did the library or the index change under us?"""
        from hub.library import library_generation

        if not self._usable():
            log.warning("search index at %s disappeared; rebuilding it", self.path)
            self._create()
            self._rebuild(hub, None)
            return
        generation = self._ix.latest_generation()
        if generation != self._seen_index_generation:  # another process wrote (e.g. a rebuild)
            self._seen_index_generation = generation
            self._indexed = self._read_indexed()
            self._changed()
        now = time.monotonic()
        if library_generation(hub.db) != self._seen_library_generation or now - self._last_full_check > 30:
            self._last_full_check = now
            self._sync(hub)

    def _recover(self, hub: Hub, error: BaseException) -> None:
        log.warning("search index problem (%s: %s); rebuilding it", type(error).__name__, error)
        try:
            self._ix = None
            self._create()
            self._rebuild(hub, None)
            self._ready.set()
        except SearchBusy:
            pass  # someone else is writing (probably rebuilding): look again at the next poll
        except Exception:
            log.exception("could not rebuild the search index at %s", self.path)

    # Reading ---------------------------------------------------------------------------------

    def _searcher(self) -> Any:
        """This thread's searcher, refreshed when the index changed (None if nothing is open)."""
        ix = self._ix
        if ix is None:
            return None
        local = self._local
        cached = getattr(local, "cached", None)
        if cached is not None and cached[0] is ix:
            searcher = cached[2]
            if cached[1] != self._generation:
                searcher = searcher.refresh()
        else:
            if cached is not None:
                with contextlib.suppress(Exception):
                    cached[2].close()
            searcher = ix.searcher()
        local.cached = (ix, self._generation, searcher)
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
        matched = self._matching_docs(searcher, plan)
        facets, allowed = self._facets(searcher, matched, chosen)
        total = len(allowed)
        hits: list[SearchHit] = []
        if total:
            found = searcher.search(
                plan.query,
                limit=page * limit,
                filter=allowed if any(chosen.values()) else None,
            )
            for hit in list(found)[(page - 1) * limit :]:
                hits.append(self._hit(hit, plan))
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
        return [lang for lang in ANALYZED if reader.field_length(f"text_{lang}") or reader.field_length(f"title_{lang}")]

    def _analyze(self, language: str, word: str) -> list[str]:
        return [t.text for t in self._analyzers[language](word)]

    def _plan(self, searcher: Any, words: list[str], prefer: str | None) -> _Plan | None:
        reader = searcher.reader()
        languages = self._present_languages(searcher)
        preferred = analysis_language(prefer) if prefer else None
        terms: dict[str, set[str]] = {}
        clauses: list[wq.Query] = []
        required: list[wq.Query] = []
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
            subqueries: list[wq.Query] = []
            stop_somewhere = False
            for language in languages:
                boost = PREFERRED_BOOST if language == preferred else 1.0
                for variant in variants:
                    analyzed = self._analyze(language, variant)
                    if not analyzed and variant == word:
                        stop_somewhere = True
                    for term in analyzed:
                        for name in (f"title_{language}", f"text_{language}"):
                            if (name, term) in reader:
                                terms.setdefault(name, set()).add(term)
                                subqueries.append(wq.Term(name, term, boost=boost))
            if not subqueries:
                continue
            clause = subqueries[0] if len(subqueries) == 1 else wq.Or(subqueries)
            clauses.append(clause)
            if not stop_somewhere:
                required.append(clause)
        if not clauses:
            suggestion = " ".join(corrected) if corrected != words else None
            return _Plan(wq.NullQuery, {}, suggestion) if suggestion else None
        query: wq.Query = clauses[0] if len(clauses) == 1 else wq.Or(clauses)
        if len(required) > 1:
            query = wq.Or([query, wq.And(required, boost=ALL_WORDS_BONUS)])
        suggestion = " ".join(corrected) if corrected != words else None
        return _Plan(query, terms, suggestion)

    def _word_found(self, reader: Any, languages: list[str], word: str) -> bool:
        """True if the word (once analyzed) is in some title or text; a stop word counts as found."""
        for language in languages:
            analyzed = self._analyze(language, word)
            if not analyzed:
                return True
            for term in analyzed:
                if (f"text_{language}", term) in reader or (f"title_{language}", term) in reader:
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

    @staticmethod
    def _terms_within(reader: Any, word: str, distance: int) -> set[str]:
        found: set[str] = set()
        prefix = 1 if len(word) > 3 else 0
        for leaf, _ in reader.leaf_readers():
            found.update(leaf.terms_within("words", word, distance, prefix=prefix))
        return found

    def _word_docs(self, searcher: Any, languages: list[str], word: str) -> set[int]:
        """The documents whose title or text holds this word (analyzed as each language would)."""
        docs: set[int] = set()
        terms = {(f"{part}_{lang}", term) for lang in languages for term in self._analyze(lang, word)
                 for part in ("title", "text")}  # fmt: skip
        for leaf, offset in searcher.reader().leaf_readers():
            for name, term in terms:
                if (name, term) in leaf:
                    docs.update(offset + d for d in _posting_ids(leaf, name, term))
        return docs

    # Facets ----------------------------------------------------------------------------------

    def _segment(self, leaf: Any) -> _Segment:
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

    def _matching_docs(self, searcher: Any, plan: _Plan) -> list[tuple[_Segment, int, list[int]]]:
        """Every document matching some query term: (segment facets, docnum offset, local docnums)."""
        result = []
        for leaf, offset in searcher.reader().leaf_readers():
            docs: set[int] = set()
            for name, terms in plan.terms.items():
                for term in terms:
                    if (name, term) in leaf:
                        docs.update(_posting_ids(leaf, name, term))
            if docs:
                result.append((self._segment(leaf), offset, sorted(docs)))
        return result

    def _facets(
        self, searcher: Any, matched: list[tuple[_Segment, int, list[int]]], chosen: dict[str, str | None]
    ) -> tuple[dict[str, list[FacetValue]], set[int]]:
        """Counts per facet value (each ignoring its own choice), and the documents all choices allow."""
        counts = {name: Counter() for name in FACETS}
        allowed: set[int] = set()
        want_lang, want_topic, want_kind = chosen["lang"], chosen["topic"], chosen["kind"]
        for segment, offset, docs in matched:
            langs, kinds, topics = segment.langs, segment.kinds, segment.topics
            ok_lang = [not want_lang or langs[d] == want_lang for d in docs]
            ok_kind = [not want_kind or kinds[d] == want_kind for d in docs]
            ok_topic = [not want_topic or want_topic in topics[d] for d in docs]
            counts["lang"].update(langs[d] for d, k, t in zip(docs, ok_kind, ok_topic, strict=True) if k and t)
            counts["kind"].update(kinds[d] for d, la, t in zip(docs, ok_lang, ok_topic, strict=True) if la and t)
            counts["topic"].update(
                chain.from_iterable(
                    topics[d] for d, la, k in zip(docs, ok_lang, ok_kind, strict=True) if la and k
                )
            )
            allowed.update(
                offset + d
                for d, la, k, t in zip(docs, ok_lang, ok_kind, ok_topic, strict=True)
                if la and k and t
            )
        facets = {}
        for name in FACETS:
            values = counts[name]
            if chosen[name] and chosen[name] not in values:
                values[chosen[name]] = 0
            facets[name] = [
                FacetValue(value, count, value == chosen[name])
                for value, count in sorted(values.items(), key=lambda item: (-item[1], item[0]))
                if value
            ]
        return facets, allowed

    # Hits ------------------------------------------------------------------------------------

    def _hit(self, hit: Any, plan: _Plan) -> SearchHit:
        stored = hit.fields()
        title = stored.get("title", "")
        language = stored.get("lang", "")
        analysis = analysis_language(language)
        title_terms = plan.terms.get(f"title_{analysis}", set())
        title_html = _highlight(title, title_terms, self._analyzers[analysis], whole=True)
        snippet = ""
        for tag, text in stored.get("parts") or []:
            part_language = analysis_language(tag)
            part_terms = plan.terms.get(f"text_{part_language}", set())
            snippet = _highlight(text[:HIGHLIGHT_CHARS], part_terms, self._analyzers[part_language])
            if snippet:
                break
        if not snippet:
            first = next((text for _, text in stored.get("parts") or [] if text), "")
            snippet = html.escape(_shorten(first, 200))
        return SearchHit(
            course_id=stored.get("course", ""),
            lesson_id=stored.get("lesson") or None,
            title=title,
            title_html=Markup(title_html or html.escape(title)),
            snippet_html=Markup(snippet),
            kind=stored.get("kind", ""),
            language=language,
            topics=list(stored.get("topics") or []),
            score=float(hit.score or 0.0),
        )


def _clear_merge() -> Any:
    from whoosh.writing import CLEAR

    return CLEAR


_FRAGMENTER = highlight.ContextFragmenter(maxchars=220, surround=60)
_WHOLE = highlight.WholeFragmenter()
_MARKS_FORMATTER = Marks()


def _highlight(text: str, terms: set[str], analyzer: Any, whole: bool = False) -> str:
    if not text or not terms:
        return ""
    return highlight.highlight(
        text, terms, analyzer, _WHOLE if whole else _FRAGMENTER, _MARKS_FORMATTER, top=2
    )


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _posting_ids(leaf: Any, name: str, term: str) -> Iterable[int]:
    """The document numbers of one term in one segment, read a block at a time when possible."""
    matcher = leaf.postings(name, term)
    excluded: frozenset[int] | set[int] = frozenset()
    if type(matcher).__name__ == "FilterMatcher":  # the segment has deleted documents
        excluded = matcher._ids
        matcher = matcher.child
    if not hasattr(matcher, "_read_ids"):
        return [d for d in matcher.all_ids() if d not in excluded]
    ids: list[int] = []
    while matcher.is_active():
        matcher._read_ids()
        ids.extend(matcher._ids)
        matcher._next_block()
    return [d for d in ids if d not in excluded] if excluded else ids


# --- The writer thread and the registry --------------------------------------------------------


def _writer_loop(index_ref: weakref.ref[SearchIndex], hub_ref: weakref.ref[Hub]) -> None:
    """Run writes and polls until the index is stopped or the hub and index are gone.

    Only weak references are held between steps, so a hub that is thrown away (tests make many)
    takes its writer thread with it.
    """
    started = False
    while True:
        search_index, hub = index_ref(), hub_ref()
        if search_index is None or hub is None or search_index._stopping:
            return
        if not hub.home.is_dir():
            return
        try:
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

