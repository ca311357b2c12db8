"""Search: relevance in each language, what is searchable, facets, highlights, odd queries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from content import starter
from content.author import split_front_matter
from hub.home import Hub
from hub.library import import_package
from hub.search import (
    ANALYZED,
    MAX_QUERY_WORDS,
    SearchIndex,
    analyzer_for,
    index_path,
    index_terms,
    mark_words,
    query_words,
    vtt_text,
)
from tests.conftest import tiny_pdf, write_course


@pytest.fixture(scope="module")
def starter_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """The starter courses, indexed once for the module (no writer thread: writes run inline)."""
    hub = Hub(tmp_path_factory.mktemp("search") / "home")
    hub.import_starter()
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    return index


def top_urls(index: SearchIndex, query: str, n: int = 3, **filters: str) -> list[str]:
    return [hit.url for hit in index.search(query, **filters).hits[:n]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # English: misspelled
        ("hand sanitizer", "/courses/hand-hygiene-en/little-water"),  # the lesson says "sanitiser"
        ("breathng exercise", "/courses/mental-wellbeing-en/slow-breathing"),
        ("vacine side efects", "/courses/vaccination-basics-en/safety-and-side-effects"),
        # French: accents left out, letters swapped or missing
        ("premiers secour", "/courses/first-aid-fr"),
        ("lavage des mians", "/courses/hand-hygiene-fr"),
        ("etouffement", "/courses/first-aid-fr/choking"),
        ("brulure", "/courses/first-aid-fr/bleeding-and-burns"),
        # Spanish
        ("quemadura", "/courses/first-aid-es/bleeding-and-burns"),
        ("primeros auxilos", "/courses/first-aid-es"),
        ("posicion lateral", "/courses/first-aid-es/recovery-position"),
        # Arabic: a typo in a lesson title's word, and words typed without hamza, shadda or ta marbuta
        ("النزبف", "/courses/first-aid-ar/bleeding-and-burns"),  # النزيف
        ("الاختناف", "/courses/first-aid-ar/choking"),  # الاختناق
        ("معقم اليدين", "/courses/hand-hygiene-ar/hand-gel-and-children"),  # معقّم اليدين
        ("وضعيه الافاقه", "/courses/first-aid-ar/recovery-position"),  # وضعية الإفاقة
    ],
)
def test_misspelled_accent_stripped_queries_find_the_intended_lesson(
    starter_index: SearchIndex, query: str, expected: str
):
    assert expected in top_urls(starter_index, query), top_urls(starter_index, query, 10)


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("lavage des mians", "lavage des mains"),
        ("primeros auxilos", "primeros auxilios"),
        ("breathng exercise", "breathing exercise"),
        ("النزبف", "النزيف"),
    ],
)
def test_did_you_mean(starter_index: SearchIndex, query: str, suggestion: str):
    assert starter_index.search(query).suggestion == suggestion


@pytest.mark.parametrize(
    ("query", "expected", "suggestion"),
    [
        ("firstaid", "/courses/first-aid-en", "first aid"),
        ("handwashing", "/courses/hand-hygiene-en", "hand washing"),
        ("handwashng", "/courses/hand-hygiene-en", "hand washing"),  # and a slip in one half
        ("premierssecours", "/courses/first-aid-fr", "premiers secours"),
        ("primerosauxilios", "/courses/first-aid-es", "primeros auxilios"),
    ],
)
def test_words_written_together_are_split(
    starter_index: SearchIndex, query: str, expected: str, suggestion: str
):
    results = starter_index.search(query)
    assert expected in [hit.url for hit in results.hits[:3]], [hit.url for hit in results.hits[:5]]
    assert results.suggestion == suggestion


def test_no_suggestion_when_the_words_are_found(starter_index: SearchIndex):
    assert starter_index.search("premiers secours").suggestion is None
    assert starter_index.search("quemadura").suggestion is None  # found through its stem


def test_results_in_every_language_without_choosing_one(starter_index: SearchIndex):
    results = starter_index.search("quemaduras brûlures burns")
    assert {f.value for f in results.facets["lang"]} >= {"en", "fr", "es"}


def test_the_readers_language_comes_first_when_asked(starter_index: SearchIndex):
    assert starter_index.search("gel", prefer="fr").hits[0].language == "fr"
    assert starter_index.search("gel", prefer="es").hits[0].language == "es"


def test_facets_count_and_narrow(starter_index: SearchIndex):
    everything = starter_index.search("hands")
    counts = {f.value: f.count for f in everything.facets["kind"]}
    assert sum(counts.values()) == everything.total
    assert counts["video"] >= 1 and counts["course"] >= 1
    assert {f.value for f in everything.facets["topic"]} >= {"health", "hygiene"}

    videos = starter_index.search("hands", kind="video")
    assert videos.total == counts["video"]
    assert {h.kind for h in videos.hits} == {"video"}
    # the chosen facet still lists the other kinds (with their counts) to switch to
    assert {f.value: f.count for f in videos.facets["kind"]} == counts
    assert [f.value for f in videos.facets["kind"] if f.selected] == ["video"]

    french = starter_index.search("mains", language="fr", topic="hygiene")
    assert french.total and all(h.language == "fr" and "hygiene" in h.topics for h in french.hits)
    assert starter_index.search("mains", language="fr", kind="pdf").total == 0


def test_highlights_mark_matching_words_and_escape_everything_else(starter_index: SearchIndex):
    hit = starter_index.search("brulure")
    marked = next(h for h in hit.hits if h.lesson_id == "bleeding-and-burns")
    assert '<b class="match">brûlure</b>' in marked.title_html.lower()
    assert '<b class="match">' in marked.snippet_html
    nasty = starter_index.search('<script>alert("x")</script> <b>hands</b> & "soap"')
    assert nasty.hits
    for h in nasty.hits:
        for html in (h.title_html, h.snippet_html):
            assert "<script" not in html and "<b>" not in html
            assert not re.search(r"<(?!/?b\b)", html), html  # the only tags are the marks
    assert nasty.query.startswith("<script>")  # kept as typed; escaped by the template


def test_mark_words_escapes_text_and_marks_folded_stemmed_words():
    html = mark_words("Soins <i>des</i> Brûlures & cloques", {"brulur"}, "fr")
    assert html == 'Soins &lt;i&gt;des&lt;/i&gt; <b class="match">Brûlures</b> &amp; cloques'
    assert mark_words("nothing here", {"brulur"}, "fr") == ""


NASTY_QUERIES = [
    "",
    "   ",
    "the of and",
    "le la les des",
    "!!! ??? ... ---",
    '"',
    '"unclosed phrase',
    "*",
    "wash*",
    "~",
    "hands~2",
    "(",
    "((hands",
    ")",
    "AND",
    "OR",
    "NOT",
    "hands AND soap",
    "hands OR NOT",
    "NOT hands",
    ":",
    "title:hands",
    "kind:video",
    "lang:fr mains",
    "[a TO z]",
    "{a TO z}",
    "hands^5",
    "+hands -soap",
    "\\",
    "\x00",
    "'; DROP TABLE courses; --",
    "<script>alert(1)</script>",
    "%s %(name)s {0}",
    "ـ",
    "ًٌٍَُِّْ",
    "🧼🖐️",
    "a" * 5000,
    "hands " * 500,
    " ".join(f"word{i}" for i in range(300)),
    "é" * 300,
    "\u200f\u200e\u202e",
    "ﷺ",
]


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_nasty_queries_never_raise(starter_index: SearchIndex, query: str):
    results = starter_index.search(query)
    assert results.total >= len(results.hits)
    assert not results.preparing
    for language in ("fr", "ar"):
        starter_index.search(query, language=language, topic=query[:50], kind=query[:20], prefer=query[:10])


def test_queries_are_plain_words_and_are_cut():
    assert query_words('title:"Hands" AND (soap*)~2') == ["title", "hands", "and", "soap", "2"]
    assert len(query_words(" ".join(f"w{i}" for i in range(100)))) == MAX_QUERY_WORDS
    assert query_words("Étouffement  ÉTOUFFEMENT") == ["etouffement"]
    assert query_words("الإسعافات الأوليّة") == ["الاسعافات", "الاوليه"]


def test_stop_words_alone_find_nothing_but_do_not_fail(starter_index: SearchIndex):
    results = starter_index.search("the and of")
    assert results.total == 0 and results.suggestion is None


def test_index_terms_match_the_analyzer_on_the_starter_texts():
    """Documents take a fast path (``index_terms``); queries use the Whoosh analyzer chain."""
    for folder in starter.course_folders():
        for path in sorted(folder.glob("*.md")):
            _, body = split_front_matter(path.read_text("utf-8"), str(path))
            for language in ANALYZED:
                assert index_terms(language, body) == [t.text for t in analyzer_for(language)(body)], (
                    path,
                    language,
                )


def test_vtt_text_keeps_only_the_words():
    vtt = (
        "WEBVTT - title\n\nNOTE a comment\nover lines\n\nSTYLE\n::cue { color: red }\n\n"
        "1\n00:00:00.000 --> 00:00:02.000 align:start\n<v Nurse>Wash your <b>hands</b> &amp; nails\n\n"
        "intro-2\n00:00:02.000 --> 00:00:04.000\nWash your hands &amp; nails\nwith soap\n"
    )
    assert vtt_text(vtt) == "Wash your hands & nails\nwith soap"


SEARCHABLE_COURSE = {
    "course.toml": """
id = "searchable"
version = 1
title = "Everything is searchable"
summary = "A course for the search tests."
language = "fr"
topics = ["health", "skills"]
publisher = "Test team"
""",
    "01-video.md": """+++
title = "Une vidéo"
kind = "video"
media = "media/clip.mp4"

[[captions]]
file = "media/clip.fr.vtt"
language = "fr"
label = "Français"

[[captions]]
file = "media/clip.ar.vtt"
language = "ar"
label = "العربية"
+++
Texte de remplacement.
""",
    "02-listen.md": """+++
title = "Écouter"
kind = "audio"
media = "media/talk.mp3"
+++
La transcription parle du quokka et du handwashing.
""",
    "03-leaflet.md": """+++
title = "Le dépliant"
kind = "pdf"
media = "media/leaflet.pdf"
+++
Le dépliant montre un narval et un portemonnaie.
""",
    "04-check.md": """+++
title = "Vérifier"
kind = "quiz"

[[questions]]
type = "single"
prompt = "Quel instrument est un xylophone ?"
choices = ["Un kumquat", "Une guitare"]
answer = 1
explanation = "Un ornithorynque le sait."
+++
""",
    "media/clip.mp4": b"\x00\x00\x00\x18ftypmp42 not really a video",
    "media/clip.fr.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nLe zanzibar et la marmelade\n",
    "media/clip.ar.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nالزعفران في المطبخ\n",
    "media/talk.mp3": b"ID3 not really audio",
    "media/leaflet.pdf": tiny_pdf("Le pangolin vit en Afrique"),
}


@pytest.fixture(scope="module")
def searchable_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    root = tmp_path_factory.mktemp("searchable")
    hub = Hub(root / "home")
    import_package(hub.db, hub.blobs, write_course(root / "author", SEARCHABLE_COURSE), allow_unverified=True)
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    return index


@pytest.mark.parametrize(
    ("query", "lesson"),
    [
        ("zanzibar marmelade", "video"),  # French captions
        ("الزعفران", "video"),  # Arabic captions of the same video, analyzed as Arabic
        ("quokka", "listen"),  # an audio lesson's transcript
        ("narval", "leaflet"),  # a PDF lesson's text alternative
        ("pangolin", "leaflet"),  # the words inside the PDF file itself
        ("xylophone", "check"),  # a quiz question
        ("kumquat", "check"),  # a choice
        ("ornithorynque", "check"),  # an explanation
    ],
)
def test_captions_transcripts_pdf_text_and_quizzes_are_searchable(
    searchable_index: SearchIndex, query: str, lesson: str
):
    hits = searchable_index.search(query).hits
    assert hits and hits[0].lesson_id == lesson, [h.url for h in hits]
    assert '<b class="match">' in hits[0].snippet_html


@pytest.mark.parametrize(("query", "lesson"), [("hand washing", "listen"), ("porte monnaie", "leaflet")])
def test_words_typed_apart_find_a_text_that_writes_them_as_one(
    searchable_index: SearchIndex, query: str, lesson: str
):
    results = searchable_index.search(query)
    assert results.hits and results.hits[0].lesson_id == lesson, [h.url for h in results.hits]
    assert '<b class="match">' in results.hits[0].snippet_html


def test_a_course_is_found_by_its_title(searchable_index: SearchIndex):
    hit = searchable_index.search("everything searchable").hits[0]
    assert (hit.course_id, hit.lesson_id, hit.kind) == ("searchable", None, "course")
    assert hit.url == "/courses/searchable"


def test_pages(starter_index: SearchIndex):
    first = starter_index.search("hands", page=1, limit=3)
    second = starter_index.search("hands", page=2, limit=3)
    assert first.pages > 1 and len(first.hits) == len(second.hits) == 3
    assert not {h.url for h in first.hits} & {h.url for h in second.hits}
    assert starter_index.search("hands", page=999, limit=3).hits == []


def test_an_empty_library_finds_nothing_without_failing(hub: Hub):
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    for query in ("hands", "handz", *NASTY_QUERIES[:10]):
        results = index.search(query, language="fr")
        assert results.total == 0 and results.suggestion is None and not results.preparing
    assert not index._suspect


def test_search_before_the_index_exists_says_it_is_being_prepared(tmp_path: Path):
    results = SearchIndex(tmp_path / "index").search("hands")
    assert results.preparing and results.total == 0
