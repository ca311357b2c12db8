"""Issue 16, sound: a recording phones cannot play (WMA from a Windows PC, FLAC, AMR) becomes AAC
in MP4 before it is published; MP3 and AAC stay as they are; what is not sound is refused. The
files are made by ffmpeg, as PCs and recorders write them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hub import jobs
from hub.home import Hub
from hub.plugins.studio import drafts, transcode
from tests.conftest import BrowserClient
from tests.hub.test_studio import (
    DRAFT,
    EDITOR,
    add_lesson,
    needs_ffmpeg,
    new_course,
    probe,
    save,
    studio_app,
    tutor,
)

__all__ = ["studio_app", "tutor"]  # fixtures this module uses


def make_sound(path: Path, codec: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=2", "-c:a", codec,
         str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


@needs_ffmpeg
def test_a_wma_recording_is_made_aac_before_it_is_published(tutor: BrowserClient, hub: Hub, tmp_path: Path):
    new_course(tutor)
    lesson = add_lesson(tutor, "audio", "Listen")
    wma = make_sound(tmp_path / "talk.wma", "wmav2")
    with wma.open("rb") as handle:
        saved = save(tutor, lesson, files={"file": ("talk.wma", handle, "audio/x-ms-wma")}, title="Listen",
                     body="A tone.")  # fmt: skip
    assert saved.status_code == 303
    job = transcode.latest_job(hub.db, DRAFT, "listen")
    assert job is not None and job.state == "queued"
    assert tutor.post(f"{EDITOR}/publish").status_code == 400  # waits for the copy phones play
    assert jobs.run_queued(hub, {"transcode": transcode.run}) == 1
    assert jobs.get_job(hub.db, job.id).state == "done"
    meta = drafts.load_draft(hub, DRAFT).lesson("listen").meta
    assert meta["media"] == ["media/talk.aac.m4a"]
    [stream] = probe(drafts.drafts_home(hub) / DRAFT / "media/talk.aac.m4a")["streams"]
    assert stream["codec_name"] == "aac"
    tutor.post(f"{EDITOR}/publish")
    [published] = hub.course(DRAFT).lessons[0].media
    assert published.media_type == "audio/mp4"


@needs_ffmpeg
def test_an_mp3_stays_as_it_is(tutor: BrowserClient, hub: Hub, tmp_path: Path):
    new_course(tutor)
    lesson = add_lesson(tutor, "audio", "Listen")
    mp3 = make_sound(tmp_path / "talk.mp3", "libmp3lame")
    with mp3.open("rb") as handle:
        assert save(tutor, lesson, files={"file": ("talk.mp3", handle, "audio/mpeg")}, title="Listen",
                    body="A tone.").status_code == 303  # fmt: skip
    assert transcode.latest_job(hub.db, DRAFT, "listen") is None


@needs_ffmpeg
@pytest.mark.parametrize("data", [b"these are words, not sound", b""])
def test_what_is_not_sound_is_refused_clearly(tutor: BrowserClient, hub: Hub, data: bytes):
    new_course(tutor)
    lesson = add_lesson(tutor, "audio", "Listen")
    refused = save(
        tutor, lesson, files={"file": ("talk.wma", data, "audio/x-ms-wma")}, title="Listen", body="x"
    )
    assert refused.status_code == 400
    assert "not a sound recording the hub can read" in refused.text or "is empty (0 bytes)" in refused.text
    assert "media" not in drafts.load_draft(hub, DRAFT).lesson("listen").meta
