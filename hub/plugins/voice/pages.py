"""What a lesson page needs to offer listening."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from content.model import Course, Lesson
from hub.plugins.voice import store, synth
from hub.plugins.voice.speech_text import lesson_parts


@dataclass(frozen=True)
class LessonSpeech:
    """A lesson's speech by part, and the parts the hub reads (to say "still making" for those only)."""

    parts: dict[str, store.Speech]
    expected: frozenset[str]

    def get(self, part: str) -> store.Speech | None:
        return self.parts.get(part)

    @property
    def has_voice(self) -> bool:
        return bool(self.expected)

    def offers(self, part: str) -> bool:
        return part in self.parts or part in self.expected


def speech_for(request: Request, course: Course, lesson: Lesson) -> LessonSpeech:
    hub = request.app.state.hub
    parts = store.lesson_speech(hub.db, course.id, course.version, lesson.id)
    has_voice = synth.voice_for(course.language) is not None
    expected = frozenset(p.part for p in lesson_parts(lesson)) if has_voice else frozenset()
    return LessonSpeech(parts, expected)
