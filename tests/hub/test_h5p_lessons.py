"""Issue 15, H5P lessons: imported from .h5p files, author folders, the studio and Kolibri channels;
an incomplete file refused with nothing half-imported; the player page and the activity's files
served shut in; reported scores kept as quiz attempts and progress; the activity's words searchable.
What a browser does with all of it is tests/e2e/test_h5p.py."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import sqlite3
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.errors import ContentError
from hub import imports, jobs, progress
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.h5p import routes
from hub.plugins.imports import import_job
from hub.plugins.studio import drafts
from hub.search import SearchIndex, index_path
from tests.conftest import BrowserClient, resident, signed_in, write_course
from tests.h5p import ACTIVITY, MISSING_LIBRARY, write_h5p_course
from tests.hub.test_html5_apps import app_client
from tests.hub.test_imports import CSRF, client_for
from tests.hub.test_studio import EDITOR, add_lesson, new_course, save

CHECK = "/courses/h5p-course/check"
SCORE = "/api/v1/courses/h5p-course/lessons/check/score"
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def h5p_hub(hub: Hub, tmp_path: Path) -> Hub:
    import_package(hub.db, hub.blobs, write_h5p_course(tmp_path / "src", ACTIVITY.read_bytes()),
                   allow_unverified=True)  # fmt: skip
    return hub


def play_url(page: str) -> str:
    match = re.search(r'<iframe src="(/h5p/play/[0-9a-f]{64}\?lang=en)"', page)
    assert match, "the lesson page has no H5P frame"
    return match[1]


def content_base(hub: Hub) -> str:
    sha256 = hub.course("h5p-course").lesson("check").media[0].sha256
    return f"/h5p/content/{sha256}/"


def test_the_lesson_page_frames_the_player_sandboxed_above_the_text_version(h5p_hub: Hub):
    page = app_client(h5p_hub).get(CHECK)
    assert page.status_code == 200
    frame = re.search(r"<iframe [^>]*>", page.text)[0]
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    assert 'title="Activity: Handwashing check"' in frame
    assert f'data-h5p-score="{SCORE}"' in frame
    assert "This activity needs JavaScript, which is off in this browser." in page.text  # in <noscript>
    assert "Text version of the activity" in page.text and "how long to scrub (20 seconds)" in page.text
    assert "H5P activity" in page.text  # its kind, on the meta line


def test_the_player_page_may_load_only_the_player_and_the_activitys_own_files(h5p_hub: Hub):
    web = app_client(h5p_hub)
    played = web.get(play_url(web.get(CHECK).text))
    assert played.status_code == 200
    policy = played.headers["content-security-policy"]
    player = f"http://hub.test/h5p/player/{routes.player_version()}/"
    own = f"http://hub.test{content_base(h5p_hub)}"
    assert policy.startswith("sandbox allow-scripts; default-src 'none';")
    assert "allow-same-origin" not in policy and "," not in policy  # one policy, the pages' one not added
    inline = re.search(r"<script>(.*?)</script>", played.text, re.S)[1]
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    script_src = f"script-src {player} {own} 'sha256-{digest}' 'unsafe-eval';"
    assert script_src in policy  # no 'unsafe-inline' scripts, no 'self'
    assert f"connect-src {own};" in policy  # fetch: h5p.json, content.json, library.json only
    assert f"font-src {player} {own} data:;" in policy
    assert "'self'" not in policy.split("frame-ancestors")[0]
    assert f'src="{player}main.bundle.js"' in played.text and f'data-content="{own}"' in played.text


def test_the_activitys_files_come_from_its_h5p_file_readable_by_the_sandboxed_player(h5p_hub: Hub):
    web = app_client(h5p_hub)
    base = content_base(h5p_hub)
    for path, kind in [("h5p.json", "application/json"), ("content/content.json", "application/json"),
                       ("H5P.CommonsChoice-1.0/commons-choice.js", "text/javascript"),
                       ("H5P.CommonsStyle-1.0/style.css", "text/css")]:  # fmt: skip
        served = web.get(base + path)
        assert served.status_code == 200, path
        assert served.headers["content-type"].startswith(kind)
        assert served.headers["access-control-allow-origin"] == "*"  # the player's origin is opaque
        assert served.headers["content-security-policy"].startswith("sandbox allow-scripts;")
        assert "connect-src 'none'" in served.headers["content-security-policy"]
    assert "Washing hands: a short check" in web.get(base + "h5p.json").text
    assert web.get(base + "nothing.js").status_code == 404
    assert web.get(base + "..%2F..%2Fadmin").status_code == 404
    assert web.get(f"/h5p/content/{'0' * 64}/h5p.json").status_code == 404  # not a file of this hub


def test_the_players_files_are_served_for_its_version_only(h5p_hub: Hub):
    web = app_client(h5p_hub)
    version = routes.player_version()
    assert version == "3.8.2"
    script = web.get(f"/h5p/player/{version}/main.bundle.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert (
        script.headers["access-control-allow-origin"] == "*"
        and "immutable" in script.headers["cache-control"]
    )
    assert web.get(f"/h5p/player/{version}/styles/h5p.css").status_code == 200
    assert web.get("/h5p/player/0.0.1/main.bundle.js").status_code == 404
    assert web.get(f"/h5p/player/{version}/..%2F..%2Froutes.py").status_code == 404
    assert web.get(f"/h5p/player/{version}/../routes.py").status_code == 404


def test_without_its_player_the_lesson_page_says_so_and_shows_the_text(
    h5p_hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A hub run from a source tree nobody built: the H5P lesson says so; the rest works."""
    monkeypatch.setattr(routes, "PLAYER_FOLDER", tmp_path / "no-player")
    web = app_client(h5p_hub)
    page = web.get(CHECK)
    assert page.status_code == 200 and "<iframe" not in page.text
    assert "This hub was installed without its H5P player" in unescape(page.text)
    assert "how long to scrub (20 seconds)" in page.text
    assert web.get("/courses/h5p-course/intro").status_code == 200
    sha256 = h5p_hub.course("h5p-course").lesson("check").media[0].sha256
    assert web.get(f"/h5p/play/{sha256}?lang=en").status_code == 404


def test_a_reported_score_becomes_an_attempt_and_the_lessons_progress(h5p_hub: Hub):
    learner, learner_id = resident(h5p_hub)
    learner.get(CHECK)
    assert learner.post(SCORE, json={"score": 1, "max": 2, "attempt_id": UUID}).status_code == 204
    assert progress.best_attempt(h5p_hub.db, learner_id, "h5p-course", "check") == (1, 2)
    state = progress.for_course(h5p_hub.db, learner_id, "h5p-course")["check"]
    assert not state.done and state.progress == pytest.approx(0.5 * 0.99)  # the scaled score
    again = learner.post(SCORE, json={"score": 1, "max": 2, "attempt_id": UUID})  # sent twice: kept once
    assert again.status_code == 204
    rows = h5p_hub.db.execute(
        "SELECT score, total, passed, answers FROM quiz_attempts WHERE learner_id = ?", [learner_id]
    ).fetchall()
    assert rows == [(1, 2, 0, "[]")]
    assert learner.post(SCORE, json={"score": 2, "max": 2}).status_code == 204  # passed: done
    assert progress.for_course(h5p_hub.db, learner_id, "h5p-course")["check"].done
    assert "Your best score so far: 2 out of 2" in learner.get(CHECK).text


def test_a_score_is_refused_for_another_kind_beyond_its_maximum_or_without_the_csrf_token(h5p_hub: Hub):
    learner, learner_id = resident(h5p_hub)
    article = learner.post("/api/v1/courses/h5p-course/lessons/intro/score", json={"score": 1, "max": 1})
    assert article.status_code == 422
    assert learner.post(SCORE, json={"score": 3, "max": 2}).status_code == 422
    assert learner.post(SCORE, json={"score": 1, "max": 0}).status_code == 422
    assert learner.post(SCORE, json={"score": 1, "max": 2, "attempt_id": "x"}).status_code == 422
    assert (
        learner.post("/api/v1/courses/h5p-course/lessons/nope/score", json={"score": 1, "max": 1}).status_code
        == 404
    )
    forged = TestClient(learner.app, base_url="http://hub.test", cookies=dict(learner.cookies))
    assert forged.post(SCORE, json={"score": 2, "max": 2}).status_code == 403  # no X-CSRF-Token
    assert progress.best_attempt(h5p_hub.db, learner_id, "h5p-course", "check") is None


def test_search_finds_the_activitys_questions_and_answers(h5p_hub: Hub):
    index = SearchIndex(index_path(h5p_hub))
    index.rebuild(h5p_hub)
    assert CHECK in [hit.url for hit in index.search("invisible germs").hits]  # feedback in content.json
    assert CHECK in [hit.url for hit in index.search("toilet").hits]  # an answer


def test_an_h5p_file_imports_as_a_course_whose_text_is_the_activitys_words(hub: Hub):
    checked = imports.preview_import(hub, ACTIVITY)
    assert checked.preview.format == "H5P"
    assert [c.title for c in checked.preview.courses] == ["Washing hands: a short check"]
    imports.run_import(hub, ACTIVITY, allow_unverified=True)
    course = hub.course("h5p-washing-hands-a-short-check")
    lesson = course.lessons[0]
    assert (lesson.kind, course.course.license, course.course.language) == ("h5p", "CC BY 4.0", "en")
    assert "How long should you scrub your hands with soap?" in lesson.text
    assert "Right: sing a short song twice." in lesson.text


def test_a_tutor_uploads_an_h5p_file_on_the_import_page_and_it_plays(hub: Hub):
    tutor = client_for(hub, Role.TUTOR)
    assert 'accept=".zip,.zim,.epub,.pdf,.h5p,' in tutor.get("/tutor/import").text
    sent = tutor.post("/tutor/import/upload", files={"file": ("hands.h5p", ACTIVITY.read_bytes())},
                      data={"csrf_token": CSRF}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    token = re.search(r"upload=([0-9a-f]{32})", sent.headers["location"])[1]
    preview = tutor.get(sent.headers["location"]).text
    assert "Washing hands: a short check" in preview and "An H5P activity (H5P.CommonsChoice)" in preview
    confirm = {"upload": token, "allow_unverified": "1", "csrf_token": CSRF}
    started = tutor.post("/tutor/import/start", data=confirm, follow_redirects=False)
    assert started.status_code == 303
    assert jobs.run_queued(hub, {"import": import_job}) == 1
    page = tutor.get("/courses/h5p-washing-hands-a-short-check/washing-hands-a-short-check")
    assert tutor.get(play_url(page.text)).status_code == 200


def test_an_incomplete_h5p_file_is_refused_in_words_and_nothing_changes(hub: Hub, tmp_path: Path):
    import_package(hub.db, hub.blobs, write_course(tmp_path / "sample"), allow_unverified=True)
    blobs_before = sorted(p.name for p in (hub.home / "blobs").rglob("*") if p.is_file())
    courses_before = hub.db.execute("SELECT id, version FROM courses").fetchall()
    with pytest.raises(
        ContentError, match=r"does not carry the library H5P\.CommonsStyle 1\.0: export it again"
    ):
        imports.run_import(hub, MISSING_LIBRARY, allow_unverified=True)
    with pytest.raises(
        ContentError, match=r"lesson 'check': 'activity\.h5p' is an H5P activity, but this H5P"
    ):
        imports.run_import(hub, write_h5p_course(tmp_path / "bad", MISSING_LIBRARY.read_bytes()),
                           allow_unverified=True)  # fmt: skip
    assert hub.db.execute("SELECT id, version FROM courses").fetchall() == courses_before
    assert sorted(p.name for p in (hub.home / "blobs").rglob("*") if p.is_file()) == blobs_before


def test_an_author_folder_without_a_text_version_takes_the_activitys_words(hub: Hub, tmp_path: Path):
    folder = write_h5p_course(tmp_path / "src", ACTIVITY.read_bytes())
    (folder / "02-check.md").write_text(
        '+++\ntitle = "Check"\nkind = "h5p"\nmedia = "media/activity.h5p"\n+++\n', "utf-8"
    )
    imports.run_import(hub, folder, allow_unverified=True)
    text = hub.course("h5p-course").lesson("check").text
    assert "When should you wash your hands?" in text and "Only when they look dirty" in text


def test_a_tutor_uploads_an_h5p_activity_in_the_studio_and_an_incomplete_one_is_refused(hub: Hub):
    tutor = signed_in(hub, Role.TUTOR)
    new_course(tutor)
    lesson = add_lesson(tutor, "h5p", "Hand check")
    editor = tutor.get(lesson).text
    editor = unescape(editor)
    assert 'accept=".h5p"' in editor and "The activity's .h5p file (exported with its libraries)" in editor
    wrong = save(tutor, lesson, files={"file": ("check.zip", b"PK", "application/zip")}, title="Hand check")
    assert wrong.status_code == 400 and "Please choose the activity's .h5p file." in unescape(wrong.text)
    incomplete = ("check.h5p", MISSING_LIBRARY.read_bytes(), "application/zip")
    refused = save(tutor, lesson, files={"file": incomplete}, title="Hand check")
    assert refused.status_code == 400
    assert "This file cannot be an H5P activity: this H5P file does not carry the library" in unescape(
        refused.text
    )
    assert not list(drafts.drafts_home(hub).rglob("*.h5p"))  # nothing of it kept
    saved = save(tutor, lesson, files={"file": ("check.h5p", ACTIVITY.read_bytes(), "application/zip")},
                 title="Hand check")  # fmt: skip
    assert saved.status_code == 303, saved.text
    assert tutor.post(f"{EDITOR}/publish", follow_redirects=False).status_code == 303
    web = BrowserClient(tutor.app, base_url="http://hub.test")
    page = web.get("/courses/safe-at-home-en/hand-check").text
    assert web.get(play_url(page)).status_code == 200
    assert "Before eating and after the toilet" in page  # the text version, from the activity


KOLIBRI = Path(__file__).resolve().parents[1] / "fixtures" / "kolibri" / "KOLIBRI_DATA"
CHANNEL_DB = "content/databases/c0ffee00c0ffee00c0ffee00c0ffee00.sqlite3"
APP_NODE = "a456be10864c52ba94fa88afe8d10676"  # the fixture channel's HTML5 app, "Water game"


def add_h5p_node(drive: Path, node_id: str, title: str, h5p: Path) -> None:
    """An H5P node beside the channel's app node, with its file in storage, as Kolibri keeps them."""
    data = h5p.read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    stored = drive / "content" / "storage" / md5[0] / md5[1] / f"{md5}.h5p"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(data)
    with sqlite3.connect(drive / CHANNEL_DB) as db:
        db.execute("CREATE TEMP TABLE n AS SELECT * FROM content_contentnode WHERE id = ?", [APP_NODE])
        db.execute("UPDATE n SET id = ?, content_id = ?, title = ?, kind = 'h5p', sort_order = 9",
                   [node_id, node_id, title])  # fmt: skip
        db.execute("INSERT INTO content_contentnode SELECT * FROM n")
        db.execute("INSERT INTO content_localfile VALUES (?, 'h5p', 1, ?)", [md5, len(data)])
        db.execute("INSERT INTO content_file VALUES (?, 'h5p', 0, 0, 1, ?, NULL, ?)", [md5, node_id, md5])
    db.close()


def test_a_kolibri_channels_h5p_nodes_become_h5p_lessons_and_incomplete_ones_are_skipped(
    hub: Hub, tmp_path: Path
):
    drive = Path(shutil.copytree(KOLIBRI, tmp_path / "stick" / "KOLIBRI_DATA"))
    add_h5p_node(drive, "b" * 32, "Hand check", ACTIVITY)
    add_h5p_node(drive, "c" * 32, "Broken check", MISSING_LIBRARY)
    notes = " ".join(imports.preview_import(hub, drive).preview.notes)
    assert "H5P activities whose file is unsafe or lacks the libraries it needs" in notes
    assert "“Broken check”" in notes and "“Hand check”" not in notes
    imports.run_import(hub, drive, allow_unverified=True)
    found = [
        lesson
        for course_id in [c for (c,) in hub.db.execute("SELECT id FROM courses").fetchall()]
        for lesson in hub.course(course_id).lessons
        if lesson.kind == "h5p"
    ]
    assert [lesson.title for lesson in found] == ["Hand check"]
    assert "How long should you scrub your hands with soap?" in found[0].text


def test_the_player_page_takes_the_courses_language_and_direction_not_the_interfaces(h5p_hub: Hub):
    web = app_client(h5p_hub)
    web.cookies.set("hub_lang", "ar")
    url = play_url(web.get(CHECK).text)
    assert '<html lang="en" dir="ltr">' in web.get(url).text  # an English activity on an Arabic page
    assert '<html lang="und"' in web.get(url.replace("lang=en", "lang=%22%3E%3Cscript%3E")).text
