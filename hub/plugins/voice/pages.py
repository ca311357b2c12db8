"""What a lesson page needs to offer listening."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from content.model import Course, Lesson
from hub.caches import LruCache
from hub.plugins.voice import store, synth
from hub.plugins.voice.speech_text import lesson_parts

# Finding a lesson's parts parses its Markdown (1.7 ms for a starter lesson), and every lesson
# page asks: once per lesson text is enough.
_part_names: LruCache[frozenset[str]] = LruCache.configured("SPEECH_PARTS")


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
    expected = part_names(lesson) if has_voice else frozenset()
    return LessonSpeech(parts, expected)


def part_names(lesson: Lesson) -> frozenset[str]:
    """The names of the parts of `lesson` the hub reads aloud (hub/caches.py keeps them)."""
    questions = tuple((q.prompt, tuple(q.choices), q.explanation) for q in lesson.questions)
    key = (lesson.kind, lesson.title, lesson.text, questions)
    return _part_names.get_or_make(key, lambda: frozenset(p.part for p in lesson_parts(lesson)))
