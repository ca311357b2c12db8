"""Issue 16, messages: what Import cannot take is refused saying what the file is, why, and what
to do instead (a caption file, a file posing as a video); a video or sound becomes a Studio draft
to complete. A zip of PDFs is imported: test_pdf_imports.py."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.home import Hub
from hub.learners import Role
from hub.plugins.studio import drafts, transcode
from tests.conftest import signed_in
from tests.hub.test_studio import make_video, needs_ffmpeg
from tests.hub.test_studio_sound import make_sound


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


def test_a_caption_file_given_to_import_is_pointed_to_its_video_in_the_studio(hub: Hub):
    tutor = signed_in(hub, Role.TUTOR)
    refused = tutor.post(
        "/tutor/import/upload", files={"file": ("clip.fr.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHi\n")}
    )
    assert refused.status_code == 400
    assert "clip.fr.srt is a caption file. Add it to its video in the Studio" in html.unescape(refused.text)


@needs_ffmpeg
@pytest.mark.parametrize(
    ("name", "kind", "make"),
    [
        ("02_hand-washing.mp4", "video", make_video),
        ("Radio talk.wma", "audio", lambda path: make_sound(path, "wmav2")),
    ],
)
def test_a_video_or_sound_given_to_import_becomes_a_studio_draft_to_complete(
    hub: Hub, tmp_path: Path, name: str, kind: str, make: Callable[[Path], Path]
):
    tutor = signed_in(hub, Role.TUTOR)
    recording = make(tmp_path / name)
    made = tutor.post(
        "/tutor/import/upload", files={"file": (name, recording.read_bytes())}, follow_redirects=False
    )
    assert made.status_code == 303 and "from_import=1" in made.headers["location"]
    [draft] = drafts.list_drafts(hub)
    [lesson] = draft.lessons
    assert (
        draft.course["title"]
        == lesson.meta["title"]
        == {"video": "Hand washing", "audio": "Radio talk"}[kind]
    )
    assert lesson.meta["kind"] == kind and (draft.root / lesson.meta["media"]).is_file()
    assert [job.state for job in transcode.unfinished_jobs(hub.db, draft.course_id)] == ["queued"]
    page = html.unescape(tutor.get(made.headers["location"]).text)
    assert "The hub made a draft course of your recording" in page and "Not complete yet" in page


@needs_ffmpeg
@pytest.mark.parametrize("name", ["clip.mp4", "talk.wma"])
def test_a_file_posing_as_a_video_or_sound_is_refused_and_leaves_no_draft(hub: Hub, name: str):
    tutor = signed_in(hub, Role.TUTOR)
    refused = tutor.post("/tutor/import/upload", files={"file": (name, b"<html>not a recording</html>")})
    assert refused.status_code == 400
    assert "is not a" in html.unescape(refused.text)
    assert drafts.list_drafts(hub) == []
