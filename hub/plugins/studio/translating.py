"""Translating a course side by side (issue 22): a draft that keeps the original's shape.

A translation is an ordinary draft (drafts.py) written out from the published original, with the
new language and the original named among its translations, plus `translation.toml`, which
remembers the original and which parts the tutor has translated. Only words change here:
titles, texts, quiz prompts, choices, units and explanations, image descriptions. Media, kinds,
answers and the order of lessons and choices stay the original's. It publishes through the
studio's own path, once every part is translated.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from content.author_writer import write_atomic, write_author_folder
from content.model import FORMAT_NAME, FORMAT_VERSION, LANGUAGE_PATTERN, Lesson, Manifest, slug
from hub.course_translations import translations_of
from hub.home import Hub
from hub.i18n import N_, language_name
from hub.library import ImportResult
from hub.plugins.studio import drafts, publish
from hub.plugins.studio.drafts import Draft, DraftLesson, StudioError

TRANSLATION_FILE = "translation.toml"  # beside course.toml; the folder reader ignores it
COURSE_PART = "course"  # the course's title and summary, in `done` beside lesson ids


@dataclass
class Translation:
    """A draft being translated, and its original."""

    draft: Draft
    source_id: str
    done: set[str] = field(default_factory=set)

    @property
    def language(self) -> str:
        return str(self.draft.course.get("language", ""))

    def to_do(self) -> list[DraftLesson]:
        return [lesson for lesson in self.draft.lessons if lesson.id not in self.done]


def load(hub: Hub, course_id: str) -> Translation | None:
    draft = drafts.load_draft(hub, course_id)
    if draft is None or not (draft.root / TRANSLATION_FILE).is_file():
        return None
    data = tomllib.loads((draft.root / TRANSLATION_FILE).read_text(encoding="utf-8"))
    return Translation(draft, str(data.get("source", "")), {str(part) for part in data.get("done", [])})


def in_progress(hub: Hub) -> list[Translation]:
    found = (load(hub, draft.course_id) for draft in drafts.list_drafts(hub))
    return [translation for translation in found if translation is not None]


def _remember(translation: Translation) -> None:
    data = {"source": translation.source_id, "done": sorted(translation.done)}
    write_atomic(translation.draft.root / TRANSLATION_FILE, tomli_w.dumps(data))


def start(hub: Hub, source_id: str, language: str, publisher: str) -> Translation:
    """A translation draft of a published course into `language` (or the one already started)."""
    detail = hub.course(source_id)
    if detail is None or source_id not in {card.id for card in hub.courses()}:
        raise StudioError(N_("Choose a course to translate."))
    language = language.strip()
    if not re.fullmatch(LANGUAGE_PATTERN, language):
        raise StudioError(N_("Write the language as a short code, such as en, fr, es or ar."))
    if language.split("-")[0].lower() == detail.course.language.split("-")[0].lower():
        raise StudioError(N_("This course is already in that language. Choose another language."))
    for started in in_progress(hub):
        if started.source_id == source_id and started.language == language:
            return started
    for card in translations_of(hub, source_id):
        if card.language == language:
            raise StudioError(
                N_("This course already has a version in %(language)s: %(title)s."),
                language=language_name(language),
                title=card.title,
            )
    base = source_id.removesuffix(f"-{detail.course.language.lower()}")
    taken = {card.id for card in hub.courses()} | {draft.course_id for draft in drafts.list_drafts(hub)}
    course_id = drafts.unique_id(slug(f"{base}-{language}", "course", 60), taken)
    manifest = Manifest(
        format=FORMAT_NAME, format_version=FORMAT_VERSION, course=detail.course, lessons=detail.lessons
    )
    drafts.drafts_home(hub).mkdir(exist_ok=True)
    write_author_folder(manifest, hub.blobs.path, drafts.drafts_home(hub) / course_id)
    draft = drafts.load_draft(hub, course_id)
    assert draft is not None
    others = [source_id, *(t for t in detail.course.translations if t not in (source_id, course_id))]
    course = {key: value for key, value in draft.course.items() if key != "what_changed"}
    course |= {"id": course_id, "version": 1, "language": language, "translations": others}
    course["publisher"] = publisher or course.get("publisher", "")
    draft.course = {}
    drafts.save_course(draft, course)
    translation = Translation(draft, source_id)
    _remember(translation)
    return translation


def original(hub: Hub, translation: Translation) -> tuple[dict[str, str], dict[str, Lesson]]:
    """The original course's title and summary, and its lessons by id (as published now)."""
    detail = hub.course(translation.source_id)
    if detail is None:
        return {"title": "", "summary": "", "language": ""}, {}
    course = {
        "title": detail.course.title,
        "summary": detail.course.summary,
        "language": detail.course.language,
    }
    return course, {lesson.id: lesson for lesson in detail.lessons}


def save_course_words(translation: Translation, title: str, summary: str) -> None:
    if not title.strip():
        raise StudioError(N_("Write the course's title in the new language."))
    drafts.save_course(translation.draft, {"title": title.strip(), "summary": summary.strip()})
    translation.done.add(COURSE_PART)
    _remember(translation)


def _words(form: dict[str, str], name: str, what: str, **params: object) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise StudioError(what, **params)
    return value


def translated_meta(lesson: DraftLesson, form: dict[str, str]) -> dict[str, Any]:
    """The lesson's front matter with the words from `form`; everything else stays as it was.

    Raises StudioError, naming the question or picture, when a word field is left empty.
    """
    meta = copy.deepcopy(lesson.meta)
    meta["title"] = _words(form, "title", N_("Write the lesson's title in the new language."))
    for number, question in enumerate(meta.get("questions", []), start=1):
        prefix = f"q{number}"
        question["prompt"] = _words(
            form, f"{prefix}_prompt", N_("Question %(num)d: write the question."), num=number
        )
        question["explanation"] = _words(
            form, f"{prefix}_explanation", N_("Question %(num)d: write the explanation."), num=number
        )
        question["choices"] = [
            _words(
                form,
                f"{prefix}_c{index}",
                N_("Question %(num)d: choice %(choice)d is empty."),
                num=number,
                choice=index,
            )
            for index in range(1, len(question.get("choices", [])) + 1)
        ]
        if question.get("unit"):
            question["unit"] = form.get(f"{prefix}_unit", "").strip() or question["unit"]
    for number, image in enumerate(meta.get("images", []), start=1):
        image["alt"] = _words(
            form, f"img{number}_alt", N_("Picture %(num)d: describe it in words."), num=number
        )
        image["caption"] = form.get(f"img{number}_caption", "").strip()
    return meta


def save_lesson_words(translation: Translation, lesson: DraftLesson, form: dict[str, str], body: str) -> None:
    """Check and write a translated lesson; a refused form leaves the draft's file as it was."""
    meta = translated_meta(lesson, form)
    if lesson.body.strip() and not body.strip():
        raise StudioError(N_("Write the lesson's text in the new language."))
    drafts.save_lesson(translation.draft, lesson, meta, body)
    translation.done.add(lesson.id)
    _remember(translation)


def publish_translation(hub: Hub, translation: Translation) -> ImportResult:
    """Publish once every part is translated; the original then lists it among its translations."""
    if COURSE_PART not in translation.done:
        raise StudioError(N_("Translate the course's title and summary before publishing."))
    left = translation.to_do()
    if left:
        raise StudioError(
            N_("Translate every lesson before publishing. Still in the original language: %(lessons)s."),
            lessons=", ".join(lesson.title for lesson in left),
        )
    return publish.publish(hub, translation.draft)
