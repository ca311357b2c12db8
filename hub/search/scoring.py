"""Scoring a query and counting its facets, a posting list at a time, in numpy.

A word like "water" is in most lessons of a large library in its language (7,500 of 30,000 in the
10,000-course benchmark): scoring and counting document by document in Python took 50-130 ms for
such a query there. Here each term's postings are scored as one array, words are combined as
arrays, and facet counts are `bincount`s over per-segment codes: the same numbers, a few times
faster. The formula is Whoosh's BM25F (B=0.75, K1=1.2, global idf and average field length); a
document holding every (non stop) word gets their scores again as a bonus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh.util.text import utf8decode

from hub.search.codec import field_lengths
from hub.search.results import FACETS, FacetValue

BM25_B, BM25_K1 = 0.75, 1.2  # Whoosh's BM25F defaults
ALL_WORDS_BONUS = 1.0
Alternatives = list[tuple[str, str, float]]  # one query word: (field, term, boost) alternatives


@dataclass
class Codes:
    """One facet's value for each document of a segment, as an index into `names`."""

    names: list[str]
    of_doc: np.ndarray

    @classmethod
    def of(cls, values: Sequence[str]) -> Codes:
        names = sorted(set(values))
        index = {name: code for code, name in enumerate(names)}
        return cls(names, np.fromiter((index[v] for v in values), dtype=np.int32, count=len(values)))

    def code(self, value: str) -> int:
        """The code of `value`, or -1 (matching no document) when no document has it."""
        return self.names.index(value) if value in self.names else -1


@dataclass
class SegmentValues:
    """Per-segment facet values and field lengths by document number (segments never change)."""

    langs: Codes
    kinds: Codes
    topics: Codes  # one entry per (document, topic) pair: the documents are in `topic_docs`
    topic_docs: np.ndarray
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    words: list[str] | None = None

    @classmethod
    def read(cls, leaf: Any) -> SegmentValues:
        langs, kinds, topics, topic_docs = [], [], [], []
        if leaf.segment() is not None:  # not Whoosh's EmptyReader
            for docnum, value in enumerate(leaf.column_reader("facets", translate=False)):
                lang, kind, *rest = utf8decode(value)[0].split("\x1f") if value else ("", "", "")
                langs.append(lang)
                kinds.append(kind)
                topics += rest
                topic_docs += [docnum] * len(rest)
        return cls(Codes.of(langs), Codes.of(kinds), Codes.of(topics), np.array(topic_docs, dtype=np.int64))

    def spelling(self, leaf: Any) -> list[str]:
        """The segment's spelling words, sorted (read once)."""
        if self.words is None:
            self.words = sorted(term.decode("utf-8") for term in leaf.lexicon("words"))
        return self.words

    def field_lengths(self, leaf: Any, name: str) -> np.ndarray:
        """Each document's length in a field (as Whoosh stores it: one byte, log-scaled)."""
        lengths = self.lengths.get(name)
        if lengths is None:
            lengths = self.lengths[name] = np.array(field_lengths(leaf, name), dtype=np.float64)
        return lengths


@dataclass
class Scored:
    """The matching documents of one segment and their scores."""

    segment: SegmentValues
    offset: int  # of the segment's document numbers in the whole index
    docs: np.ndarray
    scores: np.ndarray


def score(
    searcher: Any,
    words: list[Alternatives],
    required: list[int],
    segment_of: Callable[[Any], SegmentValues],
    postings_of: Callable[[Any, str, str], tuple[np.ndarray, np.ndarray]],
) -> list[Scored]:
    """BM25 scores of every document matching any of the words, per segment (`segment_of` and
    `postings_of` give a segment reader's values and a term's postings, cached by the caller)."""
    k1b = BM25_K1 * (1 - BM25_B)
    names = {name for alternatives in words for name, _, _ in alternatives}
    stats = {name: BM25_K1 * BM25_B / (searcher.avg_field_length(name) or 1) for name in names}
    result = []
    for leaf, offset in searcher.reader().leaf_readers():
        segment, count = segment_of(leaf), leaf.doc_count_all()
        matched = np.zeros(count, dtype=bool)
        per_word: list[tuple[np.ndarray, np.ndarray]] = []
        for alternatives in words:
            acc, present = np.zeros(count), np.zeros(count, dtype=bool)
            for name, term, boost in alternatives:
                if (name, term) not in leaf:
                    continue
                ids, weights = postings_of(leaf, name, term)
                idfb = searcher.idf(name, term) * boost * (BM25_K1 + 1)
                lengths = segment.field_lengths(leaf, name)[ids]
                acc[ids] += idfb * weights / (weights + k1b + stats[name] * lengths)
                present[ids] = True
            per_word.append((acc, present))
            matched |= present
        if not matched.any():
            continue
        total = np.zeros(count)
        for acc, _ in per_word:
            total += acc
        if required:
            everywhere = np.logical_and.reduce([per_word[i][1] for i in required])
            bonus = np.zeros(count)
            for i in required:
                bonus += per_word[i][0]
            total[everywhere] += ALL_WORDS_BONUS * bonus[everywhere]
        docs = np.flatnonzero(matched)
        result.append(Scored(segment, offset, docs, total[docs]))
    return result


def count_facets(
    scored: list[Scored], chosen: dict[str, str | None]
) -> tuple[dict[str, list[FacetValue]], np.ndarray, np.ndarray]:
    """Counts per facet value (each ignoring its own choice), and the allowed documents' scores
    and document numbers in the whole index."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    allowed_scores, allowed_docs = [], []
    for part in scored:
        segment, docs = part.segment, part.docs
        ok = {
            "lang": _matches(segment.langs, docs, chosen["lang"]),
            "kind": _matches(segment.kinds, docs, chosen["kind"]),
            "topic": _has_topic(segment, docs, chosen["topic"]),
        }
        _add(counts["lang"], segment.langs.names, segment.langs.of_doc[docs[ok["kind"] & ok["topic"]]])
        _add(counts["kind"], segment.kinds.names, segment.kinds.of_doc[docs[ok["lang"] & ok["topic"]]])
        counted = np.zeros(len(segment.langs.of_doc), dtype=bool)
        counted[docs[ok["lang"] & ok["kind"]]] = True
        _add(counts["topic"], segment.topics.names, segment.topics.of_doc[counted[segment.topic_docs]])
        kept = ok["lang"] & ok["kind"] & ok["topic"]
        allowed_scores.append(part.scores[kept])
        allowed_docs.append(part.offset + docs[kept])
    facets = {}
    for name in FACETS:
        values, value = counts[name], chosen[name]
        if value and value not in values:
            values[value] = 0
        facets[name] = [
            FacetValue(v, count, v == value)
            for v, count in sorted(values.items(), key=lambda item: (-item[1], item[0]))
            if v
        ]
    if not allowed_scores:
        return facets, np.zeros(0), np.zeros(0, dtype=np.int64)
    return facets, np.concatenate(allowed_scores), np.concatenate(allowed_docs)


def best(scores: np.ndarray, docs: np.ndarray, count: int) -> list[tuple[float, int]]:
    """The `count` best (score, document number), best first, ties in index order."""
    if count < len(scores):
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        near = scores >= threshold  # every tie at the edge, so the order below decides
        scores, docs = scores[near], docs[near]
    order = np.lexsort((docs, -scores))[:count]
    return [(float(scores[i]), int(docs[i])) for i in order]


def _matches(codes: Codes, docs: np.ndarray, value: str | None) -> np.ndarray:
    if not value:
        return np.ones(len(docs), dtype=bool)
    return codes.of_doc[docs] == codes.code(value)


def _has_topic(segment: SegmentValues, docs: np.ndarray, topic: str | None) -> np.ndarray:
    if not topic:
        return np.ones(len(docs), dtype=bool)
    with_topic = np.zeros(len(segment.langs.of_doc), dtype=bool)
    with_topic[segment.topic_docs[segment.topics.of_doc == segment.topics.code(topic)]] = True
    return with_topic[docs]


def _add(counts: dict[str, int], names: list[str], codes: np.ndarray) -> None:
    for code, count in enumerate(np.bincount(codes, minlength=len(names)).tolist()):
        if count:
            counts[names[code]] = counts.get(names[code], 0) + count
