from pathlib import Path

from content.author import read_author_folder
from content.quiz import grade


def quiz_lesson(course_folder: Path):
    manifest = read_author_folder(course_folder).manifest
    return next(lesson for lesson in manifest.lessons if lesson.kind == "quiz")


def test_all_right_answers_pass(course_folder: Path):
    result = grade(quiz_lesson(course_folder), {0: ["1"], 1: ["2", "0"], 2: ["true"], 3: ["20,5"]})
    assert (result.score, result.total, result.passed) == (4, 4, True)


def test_partly_right_multiple_choice_is_wrong(course_folder: Path):
    result = grade(quiz_lesson(course_folder), {1: ["0"]})
    assert not result.results[1].correct


def test_numeric_tolerance_and_nonsense(course_folder: Path):
    lesson = quiz_lesson(course_folder)
    assert grade(lesson, {3: ["21"]}).results[3].correct
    assert not grade(lesson, {3: ["22"]}).results[3].correct
    assert not grade(lesson, {3: ["twenty"]}).results[3].correct


def test_missing_answers_count_as_wrong_and_fail_below_pass_mark(course_folder: Path):
    result = grade(quiz_lesson(course_folder), {0: ["1"]})
    assert result.score == 1
    assert result.results[2].given is None
    assert not result.passed


def test_a_bool_is_not_taken_for_a_choice_index(course_folder: Path):
    result = grade(quiz_lesson(course_folder), {0: ["true"], 2: ["1"]})
    assert not result.results[0].correct
    assert not result.results[2].correct
