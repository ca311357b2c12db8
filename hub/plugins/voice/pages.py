"""What a lesson page needs to offer listening."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from content.model import Course, Lesson
from hub.plugins.voice import store, synth


@dataclass(frozen=True)
class LessonSpeech:
    """A lesson's speech by part, and whether the hub has a voice for its language at all."""

    parts: dict[str, store.Speech]
    has_voice: bool

    def get(self, part: str) -> store.Speech | None:
        return self.parts.get(part)


def speech_for(request: Request, course: Course, lesson: Lesson) -> LessonSpeech:
    hub = request.app.state.hub
    parts = store.lesson_speech(hub.db, course.id, course.version, lesson.id)
    return LessonSpeech(parts, synth.voice_for(course.language) is not None)
