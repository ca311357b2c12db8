"""A tutor's own recording of a lesson's text: checked with ffprobe, kept as Ogg Opus.

The recording replaces the hub's voice for that lesson version (residents see "read by a person").
A file that is not audio ffprobe can read is refused with a message, and nothing changes.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from content.blobs import hash_file
from hub.db import transaction
from hub.home import Hub
from hub.i18n import N_
from hub.plugins.voice import store, synth
from hub.plugins.voice.speech_text import TEXT_PART

MAX_RECORDING_BYTES = 100 * 1024**2  # about an hour and a half of a phone's voice memo
MAX_RECORDING_SECONDS = 3 * 3600
NOT_AUDIO = N_(
    "This file is not a recording the hub can play. Please choose an audio file (MP3, M4A, OGG, WAV…)."
)
PERSON_ENCODE = ["-vn", "-map_metadata", "-1", "-ac", "1", "-ar", "24000", "-c:a", "libopus", "-b:a", "32k"]


class RecordingRefused(Exception):
    """Said to the tutor as it is (the message is marked for translation)."""


def save_recording(hub: Hub, course_id: str, version: int, lesson_id: str, upload: Path) -> store.Speech:
    """Check an uploaded file, convert it, and make it the lesson's recording; RecordingRefused otherwise."""
    seconds = synth.duration(upload)
    if seconds <= 0.5:
        raise RecordingRefused(NOT_AUDIO)
    if seconds > MAX_RECORDING_SECONDS:
        raise RecordingRefused(
            N_("This recording is longer than three hours. Please record the lesson in a shorter take.")
        )
    with tempfile.TemporaryDirectory(prefix="recording-", dir=hub.home) as work:
        target = Path(work) / "recording.ogg"
        done = subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(upload), *PERSON_ENCODE, "-f", "ogg", str(target)],
            capture_output=True,
            timeout=1800,
            check=False,
        )
        if done.returncode != 0 or synth.duration(target) <= 0.5:
            raise RecordingRefused(NOT_AUDIO)
        sha256, size = hash_file(target)
        with target.open("rb") as handle, hub.blobs.batch() as batch:
            batch.add_file(handle, sha256, size)
            batch.publish()
        speech = store.Speech(TEXT_PART, store.PERSON, sha256, 0, False, synth.duration(target))
        with transaction(hub.db):
            store.keep_file(hub.db, sha256, size, synth.MEDIA_TYPE, "recording.ogg")
            store.save(hub.db, course_id, version, lesson_id, speech, None)
    return speech


def remove_recording(hub: Hub, course_id: str, version: int, lesson_id: str) -> None:
    """Go back to the hub's voice for this lesson."""
    with transaction(hub.db):
        hub.db.execute(
            "DELETE FROM lesson_speech WHERE course_id = ? AND version = ? AND lesson_id = ? AND source = ?",
            [course_id, version, lesson_id, store.PERSON],
        )
