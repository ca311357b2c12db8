"""The starter packs meet what a fresh hub promises residents."""

from collections import Counter

import pytest

from content.author import read_author_folder
from content.model import Manifest
from content.starter import STARTER_DIR, course_folders


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    return [read_author_folder(folder).manifest for folder in course_folders()]


def test_enough_courses_and_lessons(manifests: list[Manifest]):
    categories = Counter(m.course.topics[0] for m in manifests)
    assert len(manifests) >= 8
    assert len({m.course.topics[1] for m in manifests if m.course.topics[0] == "health"}) >= 5
    assert len({m.course.topics[1] for m in manifests if m.course.topics[0] == "skills"}) >= 3
    assert categories.keys() == {"health", "skills"}
    assert sum(len(m.lessons) for m in manifests) >= 40


def test_every_language_has_three_courses(manifests: list[Manifest]):
    languages = Counter(m.course.language for m in manifests)
    for language in ("en", "fr", "es", "ar"):
        assert languages[language] >= 3, language


def test_every_course_has_a_quiz_of_five_and_names_its_sources(manifests: list[Manifest]):
    for manifest in manifests:
        quizzes = [lesson for lesson in manifest.lessons if lesson.kind == "quiz"]
        assert quizzes and all(len(q.questions) >= 5 for q in quizzes), manifest.course.id
        assert manifest.course.sources, manifest.course.id


def test_every_kind_of_media_lesson_is_there(manifests: list[Manifest]):
    lessons = [lesson for m in manifests for lesson in m.lessons]
    kinds = {lesson.kind for lesson in lessons}
    assert {"article", "video", "audio", "pdf", "images", "quiz"} <= kinds
    videos = [lesson for lesson in lessons if lesson.kind == "video"]
    assert all(v.captions and v.captions[0].file.media_type == "text/vtt" for v in videos)


def test_translations_point_at_courses_that_exist(manifests: list[Manifest]):
    ids = {m.course.id for m in manifests}
    for manifest in manifests:
        assert set(manifest.course.translations) <= ids, manifest.course.id


def test_starter_set_is_small(manifests: list[Manifest]):
    unique = {ref.sha256: ref.size for m in manifests for ref in m.files().values()}
    on_disk = sum(p.stat().st_size for p in STARTER_DIR.rglob("*") if p.is_file())
    assert sum(unique.values()) < 15 * 1024 * 1024
    assert on_disk < 15 * 1024 * 1024
