import pytest

from content.errors import ContentError
from content.model import Lesson, Question, parse_manifest

FILE = {"sha256": "a" * 64, "size": 3, "media_type": "video/mp4", "name": "clip.mp4"}


def manifest(**lesson: object) -> dict[str, object]:
    return {
        "format": "commons-hub-package",
        "format_version": 1,
        "course": {"id": "c1", "version": 1, "title": "T", "language": "en", "publisher": "P"},
        "lessons": [{"id": "l1", "title": "L", "kind": "article", **lesson}],
    }


def test_a_minimal_manifest_is_valid():
    parsed = parse_manifest(manifest(text="Hello"))
    assert parsed.course.id == "c1"
    assert parsed.lessons[0].kind == "article"


def test_unknown_lesson_kind_is_named():
    with pytest.raises(ContentError, match=r"lessons\.0\.kind"):
        parse_manifest(manifest(kind="hologram"))


def test_video_without_text_alternative_is_refused():
    with pytest.raises(ContentError, match="needs a text version"):
        parse_manifest(manifest(kind="video", media=[FILE]))


def test_wrong_format_and_version_get_their_own_messages():
    with pytest.raises(ContentError, match="not a Commons Hub package"):
        parse_manifest({**manifest(), "format": "other"})
    with pytest.raises(ContentError, match="version 9 is not supported"):
        parse_manifest({**manifest(), "format_version": 9})


def test_duplicate_lesson_ids_are_refused():
    data = manifest()
    data["lessons"] = [data["lessons"][0], data["lessons"][0]]  # type: ignore[index]
    with pytest.raises(ContentError, match="appears twice"):
        parse_manifest(data)


def test_unexpected_fields_are_refused():
    with pytest.raises(ContentError, match="Extra inputs"):
        parse_manifest(manifest(colour="red"))


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ({"type": "single", "choices": ["a", "b"], "answer": 2}, "index of one choice"),
        ({"type": "single", "choices": ["a"], "answer": 0}, "at least 2 choices"),
        ({"type": "multiple", "choices": ["a", "b"], "answer": []}, "list of choice indexes"),
        ({"type": "truefalse", "answer": 1}, "true or false"),
        ({"type": "numeric", "answer": True}, "must be a number"),
    ],
)
def test_quiz_answers_must_fit_their_question(question: dict[str, object], problem: str):
    with pytest.raises(ValueError, match=problem):
        Question.model_validate({"prompt": "?", "explanation": "!", **question})


def test_lesson_files_lists_every_referenced_file():
    lesson = Lesson.model_validate(
        {"id": "v", "title": "V", "kind": "video", "text": "alt", "media": [FILE], "poster": FILE}
    )
    assert [f.name for f in lesson.files()] == ["clip.mp4", "clip.mp4"]
