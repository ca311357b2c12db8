"""Scoring in arrays (hub/search/scoring.py, codec.posting_arrays) gives what Whoosh's postings and a
plain sort give: the same documents and weights, block by block, with deleted documents left out,
and the best hits in the same order, ties in index order."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.library_scale.generate import generate
from hub.search import SearchIndex, index_path
from hub.search.codec import posting_arrays, postings
from hub.search.scoring import best


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """150 courses, a 25-word vocabulary per language: common words span several posting blocks."""
    hub = generate(tmp_path_factory.mktemp("scoring") / "home", 150)
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    return index


def every_posting_list(index: SearchIndex) -> list[tuple[str, str, np.ndarray, np.ndarray, list, list]]:
    found = []
    with index._ix.searcher() as searcher:
        for leaf, _ in searcher.reader().leaf_readers():
            for name in ("text_en", "text_fr", "text_ar", "words"):
                for raw in leaf.lexicon(name):
                    term = raw.decode("utf-8")
                    found.append((name, term, *posting_arrays(leaf, name, term), *postings(leaf, name, term)))
    return found


def test_posting_arrays_hold_the_same_documents_and_weights_as_whoosh(index: SearchIndex):
    lists = every_posting_list(index)
    assert max(len(ids) for _, _, ids, *_ in lists) > 128  # lists of several blocks, and inlined ones
    assert min(len(ids) for _, _, ids, *_ in lists) < 8
    for name, term, ids, weights, whoosh_ids, whoosh_weights in lists:
        assert ids.tolist() == list(whoosh_ids), (name, term)
        assert weights.tolist() == list(whoosh_weights), (name, term)


def test_deleted_documents_are_not_in_the_posting_arrays(index: SearchIndex):
    writer = index._ix.writer()
    writer.delete_by_term("course", "gen-00000-en")
    writer.commit(merge=False)
    index._ix = index._ix.refresh()
    with index._ix.searcher() as searcher:
        leaf = next(leaf for leaf, _ in searcher.reader().leaf_readers() if leaf.has_deletions())
        term = max(leaf.lexicon("text_en"), key=lambda t: leaf.doc_frequency("text_en", t)).decode()
        ids, _ = posting_arrays(leaf, "text_en", term)
        deleted = set(leaf.all_doc_ids()) ^ set(range(leaf.doc_count_all()))
        assert deleted and not deleted & set(ids.tolist())
        assert ids.tolist() == list(postings(leaf, "text_en", term)[0])


SCORED_DOCS = st.lists(st.tuples(st.sampled_from([0.5, 1.0, 1.25, 2.0]), st.integers(0, 10_000)),
                       unique_by=lambda hit: hit[1])  # fmt: skip


@given(SCORED_DOCS, st.integers(1, 30))
def test_the_best_hits_come_best_first_with_ties_in_index_order(hits: list[tuple[float, int]], count: int):
    scores = np.array([s for s, _ in hits], dtype=np.float64)
    docs = np.array([d for _, d in hits], dtype=np.int64)
    expected = [(s, -d) for s, d in heapq.nlargest(count, [(s, -d) for s, d in hits])]
    assert best(scores, docs, count) == expected
