"""Perseus questions from Kolibri exercises: which become the hub's quiz questions, and why the others
are skipped."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from content.errors import ContentError
from content.importers.kolibri_perseus import MAX_ITEM_BYTES, read_exercise
from content.model import Question


def item(content: str, widgets: dict, hints: tuple[str, ...] = ()) -> dict:
    return {"question": {"content": content, "images": {}, "widgets": widgets},
            "hints": [{"content": hint} for hint in hints]}  # fmt: skip


def radio(*choices: tuple[str, bool], multiple: bool = False) -> dict:
    return {"radio 1": {"type": "radio", "options": {"multipleSelect": multiple, "choices": [
        {"content": text, "correct": right} for text, right in choices]}}}  # fmt: skip


def exercise(
    tmp_path: Path, items: list[dict], mastery: str = ""
) -> tuple[list[dict], dict[str, int], float]:
    path = tmp_path / "exercise.perseus"
    ids = [f"q{number}" for number in range(len(items))]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("exercise.json", json.dumps({"all_assessment_items": ids}))
        for item_id, data in zip(ids, items, strict=True):
            archive.writestr(f"{item_id}.json", json.dumps(data))
    read = read_exercise(path, json.dumps(ids), mastery)
    for question in read.questions:
        Question.model_validate(question)  # every mapped question is one the hub's model takes
    return read.questions, dict(read.skipped), read.pass_mark


def test_radio_numeric_and_input_number_questions_map_onto_the_hubs_kinds(tmp_path: Path):
    questions, skipped, pass_mark = exercise(tmp_path, [
        item("Pick two\n\n[[☃ radio 1]]", radio(("A", True), ("B", False), ("C", True), multiple=True)),
        item("Pick one\n\n[[☃ radio 1]]", radio(("A", False), ("B", True)), ("Because B.",)),
        item("Old style [[☃ input-number 1]]", {
            "input-number 1": {"type": "input-number", "options": {"value": 3.5, "maxError": 0.1}}}),
    ], json.dumps({"type": "m_of_n", "m": 3, "n": 4}))  # fmt: skip
    assert [(q["type"], q["answer"]) for q in questions] == [
        ("multiple", [0, 2]),
        ("single", 1),
        ("numeric", 3.5),
    ]
    assert questions[1]["explanation"] == "Because B."
    assert questions[0]["explanation"] == "The answer: A; C."  # no hint: the right answer, in words
    assert questions[2]["tolerance"] == 0.1 and skipped == {} and pass_mark == 0.75


def test_questions_the_hub_cannot_hold_are_skipped_with_their_reason(tmp_path: Path):
    yes_no = radio(("A", True), ("B", False))
    questions, skipped, _ = exercise(tmp_path, [
        item("Where? ![map](${☣ LOCALPATH}/images/map.png)\n\n[[☃ radio 1]]", yes_no),
        item("[[☃ radio 1]] and [[☃ radio 2]]", {**yes_no, "radio 2": {"type": "radio"}}),
        item("Sort these [[☃ sorter 1]]", {"sorter 1": {"type": "sorter", "options": {}}}),
        item("Nothing right [[☃ radio 1]]", radio(("A", False), ("B", False))),
        item("A word [[☃ numeric-input 1]]", {"numeric-input 1": {"type": "numeric-input", "options": {
            "answers": [{"value": "many", "status": "correct"}]}}}),
    ])  # fmt: skip
    assert questions == []
    assert skipped == {
        "a question with pictures (the hub's quizzes show text only)": 1,
        "a question with several answer places (Perseus widgets)": 1,
        "Perseus widget 'sorter', which the hub's quizzes have no kind for": 1,
        "a choice question with no right answer": 1,
        "a number question whose answer is not a number": 1,
    }


def test_an_exercise_that_is_not_a_zip_or_holds_a_huge_question_is_refused(tmp_path: Path):
    fake = tmp_path / "fake.perseus"
    fake.write_bytes(b"<html>not a zip</html>")
    with pytest.raises(ContentError, match="its exercise file is damaged"):
        read_exercise(fake, '["q0"]', "")
    huge = tmp_path / "huge.perseus"
    with zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("q0.json", json.dumps(item("x" * (MAX_ITEM_BYTES + 1), {})))
    with pytest.raises(ContentError, match=r"q0\.json is missing or too large"):
        read_exercise(huge, '["q0"]', "")
