"""The read side of the index: plan a query, score it and count facets (scoring.py), make hits."""

from __future__ import annotations

import bisect
import html
import logging
import threading
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from markupsafe import Markup
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton

from hub.caches import LruCache
from hub.search.analysis import ANALYZED, analysis_language, query_words
from hub.search.codec import is_live, posting_arrays, posting_ids
from hub.search.results import (
    PAGE_SIZE,
    SNIPPET_CHARS,
    SearchHit,
    SearchResults,
    empty_results,
    mark_words,
    shorten,
)
from hub.search.scoring import Alternatives, SegmentValues, best, count_facets, score

PREFERRED_BOOST = 1.5
LONG_POSTINGS = 1000  # documents: a posting list this long is kept decoded (_postings)
MIN_PART = 3  # letters in each half of a compound word ("firstaid": first, aid)


log = logging.getLogger(__name__)


@dataclass
class QueryPlan:
    words: list[Alternatives]  # per query word: (field, term, boost) alternatives
    required: list[int]  # the words (not stop words anywhere) a document gets a bonus for having all of
    terms: dict[str, set[str]]  # field -> analyzed terms, for highlighting
    suggestion: str | None


class SearchQueries:
    """Searching, mixed into ``SearchIndex``, which opens the readers (``_searcher``), says whether
    the index is still being prepared, and owns the per-request-thread and per-segment caches."""

    _analyzers: dict[str, Any]
    _local: threading.local
    _segments: dict[str, SegmentValues]
    _segments_lock: threading.Lock
    _results: LruCache[SearchResults]
    _long_postings: LruCache[tuple[np.ndarray, np.ndarray]]
    _generation: int
    _suspect: bool
    preparing: bool

    def _searcher(self) -> Any:
        raise NotImplementedError

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
            generation = self._generation  # before the searcher: a result is never filed as newer
            searcher = self._searcher()
            if searcher is None:
                return empty_results(text, True, words)
            # The same search on the same index gives the same page: the popular ones are kept,
            # so twenty phones asking for "malaria" cost one search (HUB_CACHE_SEARCH of them).
            key = (generation, tuple(words), language, topic, kind, prefer, max(1, page), limit)
            if (kept := self._results.get(key)) is not None:
                return kept
            found = self._search(searcher, text, words, language, topic, kind, prefer, max(1, page), limit)
            return found if found.preparing else self._results.put(key, found)
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
        scored = score(searcher, plan.words, plan.required, self._segment, self._postings)
        facets, scores, docs = count_facets(scored, chosen)
        total = len(scores)
        ranked = best(scores, docs, page * limit)
        hits = [self._hit(searcher, docnum, value, plan) for value, docnum in ranked[(page - 1) * limit :]]
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

    def _plan(self, searcher: Any, typed: list[str], prefer: str | None) -> QueryPlan | None:
        """Turn the words into alternatives per word: each analyzed per language, plus corrections,
        compounds split ("firstaid": first, aid) and neighbours joined ("hand washing" also finds
        "handwashing")."""
        reader = searcher.reader()
        languages = self._present_languages(searcher)
        preferred = analysis_language(prefer) if prefer else None
        words, corrected = self._resolve(searcher, languages, typed)
        terms: dict[str, set[str]] = {}
        planned: list[list[tuple[str, str, float]]] = []
        required: list[int] = []
        for word, variants in words:
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
                        if is_live(reader, name, term):
                            terms.setdefault(name, set()).add(term)
                            alternatives[(name, term)] = boost
            if alternatives:
                if not stop_somewhere:
                    required.append(len(planned))
                planned.append([(name, term, boost) for (name, term), boost in alternatives.items()])
        suggestion = " ".join(corrected) if corrected != typed else None
        if not planned and not suggestion:
            return None
        return QueryPlan(planned, required if len(required) > 1 else [], terms, suggestion)

    def _resolve(
        self, searcher: Any, languages: list[str], typed: list[str]
    ) -> tuple[list[tuple[str, list[str]]], list[str]]:
        """Each word with the spellings to look for, and the query as it should have been typed.

        A word found in no text is, in this order: two known words written together ("firstaid"),
        a typing slip of a known word ("handwahsing"), or two words written together with a slip in
        one of them ("handwashng"). Then each pair of neighbours that is also known written as one
        word ("hand washing", "handwashing") gets that word as a spelling of both, so a text that
        writes it as one word has both of them.
        """
        reader = searcher.reader()
        known = [w for w in typed if self._word_found(reader, languages, w)]
        words: list[tuple[str, list[str]]] = []
        corrected: list[str] = []
        for word in typed:
            if word in known:
                words.append((word, [word]))
                corrected.append(word)
                continue
            parts = self._split(searcher, languages, word, fuzzy=False)
            suggestions = [] if parts else self._corrections(searcher, languages, word, known)
            if not parts and not suggestions:
                parts = self._split(searcher, languages, word, fuzzy=True)
            if parts:
                words += [(part, [part]) for part in parts]
                corrected.append(" ".join(parts))
            else:
                words.append((word, [word, *suggestions]))
                corrected.append(suggestions[0] if suggestions else word)
        for (first, first_variants), (second, second_variants) in pairwise(words):
            joined = first + second
            if ("words", joined) in reader and self._word_docs(searcher, languages, joined):
                first_variants.append(joined)
                second_variants.append(joined)
        return words, corrected

    def _split(self, searcher: Any, languages: list[str], word: str, *, fuzzy: bool) -> list[str] | None:
        """Two known words that make `word` when written together, found together in some text;
        with `fuzzy`, one of them may be one edit away. The pair found together most wins."""
        if len(word) < 2 * MIN_PART or word.isdigit():
            return None
        reader = searcher.reader()
        docs: dict[str, set[int]] = {}

        def found_in(candidate: str) -> set[int]:
            if candidate not in docs:
                docs[candidate] = self._word_docs(searcher, languages, candidate)
            return docs[candidate]

        best: list[str] | None = None
        best_shared = 0
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            for left, right in self._part_pairs(reader, word[:cut], word[cut:], fuzzy):
                shared = len(found_in(left) & found_in(right))
                if shared > best_shared:
                    best, best_shared = [left, right], shared
        return best

    def _part_pairs(self, reader: Any, left: str, right: str, fuzzy: bool) -> list[tuple[str, str]]:
        """Known spellings of the two halves of a word: both exact, or (fuzzy) one exact and the
        other one edit away."""
        left_known, right_known = ("words", left) in reader, ("words", right) in reader
        if not fuzzy:
            return [(left, right)] if left_known and right_known else []
        if left_known and not right_known and len(right) > MIN_PART:
            return [(left, near) for near in sorted(self._terms_within(reader, right, 1))]
        if right_known and not left_known and len(left) > MIN_PART:
            return [(near, right) for near in sorted(self._terms_within(reader, left, 1))]
        return []

    def _word_found(self, reader: Any, languages: list[str], word: str) -> bool:
        """True if the word (once analyzed) is in some title or text; a stop word counts as found."""
        for language in languages:
            analyzed = self._analyze(language, word)
            if not analyzed:
                return True
            for term in analyzed:
                if is_live(reader, f"text_{language}", term):
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
                    docs.update(offset + d for d in posting_ids(leaf, name, term))
        return docs

    # Facets ----------------------------------------------------------------------------------

    def _segment(self, leaf: Any) -> SegmentValues:
        """The cached per-segment values of a segment reader (nothing for an empty index)."""
        if leaf.segment() is None:  # Whoosh's EmptyReader
            return SegmentValues.read(leaf)
        segment_id = leaf.segment().segment_id()
        cached = self._segments.get(segment_id)
        if cached is not None:
            return cached
        segment = SegmentValues.read(leaf)
        with self._segments_lock:
            if len(self._segments) > 64:
                self._segments.clear()
            self._segments[segment_id] = segment
        return segment

    def _postings(self, leaf: Any, name: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's postings in a segment as arrays; long lists are kept (the words most searched
        for are the common ones, and theirs are the lists that take long to decode)."""
        if leaf.segment() is None or leaf.doc_frequency(name, term) < LONG_POSTINGS:
            return posting_arrays(leaf, name, term)
        key = (leaf.segment().segment_id(), name, term)
        return self._long_postings.get_or_make(key, lambda: posting_arrays(leaf, name, term))

    # Hits ------------------------------------------------------------------------------------

    def _hit(self, searcher: Any, docnum: int, score: float, plan: QueryPlan) -> SearchHit:
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
            snippet = html.escape(shorten(first, SNIPPET_CHARS))
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
