"""The background job "speech": the hub reads every lesson of a course version aloud.

A library watcher (hub/library_watch.py) queues one job per course version that has no speech
yet: at start (the starter courses on a fresh hub, while it already serves) and whenever the
library changes. The job is safe to run twice:
each part's blob is checked by its hash before its row is written, one transaction per course.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from content.blobs import hash_file
from hub import jobs, library_watch
from hub.db import transaction
from hub.plugins.voice import store, synth
from hub.plugins.voice.speech_text import lesson_parts

if TYPE_CHECKING:
    from hub.home import Hub

KIND = "speech"


def make_course_speech(hub: Hub, params: dict[str, Any], report: jobs.Report) -> dict[str, Any]:
    course_id, version = str(params["course_id"]), int(params["version"])
    detail = hub.course(course_id)
    if detail is None or detail.course.version != version:
        return {"skipped": "the course changed or went"}  # a newer job covers the new version
    language = detail.course.language
    if synth.voice_for(language) is None:
        with transaction(hub.db):
            store.finish_course(hub.db, course_id, version)
        return {"parts": 0, "no_voice": language}
    voice = synth.voice_id(language)
    todo = [(lesson, part) for lesson in detail.lessons for part in lesson_parts(lesson)]
    new = [
        part
        for _, part in todo
        if store.known_blob(hub.db, part.key(voice)) is None
        and not ((kept := synth.cached(part, language)) and kept.is_file())
    ]
    report(0, len(todo), "")  # a hub stopping now puts the job back before the long part
    read = synth.to_read(new, language, functools.partial(report, 0, len(todo), ""))
    texts = dict(zip((part.key(voice) for part in new), read, strict=True))
    made: list[tuple[str, store.Speech, str]] = []
    with tempfile.TemporaryDirectory(prefix="speech-", dir=hub.home) as work, hub.blobs.batch() as batch:
        for done, (lesson, part) in enumerate(todo):
            report(done, len(todo), lesson.title)
            key = part.key(voice)
            known = store.known_blob(hub.db, key)
            if known is not None:
                sha256, seconds = known
            else:
                target = Path(work) / f"{done}.ogg"
                synth.make_speech(
                    part,
                    language,
                    target,
                    functools.partial(report, done, len(todo), lesson.title),
                    texts.get(key),
                )
                sha256, size = hash_file(target)
                seconds = synth.duration(target)
                with target.open("rb") as handle:
                    batch.add_file(handle, sha256, size)
            made.append(
                (lesson.id, store.Speech(part.part, store.MADE, sha256, part.words, part.cut, seconds), key)
            )
        batch.publish()
        with transaction(hub.db):
            current = hub.db.execute("SELECT version FROM courses WHERE id = ?", [course_id]).fetchone()
            if current is None or current[0] != version:
                return {"skipped": "the course changed while it was read"}
            for lesson_id, speech, key in made:
                size = hub.blobs.path(speech.sha256).stat().st_size
                store.keep_file(hub.db, speech.sha256, size, synth.MEDIA_TYPE, f"{speech.part}.ogg")
                store.save(hub.db, course_id, version, lesson_id, speech, key)
            store.finish_course(hub.db, course_id, version)
    report(len(todo), len(todo), "")
    return {"parts": len(made)}


def queue_missing(hub: Hub) -> int:
    """Queue speech for every course version that lacks it; return how many jobs were queued."""
    missing = store.courses_without_speech(hub.db)
    for course_id, version in missing:
        jobs.submit(hub.db, KIND, {"course_id": course_id, "version": version}, background=True)
    return len(missing)


def watch(hub: Hub) -> None:
    """Queue speech for courses without it, now and whenever the library changes (this process)."""
    library_watch.watch(hub, KIND, queue_missing, synth.available)
