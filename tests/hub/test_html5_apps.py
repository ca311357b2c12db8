"""Issue 15, HTML5 app lessons: imported from author folders, packages and the studio; bad zips
refused in words with nothing half-imported; every file served sandboxed; the app's words found
by search; the lesson counted done like an article."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.errors import ContentError
from content.package import build_package
from hub import imports, progress
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins import switch_plugin
from hub.plugins.apps.routes import OpenZips
from hub.plugins.studio import drafts
from hub.search import SearchIndex, index_path
from tests.conftest import BrowserClient, resident, signed_in, write_course
from tests.html5 import (
    FRIENDLY_FILES,
    HOSTILE_FILES,
    app_zip,
    bomb_zip,
    symlink_entry,
    write_app_course,
    zip_with,
)
from tests.hub.test_studio import EDITOR, add_lesson, new_course, save

GAME = "/courses/app-course/game"


def app_client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test")


def frame_url(page: str) -> str:
    match = re.search(r'<iframe src="(/apps/[0-9a-f]{64}/)"[^>]*>', page)
    assert match, "the lesson page has no app frame"
    return match[1]


@pytest.fixture
def app_hub(hub: Hub, tmp_path: Path) -> Hub:
    import_package(hub.db, hub.blobs, write_app_course(tmp_path / "game", app_zip(FRIENDLY_FILES)),
                   allow_unverified=True)  # fmt: skip
    return hub


def test_the_lesson_page_shows_the_app_in_a_sandboxed_frame_with_its_text_version(app_hub: Hub):
    page = app_client(app_hub).get(GAME)
    assert page.status_code == 200
    frame = re.search(r"<iframe [^>]*>", page.text)[0]
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    assert 'title="Activity: Handwashing game"' in frame
    assert f'<a class="button" href="{frame_url(page.text)}">Open full screen</a>' in page.text
    assert "Text version of the activity" in page.text
    assert "put the handwashing steps in order" in page.text
    assert "Activity" in page.text  # its kind, as the lesson's meta line says


def test_an_app_lesson_on_a_hub_that_switched_apps_off_shows_its_text_version(app_hub: Hub):
    switch_plugin(app_hub, "apps", False)
    page = app_client(app_hub).get(GAME)
    assert page.status_code == 200 and "<iframe" not in page.text
    assert "does not show this kind of lesson at the moment" in page.text
    assert "put the handwashing steps in order" in page.text


def test_every_file_of_the_app_carries_the_sandbox_and_no_network_policy(app_hub: Hub):
    client = app_client(app_hub)
    base = frame_url(client.get(GAME).text)
    for path, kind in [("", "text/html"), ("app.js", "text/javascript"), ("pics/tap.svg", "image/svg+xml"),
                       ("style.css", "text/css")]:  # fmt: skip
        served = client.get(base + path)
        assert served.status_code == 200, path
        assert served.headers["content-type"].startswith(kind)
        policy = served.headers["content-security-policy"]
        assert policy.startswith("sandbox allow-scripts;") and "allow-same-origin" not in policy
        assert "connect-src 'none'" in policy and "form-action 'none'" in policy
        assert f"script-src http://hub.test{base} " in policy  # only its own folder, not the whole hub
        assert "'self'" not in policy.split("frame-ancestors")[0]
        assert "," not in policy  # one policy: the pages' policy is not added beside it
        assert served.headers["referrer-policy"] == "no-referrer"
    assert client.get(base + "index.html").text == FRIENDLY_FILES["index.html"]
    missing = client.get(base + "nothing-here.js")
    assert missing.status_code == 404 and missing.headers["content-security-policy"].startswith("sandbox;")
    assert client.get(base + "..%2F..%2Fadmin").status_code == 404  # names inside the zip only
    bare = client.get(base[:-1], follow_redirects=False)
    assert bare.status_code == 308 and bare.headers["location"] == base


def test_an_app_inside_one_top_folder_is_served_from_that_folder(hub: Hub, tmp_path: Path):
    """As a Mac's "Compress" makes it: the folder, and __MACOSX beside it."""
    files = {f"handwashing/{name}": data for name, data in FRIENDLY_FILES.items()}
    mac_zip = zip_with([*files.items(), ("__MACOSX/handwashing/._index.html", b"\x00\x05\x16\x07")])
    import_package(hub.db, hub.blobs, write_app_course(tmp_path / "c", mac_zip), allow_unverified=True)
    client = app_client(hub)
    base = frame_url(client.get(GAME).text)
    assert "Put the steps in order" in client.get(base).text
    assert client.get(base + "pics/tap.svg").status_code == 200
    assert client.get(base + "handwashing/index.html").status_code == 404


def test_a_built_package_carries_the_app_and_imports_elsewhere(tmp_path: Path):
    built = tmp_path / "game.zip"
    build_package(write_app_course(tmp_path / "game", app_zip(FRIENDLY_FILES)), built)
    other = Hub(tmp_path / "other")
    imports.run_import(other, built, allow_unverified=True)
    assert other.course("app-course").lesson("game").kind == "html5"
    client = app_client(other)
    assert "Put the steps in order" in client.get(frame_url(client.get(GAME).text)).text


def test_a_finished_app_lesson_counts_as_done(app_hub: Hub):
    browser, learner_id = resident(app_hub)
    browser.get(GAME)
    assert not progress.for_course(app_hub.db, learner_id, "app-course")["game"].done
    done = browser.post(f"{GAME}/done", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/courses/app-course"
    assert progress.for_course(app_hub.db, learner_id, "app-course")["game"].done


def test_search_finds_the_words_the_app_shows_but_not_its_code(app_hub: Hub):
    index = SearchIndex(index_path(app_hub))
    index.rebuild(app_hub)

    def found(words: str) -> list[str]:
        return [hit.url for hit in index.search(words).hits]

    assert GAME in found("lather")  # index.html's visible text
    assert GAME in found("marmalade")  # another page of the app
    assert GAME in found("dripping tap")  # a picture's alt text
    assert found("xylophonic") == []  # a word only in a script
    assert found("zebra stripes") == []  # ... only in a style


def _many_files() -> bytes:
    return app_zip({"index.html": "<p>hi</p>", **{f"f/{n}.txt": "x" for n in range(2_001)}})


BAD_ZIPS = {
    "not a zip": (b"<html>this is a web page saved as .zip</html>", "it is not a zip file"),
    "no index.html": (
        app_zip({"start.html": "<p>hi</p>", "app.js": ""}),
        "the app has no index.html at its top",
    ),
    "two top folders": (
        app_zip({"a/index.html": "<p>hi</p>", "b/index.html": "<p>hi</p>"}),
        "the app has no index.html at its top",
    ),
    "a path that climbs out": (
        zip_with([("index.html", b"<p>hi</p>"), ("../../evil.html", b"<p>bad</p>")]),
        "'../../evil.html' points outside the app",
    ),
    "an absolute path": (
        zip_with([("index.html", b"<p>hi</p>"), ("/etc/cron.d/evil", b"x")]),
        "'/etc/cron.d/evil' has a name that is not allowed",
    ),
    "a symbolic link": (
        zip_with([("index.html", b"<p>hi</p>"), symlink_entry("secrets", "/etc/passwd")]),
        "'secrets' is a symbolic link",
    ),
    "a zip bomb": (bomb_zip(), "'zeros.bin' unpacks to 104,857,600 bytes, more than the 67,108,864"),
    "too many files": (_many_files(), "the app holds 2,002 files, more than the 2,000"),
}


@pytest.mark.parametrize("case", BAD_ZIPS)
def test_a_bad_app_zip_is_refused_in_words_and_nothing_changes(hub: Hub, tmp_path: Path, case: str):
    data, expected = BAD_ZIPS[case]
    import_package(hub.db, hub.blobs, write_course(tmp_path / "sample"), allow_unverified=True)
    blobs_before = sorted(p.name for p in (hub.home / "blobs").rglob("*") if p.is_file())
    courses_before = hub.db.execute("SELECT id, version FROM courses").fetchall()
    with pytest.raises(ContentError) as refused:
        imports.run_import(hub, write_app_course(tmp_path / "bad", data), allow_unverified=True)
    message = str(refused.value)
    assert "lesson 'game': 'app.zip' is an HTML5 app, but" in message
    assert expected in message
    assert hub.db.execute("SELECT id, version FROM courses").fetchall() == courses_before
    assert sorted(p.name for p in (hub.home / "blobs").rglob("*") if p.is_file()) == blobs_before


def test_a_compression_ratio_past_the_limit_is_refused_even_within_the_size_limits(hub: Hub, tmp_path: Path):
    squeezed = app_zip({"index.html": "<p>hi</p>", "pad.txt": "a" * 5_000_000})  # 5 MB packs to ~5 KB
    with pytest.raises(ContentError, match=r"'pad.txt' is compressed suspiciously well \(a zip bomb\?\)"):
        imports.run_import(hub, write_app_course(tmp_path / "bad", squeezed), allow_unverified=True)


def test_a_lesson_without_its_zip_is_refused_by_the_folder_reader(hub: Hub, tmp_path: Path):
    folder = write_app_course(tmp_path / "c", app_zip(FRIENDLY_FILES))
    (folder / "02-game.md").write_text('+++\ntitle = "Game"\nkind = "html5"\n+++\nText.\n', "utf-8")
    with pytest.raises(ContentError, match=r"needs its file: add the app's \.zip file"):
        imports.run_import(hub, folder, allow_unverified=True)


def test_a_tutor_uploads_an_app_in_the_studio_and_a_bad_one_is_refused(hub: Hub):
    tutor = signed_in(hub, Role.TUTOR)
    new_course(tutor)
    lesson = add_lesson(tutor, "html5", "Sorting game")
    editor = tutor.get(lesson).text
    assert 'accept=".zip,application/zip"' in editor and "The app's .zip file" in editor
    assert "Text version: what the activity shows and asks (needed)" in editor
    wrong_type = save(tutor, lesson, files={"file": ("game.html", b"<p>hi</p>", "text/html")},
                      title="Sorting game", body="Sort the steps.")  # fmt: skip
    assert wrong_type.status_code == 400 and "Please choose the app's .zip file" in unescape(wrong_type.text)
    escape = zip_with([("index.html", b"<p>hi</p>"), ("../x.html", b"x")])
    refused = save(tutor, lesson, files={"file": ("game.zip", escape, "application/zip")},
                   title="Sorting game", body="Sort the steps.")  # fmt: skip
    assert refused.status_code == 400
    assert "This file cannot be an app lesson: the app's file '../x.html' points outside" in unescape(
        refused.text
    )
    assert not list(drafts.drafts_home(hub).rglob("*.zip"))  # nothing of it kept
    saved = save(tutor, lesson, files={"file": ("game.zip", app_zip(FRIENDLY_FILES), "application/zip")},
                 title="Sorting game", body="Sort the steps.")  # fmt: skip
    assert saved.status_code == 303, saved.text
    preview = tutor.get(f"{EDITOR}/preview/sorting-game")
    assert "This activity plays here once the course is published." in preview.text
    assert tutor.post(f"{EDITOR}/publish", follow_redirects=False).status_code == 303
    web = BrowserClient(tutor.app, base_url="http://hub.test")
    page = web.get("/courses/safe-at-home-en/sorting-game").text
    assert "Put the steps in order" in web.get(frame_url(page)).text


def test_a_hostile_app_is_served_only_inside_its_sandbox(hub: Hub, tmp_path: Path):
    """What the browser does with it is tests/e2e/test_html5_apps.py; here: the policy it gets."""
    import_package(hub.db, hub.blobs, write_app_course(tmp_path / "evil", app_zip(HOSTILE_FILES)),
                   allow_unverified=True)  # fmt: skip
    admin = signed_in(hub, Role.ADMIN)
    served = admin.get(frame_url(admin.get(GAME).text) + "evil.js")
    assert served.status_code == 200
    assert "set-cookie" not in served.headers
    assert served.headers["content-security-policy"].startswith("sandbox allow-scripts;")


def test_open_app_zips_are_few_and_a_removed_ones_file_is_let_go(tmp_path: Path):
    paths = []
    for n in range(4):
        paths.append(tmp_path / f"{n}.zip")
        paths[-1].write_bytes(app_zip({"index.html": f"<p>{n}</p>"}))
    apps = OpenZips(size=2)
    first = apps.get(paths[0])
    assert apps.get(paths[0]) is first  # kept open, not read again
    apps.get(paths[1])
    apps.get(paths[2])  # the oldest, 0, is closed to make room
    assert len(apps) == 2 and first._zip.fp is None
    second = apps.get(paths[1])
    paths[1].unlink()  # its course was removed: the next opening lets its file go
    apps.get(paths[3])
    assert second._zip.fp is None and len(apps) == 2
