"""The authoring studio through its routes: drafts, lessons, quizzes, uploads, publish, pathways."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from content.package import build_package
from hub import jobs, learners
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from hub.plugins.studio import drafts, publish, transcode
from hub.trust import create_own_key
from tests.conftest import BrowserClient

STUDIO = "/tutor/studio"
COURSE = {
    "title": "Safe at home", "summary": "Small steps that prevent accidents.", "language": "en",
    "category": "health", "topic": "first-aid", "level": "beginner", "publisher": "Riverside Library",
}  # fmt: skip
DRAFT = "safe-at-home-en"
EDITOR = f"{STUDIO}/drafts/{DRAFT}"


@pytest.fixture
def studio_app(hub: Hub) -> FastAPI:
    return create_app(hub, manager_for(hub, load_entry_points=False))


def client_for(app: FastAPI, hub: Hub, role: Role) -> BrowserClient:
    client = BrowserClient(app, base_url="http://hub.test")
    client.cookies.set("hub_csrf", "test-csrf-token")
    if role != Role.GUEST:
        secret = "1234" if role == Role.LEARNER else "secret-pass-1"
        account = learners.create_account(hub.db, f"{role.value} person", role, secret)
        client.cookies.set("hub_session", learners.start_session(hub.db, account.id))
    return client


# Clients used without `with`: the app's lifespan (and so its job runner thread) does not start,
# and the tests run queued jobs themselves, in order.
@pytest.fixture
def tutor(studio_app: FastAPI, hub: Hub) -> Iterator[BrowserClient]:
    client = client_for(studio_app, hub, Role.TUTOR)
    yield client
    client.close()


@pytest.fixture
def resident(studio_app: FastAPI) -> Iterator[BrowserClient]:
    client = BrowserClient(studio_app, base_url="http://hub.test")
    yield client
    client.close()


def new_course(tutor: TestClient, **changes: str) -> None:
    response = tutor.post(f"{STUDIO}/new", data={**COURSE, **changes}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == EDITOR


def add_lesson(tutor: TestClient, kind: str, title: str) -> str:
    response = tutor.post(f"{EDITOR}/lessons", data={"kind": kind, "title": title}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def save(tutor: TestClient, url: str, files: dict | None = None, **data: str) -> object:
    return tutor.post(url, data={"action": "save", **data}, files=files, follow_redirects=False)


QUESTIONS = [
    {"type": "single", "prompt": "Where do medicines go?", "choice0": "On the table",
     "choice1": "Locked away", "right1": "on", "explanation": "Children cannot reach a locked cupboard."},
    {"type": "truefalse", "prompt": "Water and electricity mix safely.", "truth": "false",
     "explanation": "Water conducts electricity."},
    {"type": "numeric", "prompt": "How many minutes should a burn cool under water?", "number": "20",
     "tolerance": "0", "unit": "minutes", "explanation": "Cool a burn for 20 minutes."},
]  # fmt: skip


def write_small_course(tutor: TestClient) -> tuple[str, str]:
    new_course(tutor)
    article = add_lesson(tutor, "article", "Look around")
    assert (
        save(tutor, article, title="Look around", body="# Rooms\n\nCheck **each** room.").status_code == 303
    )
    quiz = add_lesson(tutor, "quiz", "Check yourself")
    for question in QUESTIONS:
        assert tutor.post(f"{quiz}/questions", data=question, follow_redirects=False).status_code == 303
    return article, quiz


def lesson_files(hub: Hub) -> list[str]:
    return sorted(p.name for p in (drafts.drafts_home(hub) / DRAFT).glob("*.md"))


def test_a_tutor_writes_a_draft_that_hub_content_build_reads(tutor, hub, tmp_path):
    write_small_course(tutor)
    assert lesson_files(hub) == ["01-look-around.md", "02-check-yourself.md"]
    manifest = build_package(drafts.drafts_home(hub) / DRAFT, tmp_path / "package")
    assert manifest.course.title == "Safe at home"
    assert manifest.course.topics == ["health", "first-aid"]
    article, quiz = manifest.lessons
    assert "Check **each** room." in article.text
    assert [q.type for q in quiz.questions] == ["single", "truefalse", "numeric"]
    assert (quiz.questions[0].answer, quiz.questions[1].answer, quiz.questions[2].answer) == (1, False, 20)
    assert quiz.questions[2].unit == "minutes"

    page = tutor.get(EDITOR)
    assert "Look around" in page.text and "Check yourself" in page.text


def test_reorder_and_delete_lessons_without_javascript(tutor, hub):
    write_small_course(tutor)
    add_lesson(tutor, "article", "Last words")
    tutor.post(f"{EDITOR}/lessons/last-words/move", data={"direction": "up"})
    assert lesson_files(hub) == ["01-look-around.md", "02-last-words.md", "03-check-yourself.md"]
    tutor.post(f"{EDITOR}/lessons/look-around/move", data={"direction": "up"})  # already first: stays
    tutor.post(f"{EDITOR}/lessons/look-around/move", data={"direction": "down"})
    assert lesson_files(hub) == ["01-last-words.md", "02-look-around.md", "03-check-yourself.md"]
    tutor.post(f"{EDITOR}/lessons/last-words/delete")
    assert lesson_files(hub) == ["01-look-around.md", "02-check-yourself.md"]


def test_validation_errors_are_shown_in_plain_words_and_the_draft_is_kept(tutor, hub):
    article, quiz = write_small_course(tutor)
    before = {name: (drafts.drafts_home(hub) / DRAFT / name).read_text() for name in lesson_files(hub)}

    empty_title = save(tutor, article, title="", body="changed")
    assert empty_title.status_code == 400
    assert "title: String should have at least 1 character" in empty_title.text
    assert "changed" in empty_title.text  # the tutor's text is still in the form

    no_right_answer = {**QUESTIONS[0], "right1": ""}
    refused = tutor.post(f"{quiz}/questions", data=no_right_answer)
    assert refused.status_code == 400
    assert "Tick exactly one right answer." in refused.text
    assert "Where do medicines go?" in refused.text
    for number in ("nan", "inf", "1e999"):  # kept as null, it took down every page of the course
        refused = tutor.post(f"{quiz}/questions", data={**QUESTIONS[2], "number": number})
        assert refused.status_code == 400 and "as numbers" in refused.text

    bad_minutes = save(tutor, article, title="Look around", minutes="many", body="x")
    assert "Write the minutes as a whole number" in bad_minutes.text

    video = add_lesson(tutor, "video", "Watch")
    no_file = save(tutor, video, title="Watch", body="What it shows")
    assert no_file.status_code == 400
    assert "a video lesson needs its file: add a video file" in no_file.text
    assert "manifest" not in no_file.text.lower()  # the tutor is told what to do, not where it failed

    bad_course = tutor.post(EDITOR, data={**COURSE, "language": "English"})
    assert "Write the language as a short code" in bad_course.text
    for name, text in before.items():
        assert (drafts.drafts_home(hub) / DRAFT / name).read_text() == text
    assert "Safe at home" in (drafts.drafts_home(hub) / DRAFT / "course.toml").read_text()


def test_markdown_preview_is_sanitised_with_and_without_javascript(tutor, hub):
    new_course(tutor)
    article = add_lesson(tutor, "article", "Look around")
    live = tutor.post(f"{STUDIO}/preview", data={"text": "**hi** <script>alert(1)</script>"})
    assert "<strong>hi</strong>" in live.text
    assert "<script" not in live.text
    button = tutor.post(article, data={"action": "preview", "title": "Look around", "body": "## Heading"})
    assert "<h2>Heading</h2>" in button.text
    assert "Heading" not in (drafts.drafts_home(hub) / DRAFT / "01-look-around.md").read_text()


def test_drafts_are_invisible_to_residents(tutor, resident, hub):
    write_small_course(tutor)
    assert resident.get(f"/courses/{DRAFT}").status_code == 404
    assert "Safe at home" not in resident.get("/courses").text
    assert "Safe at home" not in resident.get("/").text
    assert all(c["id"] != DRAFT for c in resident.get("/api/v1/courses").json())
    assert resident.get(f"/api/v1/courses/{DRAFT}").status_code == 404
    assert resident.get(f"{EDITOR}/preview").status_code == 401
    assert resident.get(f"{EDITOR}/files/course.toml").status_code == 401


def test_preview_as_a_resident_uses_the_real_templates_and_records_nothing(tutor, hub):
    write_small_course(tutor)
    course = tutor.get(f"{EDITOR}/preview")
    assert "Preview" in course.text and "Look around" in course.text
    lesson = tutor.get(f"{EDITOR}/preview/look-around")
    assert "<h1>Rooms</h1>" in lesson.text and "preview-banner" in lesson.text
    graded = tutor.post(f"{EDITOR}/preview/check-yourself/quiz", data={"q0": "1", "q1": "false", "q2": "20"})
    assert "Your score: 3 out of 3" in graded.text
    assert hub.db.execute("SELECT count(*) FROM quiz_attempts").fetchone()[0] == 0
    assert hub.db.execute("SELECT count(*) FROM progress").fetchone()[0] == 0


def test_publish_makes_the_next_version_and_progress_survives_it(tutor, resident, hub):
    write_small_course(tutor)
    published = tutor.post(f"{EDITOR}/publish", follow_redirects=False)
    assert published.status_code == 303
    assert not (drafts.drafts_home(hub) / DRAFT).exists()
    assert hub.course(DRAFT).course.version == 1
    assert hub.db.execute("SELECT origin FROM courses WHERE id = ?", [DRAFT]).fetchone()[0] == "local"

    resident.post(f"/courses/{DRAFT}/look-around/done")  # a resident finishes the first lesson

    assert tutor.post(f"{STUDIO}/courses/{DRAFT}/edit", follow_redirects=False).headers["location"] == EDITOR
    assert lesson_files(hub) == ["01-look-around.md", "02-check-yourself.md"]
    add_lesson(tutor, "article", "New first")
    tutor.post(f"{EDITOR}/lessons/new-first/move", data={"direction": "up"})
    tutor.post(f"{EDITOR}/lessons/new-first/move", data={"direction": "up"})
    assert hub.course(DRAFT).course.version == 1  # residents still see version 1 while it is a draft
    assert len(hub.course(DRAFT).lessons) == 2
    tutor.post(f"{EDITOR}/publish")
    detail = hub.course(DRAFT)
    assert detail.course.version == 2
    assert [ls.id for ls in detail.lessons] == ["new-first", "look-around", "check-yourself"]
    page = resident.get(f"/courses/{DRAFT}")
    assert "1 of 3 lessons done" in page.text
    assert hub.course(DRAFT).source.status == "local" and "Made locally, not verified" in page.text


def test_a_hub_with_its_own_key_signs_what_its_tutors_publish(tutor, resident, hub):
    create_own_key(hub.home, hub.db, "Riverside library hub")
    write_small_course(tutor)
    assert tutor.post(f"{EDITOR}/publish", follow_redirects=False).status_code == 303
    assert hub.course(DRAFT).source.status == "verified"
    assert "Published by Riverside library hub" in resident.get(f"/courses/{DRAFT}").text


def test_publish_refuses_an_incomplete_draft_and_keeps_it(tutor, hub):
    new_course(tutor)
    nothing = tutor.post(f"{EDITOR}/publish")
    assert nothing.status_code == 400 and "Add at least one lesson" in nothing.text
    add_lesson(tutor, "quiz", "Empty quiz")
    incomplete = tutor.post(f"{EDITOR}/publish")
    assert "Some lessons are not complete yet" in incomplete.text
    assert "a quiz needs at least one question: add one" in incomplete.text
    assert "manifest" not in incomplete.text.lower()
    assert hub.course(DRAFT) is None
    assert lesson_files(hub) == ["01-empty-quiz.md"]


def test_roles_and_csrf(studio_app, hub):
    learner = client_for(studio_app, hub, Role.LEARNER)
    assert learner.get(STUDIO).status_code == 403
    assert learner.post(f"{STUDIO}/new", data=COURSE).status_code == 403
    assert client_for(studio_app, hub, Role.GUEST).get(STUDIO).status_code == 401
    tutor = client_for(studio_app, hub, Role.TUTOR)
    raw = TestClient(studio_app, base_url="http://hub.test", cookies=dict(tutor.cookies))
    forged = raw.post(f"{STUDIO}/new", data={**COURSE, "csrf_token": "guess"})
    assert forged.status_code == 403 and "did not come from this hub" in forged.text
    assert drafts.list_drafts(hub) == []


def test_pathways_are_made_by_tutors_and_shown_on_home_with_progress(tutor, resident, hub):
    write_small_course(tutor)
    tutor.post(f"{EDITOR}/publish")
    hub.import_starter()
    made = tutor.post("/tutor/pathways", data={"title": "Stay safe"}, follow_redirects=False)
    assert made.status_code == 303
    pathway_id = hub.db.execute("SELECT id FROM pathways").fetchone()[0]
    for course_id in ("first-aid-en", DRAFT):
        tutor.post(f"/tutor/pathways/{pathway_id}", data={"action": "add", "course_id": course_id})
    twice = tutor.post(f"/tutor/pathways/{pathway_id}", data={"action": "add", "course_id": DRAFT})
    assert "already in the pathway" in twice.text
    unknown = tutor.post(f"/tutor/pathways/{pathway_id}", data={"action": "add", "course_id": "nope"})
    assert "published on this hub" in unknown.text
    tutor.post(f"/tutor/pathways/{pathway_id}", data={"action": "up", "course_id": DRAFT})
    assert "Give the pathway a title" in tutor.post("/tutor/pathways", data={"title": " "}).text

    resident.post(f"/courses/{DRAFT}/look-around/done")
    home = resident.get("/").text
    section = home.split('aria-labelledby="pathways"')[1].split("</section>")[0]
    assert "Stay safe" in section
    assert section.index("Safe at home") < section.index("First aid")
    assert "1 of 2 lessons done" in section

    tutor.post(f"/tutor/pathways/{pathway_id}", data={"action": "remove", "course_id": DRAFT})
    tutor.post(f"/tutor/pathways/{pathway_id}/delete")
    assert 'aria-labelledby="pathways"' not in resident.get("/").text


# --- uploads and the transcode job ------------------------------------------------------------


def make_video(path: Path, size: str = "640x480", seconds: int = 2) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size={size}:rate=15:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "mpeg4", "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def probe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height:format=bit_rate",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@needs_ffmpeg
def test_an_uploaded_video_gets_a_small_rendition_and_a_poster(tutor, hub, tmp_path):
    new_course(tutor)
    video = add_lesson(tutor, "video", "Watch")
    clip = make_video(tmp_path / "phone clip.mov", size="1280x720")
    with clip.open("rb") as handle:
        saved = save(tutor, video, files={"file": ("phone clip.mov", handle, "video/quicktime")},
                     title="Watch", body="A test pattern and a tone.")  # fmt: skip
    assert saved.status_code == 303
    job = transcode.latest_job(hub.db, DRAFT, "watch")
    assert job.state == "queued"
    page = tutor.get(video)
    assert 'http-equiv="refresh"' in page.text and "Making a small copy" in page.text
    assert tutor.post(f"{EDITOR}/publish").status_code == 400  # waits for the rendition

    reports: list[tuple[int, int, str]] = []

    def watched(hub_: Hub, params: dict, report: jobs.Report) -> dict | None:
        return transcode.run(hub_, params, lambda *args: (reports.append(args), report(*args))[1])

    assert jobs.run_queued(hub, {"transcode": watched}) == 1
    job = jobs.get_job(hub.db, job.id)
    assert job.state == "done", job.message
    assert reports and reports[-1][0] == reports[-1][1] == 2000  # ffmpeg's progress, in ms of 2 s
    assert reports[-1][2] == "Making a small copy for phones"
    lesson = drafts.load_draft(hub, DRAFT).lesson("watch")
    assert lesson.meta["media"] == ["media/phone-clip.360p.mp4", "media/phone-clip.mov"]
    assert lesson.meta["poster"] == "media/phone-clip.poster.jpg"
    root = drafts.drafts_home(hub) / DRAFT
    info = probe(root / "media/phone-clip.360p.mp4")
    codecs = {s["codec_name"]: s for s in info["streams"]}
    assert set(codecs) == {"h264", "aac"}
    assert codecs["h264"]["height"] == 360 and codecs["h264"]["width"] == 640
    assert (root / "media/phone-clip.poster.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert not list(root.glob("media/*.part"))
    assert "now the lesson's main video" in tutor.get(video).text

    # Safe to run twice: the same outputs, the lesson unchanged.
    again = jobs.submit(hub.db, "transcode", job.params)
    jobs.run_queued(hub, {"transcode": transcode.run})
    assert jobs.get_job(hub.db, again).state == "done"
    assert drafts.load_draft(hub, DRAFT).lesson("watch").meta == lesson.meta

    tutor.post(f"{EDITOR}/publish")
    published = hub.course(DRAFT).lessons[0]
    assert [m.media_type for m in published.media] == ["video/mp4", "video/quicktime"]
    assert published.poster is not None


@needs_ffmpeg
def test_a_portrait_video_stays_portrait(tmp_path):
    clip = make_video(tmp_path / "portrait.mp4", size="720x1280", seconds=1)
    transcode.make_rendition(clip, tmp_path / "small.mp4", tmp_path / "poster.jpg", lambda *_: None)
    video = next(s for s in probe(tmp_path / "small.mp4")["streams"] if s["codec_name"] == "h264")
    assert (video["width"], video["height"]) == (360, 640)


@needs_ffmpeg
def test_a_file_that_is_not_a_video_is_refused_clearly(tutor, hub):
    new_course(tutor)
    video = add_lesson(tutor, "video", "Watch")
    text_file = {"file": ("notes.mp4", b"these are words, not moving pictures", "video/mp4")}
    refused = save(tutor, video, files=text_file, title="Watch", body="Text")
    assert refused.status_code == 400
    assert "This file is not a video the hub can read" in refused.text
    empty = save(tutor, video, files={"file": ("empty.mp4", b"", "video/mp4")}, title="Watch", body="Text")
    assert "is empty (0 bytes)" in empty.text
    assert sorted(p.name for p in (drafts.drafts_home(hub) / DRAFT / "media").iterdir()) == []
    assert "media" not in drafts.load_draft(hub, DRAFT).lesson("watch").meta

    # The job checks too (a file replaced on disk, a job queued by hand).
    media = drafts.drafts_home(hub) / DRAFT / "media"
    (media / "fake.mp4").write_bytes(b"not a video")
    job_id = jobs.submit(
        hub.db, "transcode", {"course_id": DRAFT, "lesson_id": "watch", "source": "media/fake.mp4"}
    )
    jobs.run_queued(hub, {"transcode": transcode.run})
    job = jobs.get_job(hub.db, job_id)
    assert (job.state, job.attempts) == ("failed", 1)
    assert job.message.startswith("This file is not a video the hub can read")
    assert "The video could not be prepared" in tutor.get(video).text


def test_a_playlist_posing_as_a_video_is_refused_before_ffmpeg_reads_what_it_names(tmp_path):
    """An HLS playlist named .mp4 would make ffmpeg read other files on the hub (its keys)."""
    elsewhere = make_video(tmp_path / "elsewhere.ts")  # stands for any file the hub can read
    playlist = tmp_path / "holiday.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{elsewhere}\n#EXT-X-ENDLIST\n")
    with pytest.raises(jobs.JobError, match="not a video"):
        transcode.probe_duration(playlist)
    concat = tmp_path / "list.mp4"
    concat.write_text(f"ffconcat version 1.0\nfile '{make_video(tmp_path / 'real.mp4')}'\n")
    with pytest.raises(jobs.JobError, match="not a video"):
        transcode.probe_duration(concat)


def test_uploads_above_the_cap_are_refused_and_leave_nothing(tutor, hub, monkeypatch):
    new_course(tutor)
    pdf = add_lesson(tutor, "pdf", "Read this")
    monkeypatch.setattr(drafts, "MAX_UPLOAD_BYTES", 1000)
    announced = save(tutor, pdf, files={"file": ("big.pdf", b"%PDF" + b"x" * 2_000_000, "application/pdf")},
                     title="Read this", body="Summary")  # fmt: skip
    assert announced.status_code == 413 and "larger than the hub accepts" in announced.text
    counted = save(tutor, pdf, files={"file": ("big.pdf", b"%PDF" + b"x" * 5000, "application/pdf")},
                   title="Read this", body="Summary")  # fmt: skip
    assert counted.status_code == 400 and "larger than the hub accepts (0 MB at most)" in counted.text
    assert list((drafts.drafts_home(hub) / DRAFT / "media").iterdir()) == []


def test_courses_brought_in_from_elsewhere_cannot_be_rewritten_here(tutor, hub, tmp_path):
    """An imported course (signed or not) and a starter course belong to their publishers."""
    from hub import imports
    from tests.conftest import write_course

    [result] = imports.run_import(hub, write_course(tmp_path / "author"), allow_unverified=True)
    hub.import_starter()
    for course_id in (result.course_id, "hand-hygiene-en"):
        refused = tutor.post(f"{STUDIO}/courses/{course_id}/edit")
        assert "Only courses made on this hub can be edited here." in refused.text
        assert drafts.load_draft(hub, course_id) is None


def test_a_publish_cut_short_gives_the_draft_back(tutor, hub, monkeypatch):
    """Publishing moves the draft out of reach; a failure, or a crash then a restart, returns it."""
    write_small_course(tutor)

    def power_cut(*args, **kwargs):
        raise KeyboardInterrupt  # stands for the process dying mid-import

    monkeypatch.setattr("hub.plugins.studio.publish.import_package", power_cut)
    with pytest.raises(KeyboardInterrupt):
        publish.publish(hub, drafts.load_draft(hub, DRAFT))
    assert drafts.load_draft(hub, DRAFT) is not None  # given back at once
    (drafts.drafts_home(hub) / DRAFT).rename(drafts.drafts_home(hub) / f".publishing-{DRAFT}-dead")
    assert drafts.load_draft(hub, DRAFT) is None  # as a crash would leave it
    assert drafts.recover_interrupted_publishing(hub) == [DRAFT]
    assert [lesson.id for lesson in drafts.load_draft(hub, DRAFT).lessons] == [
        "look-around",
        "check-yourself",
    ]


SUBRIP = b"1\r\n00:00:00,500 --> 00:00:01,800\r\nCool the burn under running water.\r\n\r\n"


@needs_ffmpeg
def test_a_tutor_adds_captions_from_a_subrip_file_and_residents_get_them(tutor, resident, hub, tmp_path):
    new_course(tutor)
    video = add_lesson(tutor, "video", "Watch")
    subrip = {"file": ("burn.srt", SUBRIP, "application/x-subrip")}
    too_soon = tutor.post(f"{video}/captions", data={"language": "en"}, files=subrip)
    assert too_soon.status_code == 400 and "Add the video first, then its captions." in too_soon.text
    with make_video(tmp_path / "clip.mp4", size="640x360").open("rb") as handle:
        save(tutor, video, files={"file": ("clip.mp4", handle, "video/mp4")}, title="Watch", body="A burn.")
    jobs.run_queued(hub, {"transcode": transcode.run})

    refused = tutor.post(f"{video}/captions", data={"language": "en"},
                         files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")})  # fmt: skip
    assert refused.status_code == 400 and "These captions cannot be used" in refused.text
    no_language = tutor.post(f"{video}/captions", data={"language": "../x"},
                             files={"file": ("burn.srt", SUBRIP, "application/x-subrip")})  # fmt: skip
    assert no_language.status_code == 400 and "Choose the language the captions are in." in no_language.text
    assert "captions" not in drafts.load_draft(hub, DRAFT).lesson("watch").meta

    added = tutor.post(f"{video}/captions", data={"language": "en"}, files=subrip, follow_redirects=False)
    assert added.status_code == 303
    twice = tutor.post(f"{video}/captions", data={"language": "en"}, files=subrip)
    assert twice.status_code == 400 and "captions in that language already" in twice.text
    assert len(list((drafts.drafts_home(hub) / DRAFT / "media").glob("*.vtt"))) == 1  # no stray files
    [caption] = drafts.load_draft(hub, DRAFT).lesson("watch").meta["captions"]
    assert caption["label"] == "English" and caption["language"] == "en"
    stored = (drafts.drafts_home(hub) / DRAFT / caption["file"]).read_text()
    assert stored.startswith("WEBVTT") and "00:00:00.500 --> 00:00:01.800" in stored
    assert "English" in tutor.get(video).text

    assert tutor.post(f"{EDITOR}/publish").status_code == 200
    [published] = hub.course(DRAFT).lessons[0].captions
    assert (published.language, published.label) == ("en", "English")
    lesson_page = resident.get(f"/courses/{DRAFT}/watch").text
    assert '<track kind="captions"' in lesson_page and 'srclang="en"' in lesson_page
