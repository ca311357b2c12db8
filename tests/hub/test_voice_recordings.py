"""A tutor's own recording of a lesson replaces the hub's voice; a file that is not audio is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI

from hub.home import Hub
from hub.learners import Role
from hub.plugins.voice import store, synth
from tests.conftest import resident, signed_in

pytestmark = pytest.mark.skipif(not synth.available(), reason="ffmpeg and ffprobe check recordings")
LESSON = "/courses/sample-course/read-me"
UPLOAD = "/tutor/recordings/sample-course/read-me"


def a_recording(tmp_path: Path) -> bytes:
    """Three seconds of a tone, as a phone's voice memo might be (M4A/AAC)."""
    path = tmp_path / "memo.m4a"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:duration=3",
            "-c:a",
            "aac",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


def speech_rows(hub: Hub) -> list[tuple[object, ...]]:
    return hub.db.execute("SELECT * FROM lesson_speech ORDER BY part, source").fetchall()


def test_a_tutor_recording_replaces_the_hub_voice(app: FastAPI, hub: Hub, tmp_path: Path) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    page = tutor.get("/tutor/recordings/sample-course")
    assert page.status_code == 200 and "Read me" in page.text
    saved = tutor.post(
        UPLOAD, files={"recording": ("memo.m4a", a_recording(tmp_path), "audio/mp4")}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert "Your recording is saved" in tutor.get(saved.headers["location"]).text
    lesson = tutor.get(LESSON).text
    assert "Read by a person." in lesson and 'src="/media/' in lesson
    (said,) = store.lesson_speech(hub.db, "sample-course", 1, "read-me").values()
    assert said.by_person and said.seconds == pytest.approx(3, abs=0.2)
    played = tutor.get(said.url, headers={"Range": "bytes=0-3"})
    assert played.status_code == 206 and played.content == b"OggS"

    back = tutor.post(UPLOAD, data={"remove": "1"}, follow_redirects=False)
    assert back.status_code == 303
    assert "Read by a person." not in tutor.get(LESSON).text
    assert (
        not hub.blobs.has(said.sha256)
        or hub.db.execute("SELECT 1 FROM freed_blobs WHERE sha256 = ?", [said.sha256]).fetchone()
    )


@pytest.mark.parametrize(
    "name, data",
    [
        ("notes.mp3", b"this is not audio at all\n" * 100),
        ("picture.ogg", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500),
        ("empty.wav", b""),
    ],
)
def test_a_file_that_is_not_audio_is_refused_and_nothing_changes(
    app: FastAPI, hub: Hub, tmp_path: Path, name: str, data: bytes
) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    assert (
        tutor.post(
            UPLOAD,
            files={"recording": ("memo.m4a", a_recording(tmp_path), "audio/mp4")},
            follow_redirects=False,
        ).status_code
        == 303
    )
    before = speech_rows(hub)
    refused = tutor.post(UPLOAD, files={"recording": (name, data, "audio/mpeg")}, follow_redirects=False)
    assert refused.status_code == 400
    assert (
        "This file is not a recording the hub can play. Please choose an audio file" in refused.text
        or "Please choose a recording to upload." in refused.text
    )
    assert speech_rows(hub) == before
    assert "Read by a person." in tutor.get(LESSON).text


def test_only_tutors_upload_recordings(app: FastAPI, hub: Hub, tmp_path: Path) -> None:
    learner, _ = resident(hub)
    assert learner.get("/tutor/recordings").status_code == 403
    refused = learner.post(
        UPLOAD, files={"recording": ("memo.m4a", a_recording(tmp_path), "audio/mp4")}, follow_redirects=False
    )
    assert refused.status_code == 403 and speech_rows(hub) == []
