"""Plain language for tutors: reading ease per language, very long sentences and rare words."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from hub.home import Hub
from hub.learners import Role
from hub.plugins.voice.readability import reading_ease
from tests.conftest import signed_in
from tests.hub.test_voice import starter_lessons

HARD = (
    "The epidemiological characterisation of nosocomial transmission necessitates comprehensive "
    "multidisciplinary surveillance, notwithstanding considerable institutional heterogeneity regarding "
    "implementation, prioritisation and subsequent dissemination of actionable recommendations "
    "throughout participating organisations and their numerous affiliated establishments."
)


@pytest.mark.parametrize(
    "course_id, language, measure",
    [
        ("hand-hygiene-en", "en", "Flesch"),
        ("hand-hygiene-fr", "fr", "Kandel–Moles"),
        ("hand-hygiene-es", "es", "Fernández Huerta"),
        ("hand-hygiene-ar", "ar", "OSMAN"),
    ],
)
def test_starter_lessons_read_easily_by_their_language_measure(course_id: str, language: str, measure: str):
    for lesson in starter_lessons(course_id):
        if lesson.kind != "article":
            continue
        ease = reading_ease(lesson.text, language)
        assert ease is not None and ease.measure == measure
        assert ease.score >= 60, (lesson.id, ease)
        assert ease.long_sentences == []


def test_hard_text_scores_low_and_is_marked():
    ease = reading_ease(HARD, "en")
    assert ease is not None and ease.score < 20 and not ease.plain
    assert ease.long_sentences == [HARD]
    assert {"nosocomial", "epidemiological"} <= set(ease.rare_words)
    assert "surveillance" not in ease.rare_words  # a common word, however long
    assert (
        reading_ease("Lavez-vous les mains avec du savon.", "fr").score
        > reading_ease(  # type: ignore[union-attr]
            "L'hygiène nosocomiale nécessite une surveillance épidémiologique pluridisciplinaire.", "fr"
        ).score
    )  # type: ignore[union-attr]
    assert reading_ease("Some text.", "de") is None and reading_ease("", "en") is None


def test_the_studio_shows_a_lessons_reading_ease(app: FastAPI, hub: Hub) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    page = tutor.get("/tutor/recordings/sample-course").text
    assert "Reading ease" in page and "Measure: Flesch, for this language." in page
    created = tutor.post("/tutor/studio/courses/sample-course/edit", follow_redirects=False)
    assert created.status_code == 303
    lesson_url = created.headers["location"].rstrip("/") + "/lessons/read-me"
    saved = tutor.post(
        lesson_url, data={"title": "Read me", "body": HARD, "action": "save"}, follow_redirects=False
    )
    assert saved.status_code in (200, 303)
    editor = tutor.get(lesson_url).text
    assert "Very long sentences (more than 25 words)" in editor and "<mark>nosocomial</mark>" in editor
