"""The search page (no JavaScript needed), the search API, the header box and `hub search`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app, manager_for
from hub.cli import app as cli
from hub.home import Hub
from hub.search import index_for
from tests.conftest import foreign_scripts


@pytest.fixture(scope="module")
def starter_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    hub = Hub(tmp_path_factory.mktemp("search-web") / "home")
    hub.import_starter()
    with TestClient(
        create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    ) as c:
        assert index_for(hub).wait_ready(30)
        yield c
    index_for(hub).stop()


def main_of(html: str) -> str:
    return html[html.index('<main id="main">') :]


def test_the_search_page_works_without_javascript(starter_client: TestClient):
    page = starter_client.get("/search", params={"q": "lavage des mians"})
    assert page.status_code == 200
    html = main_of(page.text)
    assert not foreign_scripts(page.text)
    assert 'href="/search?q=lavage+des+mains"' in html  # did you mean
    assert '<a href="/courses/hand-hygiene-fr">Des <b class="match">mains</b> propres' in html
    assert '<b class="match">lavage</b>' in html
    assert 'href="/search?q=lavage+des+mians&amp;lang=fr"' in html  # a facet, as a plain link
    assert re.search(r'lang=fr" lang="fr">Français\s*<span class="count">\d+</span>', html)


def test_facet_links_narrow_and_keep_the_words(starter_client: TestClient):
    html = main_of(starter_client.get("/search", params={"q": "hands", "kind": "video"}).text)
    assert 'href="/search?q=hands&amp;kind=video" aria-current="true"' in html
    assert 'href="/search?q=hands"' in html  # "All kinds"
    assert "/courses/hand-hygiene-en/how-to-wash" in html
    assert "/courses/hand-hygiene-en/little-water" not in html  # an article, filtered out
    assert '<input type="hidden" name="kind" value="video">' in html


def test_empty_and_fruitless_searches_say_what_to_do(starter_client: TestClient):
    empty = main_of(starter_client.get("/search").text)
    assert "Type one or more words" in empty and "result" not in empty
    punctuation = main_of(starter_client.get("/search", params={"q": "?!…"}).text)
    assert "Please type some words" in punctuation
    nothing = main_of(starter_client.get("/search", params={"q": "zzyzx qwxp"}).text)
    assert "Nothing was found for" in nothing and 'href="/courses"' in nothing


def test_user_text_is_escaped_everywhere(starter_client: TestClient):
    attack = '"><script>alert(1)</script><b>hands</b>'
    page = starter_client.get("/search", params={"q": attack, "lang": '"><i>x', "topic": "<u>"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<b>hands" not in page.text and "<i>x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


@pytest.mark.parametrize("query", ['"', "*", "~", "(", "AND", "OR NOT", ":", "a:b", "x" * 3000, "\x00"])
def test_query_syntax_never_breaks_the_page_or_the_api(starter_client: TestClient, query: str):
    assert starter_client.get("/search", params={"q": query, "page": "x"}).status_code == 200
    assert starter_client.get("/api/v1/search", params={"q": query, "page": "-3"}).status_code == 200


def test_every_page_has_the_search_box(starter_client: TestClient):
    for path in ("/", "/courses", "/courses/first-aid-fr"):
        html = starter_client.get(path).text
        form = html[html.index('<form class="header-search"') :]
        assert 'action="/search" method="get"' in form
        assert re.search(r'<label for="header-search-q"[^>]*>[^<]+</label>', form)
        assert '<input id="header-search-q" type="search" name="q"' in form
    assert '<form class="header-search"' not in starter_client.get("/search?q=hands").text  # its own form


def test_the_page_is_in_the_readers_language(starter_client: TestClient):
    starter_client.cookies.set("hub_lang", "fr")
    try:
        html = starter_client.get("/search", params={"q": "gel"}).text
    finally:
        starter_client.cookies.clear()
    assert '<html lang="fr"' in html
    first = main_of(html).split('<ol class="results"', 1)[1]
    assert first.index('lang="fr"') < first.index("</li>")  # French results first for a French reader


def test_the_api(starter_client: TestClient):
    body = starter_client.get("/api/v1/search", params={"q": "primeros auxilos", "kind": "quiz"}).json()
    assert body["suggestion"] == "primeros auxilios"
    assert body["total"] == len(body["hits"]) >= 1 and body["pages"] == 1 and not body["preparing"]
    assert {h["kind"] for h in body["hits"]} == {"quiz"}
    hit = body["hits"][0]
    assert hit["url"] == "/courses/first-aid-es/quiz" and hit["lesson_id"] == "quiz"
    assert hit["course_title"].startswith("Primeros auxilios") and hit["language"] == "es"
    assert '<b class="match">' in hit["snippet_html"]
    kinds = {f["value"]: f for f in body["facets"]["kind"]}
    assert kinds["quiz"]["selected"] and kinds["course"]["count"] == 1
    assert starter_client.get("/api/v1/search").json()["total"] == 0
    assert "/api/v1/search" in starter_client.get("/api/v1/openapi.json").json()["paths"]


def test_search_command(tmp_path: Path):
    home = tmp_path / "home"
    Hub(home).import_starter()
    runner = CliRunner()
    found = runner.invoke(cli, ["search", "premiers", "secour", "--home", str(home)], env={"COLUMNS": "200"})
    assert found.exit_code == 0, found.output
    assert "building it first" in found.output  # no index yet: built, with a progress bar
    assert "/courses/first-aid-fr" in found.output
    only = runner.invoke(cli, ["search", "--home", str(home), "gel", "--lang", "es"], env={"COLUMNS": "200"})
    assert only.exit_code == 0 and "/courses/hand-hygiene-es" in only.output
    assert "/courses/hand-hygiene-en" not in only.output and "building" not in only.output
    typo = runner.invoke(cli, ["search", "breathng", "--home", str(home)], env={"COLUMNS": "200"})
    assert "Did you mean: breathing?" in typo.output

    rebuilt = runner.invoke(cli, ["search", "rebuild", "--home", str(home)], env={"COLUMNS": "200"})
    assert rebuilt.exit_code == 0, rebuilt.output
    assert re.search(r"Search index rebuilt: \d+ courses and lessons", rebuilt.output)
    assert runner.invoke(cli, ["search", "--help"]).exit_code == 0
