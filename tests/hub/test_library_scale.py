"""A large library stays correct where its cost is bounded (issue 21): paged lists show every course
exactly once, bounded caches give each reader her own language, a lesson's view logs a change only
when something changed. Speed is bench/library_scale's business, not these tests'."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bench.library_scale.generate import generate
from hub import i18n, learners, progress
from hub.app import create_app
from hub.caches import LruCache
from hub.catalogue import Catalogue
from hub.db import writer_lock
from hub.home import Hub
from hub.plugins import manager_for
from hub.plugins.offline.routes import SAVABLE_PAGE_SIZE
from hub.plugins.resident.learning import COURSES_PAGE_SIZE, HOME_CARDS, HOME_CONTINUING, HOME_OTHER_CARDS
from tests.conftest import resident

TOTAL = 17 + 4 * COURSES_PAGE_SIZE + 7  # several pages in every language, the last one short
CARD_LINK = re.compile(r'<a class="whole" href="/courses/([^"/]+)">')


@pytest.fixture(scope="module")
def big_hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    return generate(tmp_path_factory.mktemp("big") / "home", TOTAL)


@pytest.fixture(scope="module")
def web(big_hub: Hub) -> TestClient:
    with TestClient(create_app(big_hub, manager_for(big_hub, load_entry_points=False))) as client:
        yield client


def course_ids(hub: Hub, language: str = "") -> list[str]:
    rows = hub.db.execute("SELECT id, language FROM courses").fetchall()
    return sorted(r[0] for r in rows if not language or r[1].split("-")[0] == language)


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar", "all"])
def test_course_pages_show_every_course_exactly_once(big_hub: Hub, web: TestClient, lang: str):
    seen: list[str] = []
    address: str | None = f"/courses?lang={lang}"
    pages = 0
    while address:
        page = web.get(address, headers={"Accept-Language": "fr"})
        assert page.status_code == 200
        found = CARD_LINK.findall(page.text)
        assert 0 < len(found) <= COURSES_PAGE_SIZE
        seen += found
        pages += 1
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        address = following.group(1).replace("&amp;", "&") if following else None
    assert pages > 1
    assert [c for c, n in Counter(seen).items() if n > 1] == []
    assert sorted(seen) == course_ids(big_hub, "" if lang == "all" else lang)
    if lang == "all":  # the reader's language first
        french = set(course_ids(big_hub, "fr"))
        assert set(seen[: len(french)]) == french


def test_a_page_past_the_end_shows_the_last_and_a_word_is_page_one(web: TestClient):
    last = web.get("/courses?lang=en&page=999")
    assert last.status_code == 200 and 'rel="next"' not in last.text and 'rel="prev"' in last.text
    first = web.get("/courses?lang=en&page=first")
    assert first.status_code == 200 and 'rel="prev"' not in first.text and 'rel="next"' in first.text


@pytest.mark.parametrize("lang", ["", "es"])
def test_api_cursor_pages_give_every_course_exactly_once(big_hub: Hub, web: TestClient, lang: str):
    seen: list[str] = []
    address: str | None = f"/api/v1/courses?limit=7&lang={lang}"
    while address:
        answer = web.get(address)
        assert answer.status_code == 200
        seen += [c["id"] for c in answer.json()]
        following = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("link", ""))
        address = following.group(1) if following else None
    assert len(seen) == len(set(seen))
    assert sorted(seen) == course_ids(big_hub, lang)


def test_api_lists_a_page_by_default_and_refuses_a_made_up_cursor(web: TestClient):
    first = web.get("/api/v1/courses")
    assert len(first.json()) == 100 and 'rel="next"' in first.headers["link"]
    refused = web.get("/api/v1/courses?after=not-a-cursor!")
    assert refused.status_code == 400 and "cursor" in refused.json()["detail"]
    assert web.get("/api/v1/courses?limit=100000").status_code == 422


def test_the_courses_a_phone_may_save_come_a_page_at_a_time_each_once(big_hub: Hub):
    """/offline works out what saving each course shown takes: a page of them, not the library."""
    phone = TestClient(
        create_app(big_hub, manager_for(big_hub, load_entry_points=False)), base_url="https://hub.test"
    )
    seen, url = [], "/offline"
    with phone:
        while url:
            page = phone.get(url, headers={"Accept-Language": "fr"}).text
            shown = re.findall(r'data-offline-course="([^"]+)"', page)
            assert 0 < len(shown) <= SAVABLE_PAGE_SIZE
            seen += shown
            following = re.search(r'<a href="([^"]+)#savable" rel="next">', page)
            url = following.group(1).replace("&amp;", "&") if following else ""
    assert sorted(seen) == course_ids(big_hub, "fr") and len(seen) == len(set(seen))


def test_home_shows_a_bounded_number_of_cards_and_links_to_the_rest(web: TestClient):
    home = web.get("/", headers={"Accept-Language": "es"})
    cards = CARD_LINK.findall(home.text)
    assert len(cards) == HOME_CARDS + HOME_OTHER_CARDS
    assert all(c.endswith("-es") for c in cards[:HOME_CARDS])
    assert 'href="/courses?lang=es"' in home.text and 'href="/courses?lang=all"' in home.text


def test_home_opens_no_more_of_her_courses_than_it_shows(big_hub: Hub, monkeypatch: pytest.MonkeyPatch):
    """However many courses she has been through, home shows the HOME_CONTINUING most recent she has
    not finished, and opens only those (and the finished ones in between) to find them."""
    browser, learner_id = resident(big_hub, "Wanjiru")
    opened_ids = course_ids(big_hub)[:8]
    for at, course_id in enumerate(opened_ids):  # oldest first; the second newest she finished
        lessons = big_hub.course(course_id).lessons
        for lesson in lessons if at == 6 else lessons[:1]:
            progress.record(big_hub.db, learner_id, course_id, lesson.id, 1.0)
        big_hub.db.execute(
            "UPDATE progress SET last_opened_at = ? WHERE learner_id = ? AND course_id = ?",
            [f"2026-12-0{at + 1}T10:00:00", learner_id, course_id],
        )
    opened: list[str] = []
    real_course = Hub.course
    monkeypatch.setattr(
        Hub, "course", lambda hub, course_id: opened.append(course_id) or real_course(hub, course_id)
    )
    with browser:
        home = browser.get("/").text
    continuing = [c for c in re.findall(r'href="/courses/([^"/]+)/[^"]+"', home) if c in opened_ids]
    newest_unfinished = [opened_ids[7], opened_ids[5], opened_ids[4]]
    assert list(dict.fromkeys(continuing))[:HOME_CONTINUING] == newest_unfinished
    assert [c for c in opened if c in opened_ids] == [opened_ids[7], opened_ids[6], *newest_unfinished[1:]]


def lessons_label(language: str, count: int) -> str:
    token = i18n.current_locale.set(language)
    try:
        return i18n.ngettext("%(num)d lesson", "%(num)d lessons", count) % {"num": count}
    finally:
        i18n.current_locale.reset(token)


def test_a_small_card_cache_under_four_readers_gives_each_her_language(
    big_hub: Hub, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("HUB_CACHE_CARDS", "5")  # far fewer than the cards one page shows
    app: FastAPI = create_app(big_hub, manager_for(big_hub, load_entry_points=False))
    assert app.state.templates.globals["course_card"].cards.size == 5
    readers = ("en", "fr", "es", "ar")
    assert len({lessons_label(lang, 3) for lang in readers}) == 4
    with TestClient(app) as client:
        for _ in range(3):
            for reader in readers:
                page = client.get("/courses?lang=all", headers={"Accept-Language": reader})
                shown = re.findall(r'<span class="nowrap">([^<]+)</span>', page.text)
                assert len(shown) == COURSES_PAGE_SIZE
                assert shown == [lessons_label(reader, int(re.sub(r"\D", "", s))) for s in shown], reader


def test_the_cache_drops_the_least_recently_used_entry_not_all():
    cache: LruCache[str] = LruCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("d", "D")
    assert [cache.get(k) for k in "abcd"] == ["A", None, "C", "D"]
    assert len(cache) == 3


def changes(hub: Hub) -> int:
    return hub.db.execute("SELECT count(*) FROM changes").fetchone()[0]


def test_a_lesson_view_logs_a_change_only_when_something_changed(app: FastAPI, hub: Hub):
    phone, learner_id = resident(hub)
    lesson, other = "/courses/sample-course/read-me", "/courses/sample-course/check"
    with phone:
        assert phone.get(lesson).status_code == 200
        first = changes(hub)
        for _ in range(5):  # reading on, reloading: the same lesson, nothing new
            assert phone.get(lesson).status_code == 200
        assert changes(hub) == first
        phone.get(other)  # another lesson: where she is changed
        assert changes(hub) == first + 1
        body = hub.db.execute("SELECT body FROM changes ORDER BY rowid DESC LIMIT 1").fetchone()[0]
        assert '"progress":0.0' in body  # the change every hub syncs, as a view always wrote it
        phone.get(lesson)  # and back
        assert changes(hub) == first + 2
        assert phone.post(f"{lesson}/done", follow_redirects=False).status_code == 303  # progress changed
        assert changes(hub) == first + 3
    done = hub.db.execute(
        "SELECT completed_at FROM progress WHERE learner_id = ? AND lesson_id = 'read-me'", [learner_id]
    ).fetchone()
    assert done[0] is not None


def test_reloading_a_lesson_queues_no_write(app: FastAPI, hub: Hub, monkeypatch: pytest.MonkeyPatch):
    """A reload changes nothing, so it does not wait for the group commit either."""
    phone, _ = resident(hub)
    lesson, other = "/courses/sample-course/read-me", "/courses/sample-course/check"
    queued = []
    submit = hub.writes._submit
    monkeypatch.setattr(hub.writes, "_submit", lambda write: queued.append(write) or submit(write))
    with phone:
        phone.get(lesson)
        phone.get(lesson)
        phone.get(lesson)
        assert len(queued) == 1
        phone.get(other)
        assert len(queued) == 2


def test_a_lesson_view_waiting_for_its_save_leaves_the_hub_serving_others(app: FastAPI, hub: Hub):
    """The lesson page runs on the event loop and awaits its save: while another writer holds the
    database, other phones are answered, and the view answers once its save is on disk."""
    _, learner_id = resident(hub)
    token = learners.start_session(hub.db, learner_id)
    lesson = "/courses/sample-course/read-me"

    held, release = threading.Event(), threading.Event()

    def another_writer() -> None:  # an import, say, holding the database
        with writer_lock():
            held.set()
            release.wait(2)  # a lesson view that blocked the loop would be stuck here till then

    async def visit() -> tuple[int, bool, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as phone:
            phone.cookies.set("hub_session", token)
            viewing = asyncio.create_task(phone.get(lesson))
            await asyncio.sleep(0.3)
            other = await asyncio.wait_for(phone.get("/courses/sample-course"), 10)
            waiting = not viewing.done()
            release.set()
            view = await asyncio.wait_for(viewing, 10)
            return other.status_code, waiting, view.status_code

    writer = threading.Thread(target=another_writer)
    writer.start()
    held.wait(5)
    other_status, view_was_waiting, view_status = asyncio.run(visit())
    writer.join(5)
    assert other_status == 200 and view_was_waiting and view_status == 200
    kept = hub.db.execute(
        "SELECT 1 FROM progress WHERE learner_id = ? AND lesson_id = 'read-me'", [learner_id]
    ).fetchone()
    assert kept is not None


def test_after_a_library_change_the_catalogue_is_built_off_the_event_loop(
    app: FastAPI, hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Building it takes 0.09 s at 10,000 courses: on the loop, every phone would wait meanwhile."""
    from hub.library import import_package
    from tests.conftest import write_course

    built_on_the_loop = []

    def recording(cards: list) -> Catalogue:
        try:
            asyncio.get_running_loop()
            built_on_the_loop.append(True)
        except RuntimeError:
            built_on_the_loop.append(False)
        return Catalogue(cards)

    def import_another(course_id: str) -> None:
        folder = write_course(tmp_path / course_id)
        toml = folder / "course.toml"
        toml.write_text(toml.read_text().replace('id = "sample-course"', f'id = "{course_id}"'))
        import_package(hub.db, hub.blobs, folder, allow_unverified=True)

    monkeypatch.setattr("hub.home.Catalogue", recording)
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        import_another("another-course")
        assert "/courses/another-course" in client.get("/courses").text
        import_another("a-third-course")
        assert client.get("/courses/a-third-course").status_code == 200  # the first page after a change
        import_another("a-fourth-course")
        assert client.get("/courses/a-fourth-course/read-me").status_code == 200
    assert built_on_the_loop == [False, False, False, False]


def test_threads_asking_for_the_catalogue_after_a_change_share_one_build(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
):
    builds = []

    def slow(cards: list) -> Catalogue:
        builds.append(1)
        time.sleep(0.2)  # as 10,000 courses take on a slow machine
        return Catalogue(cards)

    monkeypatch.setattr("hub.home.Catalogue", slow)
    start = threading.Barrier(6)

    def ask() -> None:
        start.wait()
        hub.catalogue()

    askers = [threading.Thread(target=ask) for _ in range(6)]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join(10)
    assert len(builds) == 1


def test_a_lesson_shows_its_new_text_after_an_update(app: FastAPI, hub: Hub, tmp_path: Path):
    from hub.library import import_package
    from tests.conftest import write_course

    with TestClient(app) as client:
        before = client.get("/courses/sample-course/read-me").text
        folder = write_course(tmp_path / "v2" / "sample-course")
        toml = folder / "course.toml"
        toml.write_text(toml.read_text().replace("version = 1", "version = 2"))
        page = next(folder.glob("*read-me*.md"))
        page.write_text(page.read_text() + "\n\nA sentence only version two has.\n")
        import_package(hub.db, hub.blobs, folder, allow_unverified=True)
        after = client.get("/courses/sample-course/read-me").text
    assert "only version two has" not in before and "only version two has" in after


def test_kept_search_results_give_way_to_a_changed_index(tmp_path: Path):
    from hub.library import import_package
    from hub.search import SearchIndex, index_path
    from hub.search.documents import read_course
    from tests.conftest import write_course

    hub = Hub(tmp_path / "home")
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    assert index.search("soap").total == 0
    assert index.search("soap") is index.search("soap")  # kept: the same answer object
    import_package(
        hub.db, hub.blobs, write_course(tmp_path / "author" / "sample-course"), allow_unverified=True
    )
    index.update_course(read_course(hub, "sample-course"))
    found = index.search("soap")
    assert found.total > 0 and found.hits[0].course_id == "sample-course"
    assert index.search("soap", language="fr").total == 0  # filters are part of what is kept


@pytest.mark.parametrize(("configured", "threads"), [("", 12), ("4", 4), ("none", 12)])
def test_the_worker_threads_are_bounded_by_configuration(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, configured: str, threads: int
):
    """Each worker thread keeps its own database connection and search reader: their number is the
    server's, not the load's."""
    import anyio.to_thread

    monkeypatch.setenv("HUB_WORKER_THREADS", configured)
    with TestClient(create_app(hub, manager_for(hub, load_entry_points=False))) as client:
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == threads
