"""The "transcode" job: a small rendition of a tutor's phone video, and a poster, with ffmpeg;
or, for a sound lesson, a copy every phone plays (AAC in MP4) of a recording phones cannot play.

The rendition is H.264/AAC in MP4, at most 360 lines (the short side, so portrait video stays
portrait) and about 400 kbit/s, which weak phones and a busy hub Wi-Fi can play. The original
is kept as the lesson's second source. Outputs are written as `.part` files and renamed, and the
lesson is updated only if it still uses that original, so the job is safe to run twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from content.errors import ContentError
from content.paths import safe_file
from hub.home import Hub
from hub.jobs import Job, JobError, Report, child_process, get_job, submit
from hub.plugins.studio.drafts import DraftProblem, load_draft, save_lesson

KIND = "transcode"
VIDEO_BITRATE = "330k"  # plus 64k audio: about 400 kbit/s in all
AUDIO_BITRATE = "64k"
MAX_LINES = 360
# Scale the shorter side down to 360 (never up), keep the aspect, even sizes for H.264.
SCALE = f"scale=w='if(gt(iw,ih),-2,min({MAX_LINES},iw))':h='if(gt(iw,ih),min({MAX_LINES},ih),-2)'"
NOT_A_VIDEO = (
    "This file is not a video the hub can read. Please upload a video file (for example MP4 from a phone)."
)


def queue(db: Database, course_id: str, lesson_id: str, source: str, created_by: str | None) -> int:
    return submit(db, KIND, {"course_id": course_id, "lesson_id": lesson_id, "source": source}, created_by)


def _jobs_for(db: Database, course_id: str, lesson_id: str | None = None) -> list[Job]:
    rows = db.execute(
        "SELECT id FROM jobs WHERE kind = ? AND json_extract(params, '$.course_id') = ?"
        " AND (? IS NULL OR json_extract(params, '$.lesson_id') = ?) ORDER BY id DESC",
        [KIND, course_id, lesson_id, lesson_id],
    ).fetchall()
    return [job for (job_id,) in rows if (job := get_job(db, job_id)) is not None]


def latest_job(db: Database, course_id: str, lesson_id: str) -> Job | None:
    jobs = _jobs_for(db, course_id, lesson_id)
    return jobs[0] if jobs else None


def unfinished_jobs(db: Database, course_id: str) -> list[Job]:
    return [job for job in _jobs_for(db, course_id) if not job.finished]


# Containers phones and cameras write. Anything else is refused before ffmpeg opens it for real:
# a playlist (HLS, concat) posing as a video would make ffmpeg read other files on the hub.
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpeg",
                              "mpegts", "flv", "ogg"})  # fmt: skip


def _probe(
    path: Path, stream: str, entries: str, containers: frozenset[str], refusal: str, what: str
) -> tuple[dict[str, Any], set[str]]:
    """ffprobe's description of an upload's first `stream` ("v:0", "a:0") and its container names;
    JobError when the file is empty or holds no such stream in a container the hub takes."""
    if path.stat().st_size == 0:
        raise JobError(f"The uploaded file is empty (0 bytes). Please upload the {what} again.")
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", stream,
         "-show_entries", f"{entries}:format=duration,format_name", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    try:
        info = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        info = {}
    container = set(str(info.get("format", {}).get("format_name", "")).split(","))
    if result.returncode != 0 or not info.get("streams") or not container & containers:
        raise JobError(refusal)
    return info, container


def _seconds(info: dict[str, Any]) -> float:
    try:
        return max(float(info.get("format", {}).get("duration", 0)), 0.0)
    except ValueError:
        return 0.0


def probe_duration(path: Path) -> float:
    """Seconds of video in a file, or JobError when it holds no video stream ffmpeg can read."""
    info, _ = _probe(path, "v:0", "stream=codec_type", VIDEO_CONTAINERS, NOT_A_VIDEO, "video")
    return _seconds(info)


# Sound: phones play AAC (in MP4) and MP3 everywhere; WMA, AMR, FLAC, Opus, WAV and the rest are
# made AAC at 64 kbit/s mono (speech: a 30-minute talk is about 14 MB). What phones play is kept.
SOUND_FORMATS = {
    "asf",
    "wav",
    "w64",
    "flac",
    "mp3",
    "aac",
    "amr",
    "aiff",
    "caf",
    "au",
    "wv",
    "ape",
    "ac3",
    "tta",
}
SOUND_CONTAINERS = VIDEO_CONTAINERS | frozenset(SOUND_FORMATS)
PLAYED_EVERYWHERE = {("mp3", "mp3"), ("aac", "mov"), ("aac", "mp4"), ("aac", "m4a"), ("aac", "aac")}
NOT_A_SOUND = (
    "This file is not a sound recording the hub can read. Please upload a sound file "
    "(for example MP3, M4A, WAV or WMA)."
)


def probe_sound(path: Path) -> tuple[float, bool]:
    """Seconds of sound in a file and whether every phone plays it as it is; JobError when it holds
    no sound stream ffmpeg can read (a playlist posing as sound is refused like one posing as video)."""
    info, container = _probe(path, "a:0", "stream=codec_name", SOUND_CONTAINERS, NOT_A_SOUND, "recording")
    codec = str(info["streams"][0].get("codec_name", ""))
    played = any((codec, name) in PLAYED_EVERYWHERE for name in container)
    return _seconds(info), played


def make_sound_rendition(source: Path, target: Path, report: Report) -> None:
    """`source`'s first sound stream as AAC in MP4 (.m4a), which every phone plays."""
    duration, _ = probe_sound(source)
    part = target.with_name(target.name + ".part")
    try:
        _ffmpeg(
            ["-i", str(source), "-map", "0:a:0", "-vn", "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "1",
             "-movflags", "+faststart", "-f", "mp4", "-progress", "pipe:1", str(part)],
            duration, report, "Making a copy every phone plays", NOT_A_SOUND,
        )  # fmt: skip
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _ffmpeg(
    args: list[str], duration: float, report: Report, message: str, refusal: str = NOT_A_VIDEO
) -> None:
    """Run ffmpeg, turning its `-progress` lines into job progress (milliseconds done of total)."""
    total = max(int(duration * 1000), 1)
    with tempfile.TemporaryFile() as errors:
        with child_process(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
            stdout=subprocess.PIPE, stderr=errors, text=True,
        ) as process:  # fmt: skip
            assert process.stdout is not None
            for line in process.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.isdigit():
                    report(min(int(value) // 1000, total), total, message)
        if process.returncode != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise JobError(f"{refusal} (ffmpeg: {detail[0][:200]})")


def make_rendition(source: Path, target: Path, poster: Path, report: Report) -> None:
    duration = probe_duration(source)
    part = target.with_name(target.name + ".part")
    poster_part = poster.with_name(poster.name + ".part")
    try:
        _ffmpeg(
            ["-i", str(source), "-map", "0:v:0", "-map", "0:a:0?", "-vf", SCALE,
             "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
             "-b:v", VIDEO_BITRATE, "-maxrate", "400k", "-bufsize", "800k",
             "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "1",
             "-movflags", "+faststart", "-f", "mp4", "-progress", "pipe:1", str(part)],
            duration, report, "Making a small copy for phones",
        )  # fmt: skip
        _ffmpeg(
            ["-ss", f"{min(1.0, duration / 2):.2f}", "-i", str(source), "-frames:v", "1", "-vf", SCALE,
             "-f", "image2", "-c:v", "mjpeg", "-update", "1", str(poster_part)],
            duration, lambda *_: None, "",
        )  # fmt: skip
        os.replace(part, target)
        os.replace(poster_part, poster)
    finally:
        part.unlink(missing_ok=True)
        poster_part.unlink(missing_ok=True)


def run(hub: Hub, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Job function: make the rendition and poster, then make them the lesson's main media."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise JobError("ffmpeg is not installed on this hub, so videos and sounds cannot be converted.")
    draft = load_draft(hub, params["course_id"])
    lesson = draft.lesson(params["lesson_id"]) if draft else None
    if draft is None or lesson is None:
        raise JobError("The draft lesson for this video no longer exists.")
    source_name = params["source"]
    try:
        source = safe_file(draft.root, source_name)
    except ContentError as error:
        raise JobError(f"The uploaded video is missing from the draft ({error}).") from None
    stem = source_name.rsplit(".", 1)[0]
    sound = lesson.kind == "audio"
    rendition, poster = (f"{stem}.aac.m4a", "") if sound else (f"{stem}.360p.mp4", f"{stem}.poster.jpg")
    if sound:
        make_sound_rendition(source, draft.root / rendition, report)
    else:
        make_rendition(source, draft.root / rendition, draft.root / poster, report)
    draft = load_draft(hub, params["course_id"])  # read again: the tutor may have saved meanwhile
    lesson = draft.lesson(params["lesson_id"]) if draft else None
    if draft and lesson and lesson.meta.get("media") in (source_name, [source_name]):
        # A sound phones cannot play is not kept as a second source: it would only be offered for download.
        media = [rendition] if sound else [rendition, source_name]
        meta = {**lesson.meta, "media": media} | ({} if sound else {"poster": poster})
        try:
            save_lesson(draft, lesson, meta, lesson.body)
        except DraftProblem as problem:
            raise JobError(f"The small copy is ready, but the lesson could not use it: {problem}") from None
    return {"rendition": rendition, "poster": poster}
