"""Full-text search over the library: the only package that talks to Whoosh.

The interface: ``SearchIndex(path)`` with ``start(hub)`` (writer thread), ``rebuild(hub, progress)``,
``update_course(course)``, ``remove_course(course_id)``, ``sync(hub)`` and ``search(text, language=,
topic=, kind=, prefer=, page=)`` returning ``SearchResults`` (hits with escaped, highlighted HTML,
facet counts, a "did you mean" suggestion, and whether the index is still being prepared).
``index_for(hub)`` gives the one started index of a hub in this process.

Modules: ``analysis`` (words, folding, stems, the schema), ``documents`` (what gets indexed),
``index`` (opening, rebuilding, the writer thread), ``queries`` (planning, scoring, facets),
``results`` (hits and snippets), ``codec`` (how postings are stored and read back).

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
    Compounds, in every language: an unknown word that is two known words written together and
    found together ("firstaid", "premierssecours", even "handwashng") is searched as those two
    words and suggested spaced; two neighbouring query words that some text writes as one word
    ("hand washing") also look for that word. See ``SearchQueries._resolve``.

Plain words only
    User text never reaches a query parser: it is cut to ``MAX_QUERY_CHARS``, split by the
    index's own tokenizer into at most ``MAX_QUERY_WORDS`` words, and looked up term by term, so
    ``"``, ``*``, ``~``, ``(``, ``:``, ``AND``, ``OR`` and ``NOT`` are just characters or words.

Scoring, facets, highlights
    Whoosh's BM25F formula, computed a term's whole posting list at a time in numpy
    (``scoring.py``; Whoosh's matcher tree costs ~10 µs per matching document in Python, and a
    common word matches thousands). A document with every (non stop) word gets a bonus. The same
    pass yields every match, and facet counts (language, topic, kind) are counted over per-segment
    codes of each document's values; a chosen facet's own counts ignore that choice, so the other
    values stay visible. Snippets are the 220-character window with the most distinct matches,
    marked ``<b class="match">`` with everything else HTML-escaped (``mark_words``; Whoosh's
    highlighter gave the same marks but took most of a query's time).

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

from hub.search.analysis import (
    ANALYZED,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    analyzer_for,
    clear_caches,
    fold,
    index_terms,
    query_words,
)
from hub.search.documents import CourseText, LessonText, vtt_text
from hub.search.index import IndexUnavailable, SearchBusy, SearchIndex, index_for, index_path
from hub.search.results import FACETS, SearchResults, mark_words

__all__ = [
    "ANALYZED",
    "FACETS",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_WORDS",
    "CourseText",
    "IndexUnavailable",
    "LessonText",
    "SearchBusy",
    "SearchIndex",
    "SearchResults",
    "analyzer_for",
    "clear_caches",
    "fold",
    "index_for",
    "index_path",
    "index_terms",
    "mark_words",
    "query_words",
    "vtt_text",
]
