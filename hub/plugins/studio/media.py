"""A video, sound, app zip or H5P file in a draft: refused at once when it is not one; a video or sound
is queued for the copy every phone plays (the background job "transcode"). Also how a video or
sound brought to Import starts a draft course of its own: the tutor then writes what it says (its
text version) and publishes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from content.appzip import check_app_zip
from content.errors import ContentError
from content.h5p import check_h5p
from content.importers.base import title_from_name
from hub.home import Hub
from hub.i18n import N_
from hub.jobs import JobError
from hub.plugins.studio import drafts, transcode
from hub.plugins.studio.drafts import Draft, DraftLesson, DraftProblem, StudioError

SOUND_SUFFIXES = frozenset({".mp3", ".m4a", ".wav", ".wma", ".ogg", ".opus", ".flac", ".amr", ".aac"})


def check_video(draft: Draft, path: str) -> None:
    """Refuse at once what is clearly not a video (the job checks again before it converts)."""
    try:
        transcode.probe_duration(draft.root / path)
    except JobError as error:
        (draft.root / path).unlink(missing_ok=True)
        raise DraftProblem(str(error)) from None


_ZIP_CHECKS: dict[str, tuple[Callable[[Path], object], str]] = {
    "html5": (check_app_zip, N_("This file cannot be an app lesson: %(reason)s.")),
    "h5p": (check_h5p, N_("This file cannot be an H5P activity: %(reason)s.")),
}


def check_zipped(draft: Draft, kind: str, path: str) -> None:
    """Refuse at once an app zip or an H5P file the import would refuse (content/appzip.py,
    content/h5p.py), keeping nothing of it."""
    check, refusal = _ZIP_CHECKS[kind]
    try:
        check(draft.root / path)
    except ContentError as error:
        (draft.root / path).unlink(missing_ok=True)
        raise StudioError(refusal, reason=str(error)) from None


def check_sound(draft: Draft, path: str) -> bool:
    """Refuse at once what is not a sound recording; whether it needs converting for phones."""
    try:
        _, played = transcode.probe_sound(draft.root / path)
    except JobError as error:
        (draft.root / path).unlink(missing_ok=True)
        raise DraftProblem(str(error)) from None
    return not played


def draft_from_media(
    hub: Hub, stream: BinaryIO, file_name: str, language: str, publisher: str, created_by: str | None
) -> tuple[Draft, DraftLesson]:
    """A new draft course with one video or sound lesson holding what `stream` reads; its phone
    copy is queued. Nothing is left behind when the file is refused."""
    kind = "audio" if Path(file_name).suffix.lower() in SOUND_SUFFIXES else "video"
    title = title_from_name(Path(file_name).stem) or "Recording"
    course = {"title": title, "summary": "", "language": language, "publisher": publisher,
              "topics": ["health"], "level": "beginner"}  # fmt: skip
    draft = drafts.create_draft(hub, course)
    try:
        lesson = drafts.add_lesson(draft, kind, title)
        path = drafts.store_media(draft, stream, file_name)
        if kind == "video":
            check_video(draft, path)
        needs_copy = kind == "video" or check_sound(draft, path)
        drafts.keep_unfinished(draft, lesson, {**lesson.meta, "media": path})  # its text version to write
    except (StudioError, DraftProblem):
        drafts.discard(draft)
        raise
    if needs_copy:
        transcode.queue(hub.db, draft.course_id, lesson.id, path, created_by)
    return draft, lesson
