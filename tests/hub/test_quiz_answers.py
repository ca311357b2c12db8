"""Quiz answers no learner could give (issue 17, finding 11): NaN, infinity, huge numbers, choices
that are not there. The API refuses them by name, the web form counts them as no answer, only real
answers are kept, and a course whose stored attempts hold odd answers still shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content.errors import ContentError
from content.package import MANIFEST, build_package
from hub.home import Hub
from hub.library import import_package
from hub.search import SearchIndex, index_path
from tests.conftest import SAMPLE_COURSE, write_course

QUIZ = "/api/v1/courses/sample-course/lessons/check/quiz"  # single of 2, multiple of 3, true/false, numeric
QUIZ_FILE = next(name for name, text in SAMPLE_COURSE.items() if "answer = 20" in str(text))


def kept_answers(hub: Hub) -> list[str]:
    return [row[0] for row in hub.db.execute("SELECT answers FROM quiz_attempts").fetchall()]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("3", "nan"), ("3", "NaN"), ("3", "inf"), ("3", "-Infinity"), ("3", "1e999"), ("3", "1e13"),
        ("3", "9" * 400), ("3", "1" * 101), ("0", "7"), ("0", "-1"), ("0", "²"), ("1", "5"), ("2", "maybe"),
        ("9", "1"),
    ],
)  # fmt: skip
def test_the_api_refuses_an_answer_no_learner_could_give(client: TestClient, hub: Hub, question, answer):
    refused = client.post(QUIZ, json={"answers": {question: [answer]}})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(f"These answers cannot be graded: question {question}") or (
        question == "9" and "there is no question 9" in refused.json()["detail"]
    )
    assert kept_answers(hub) == []


@pytest.mark.parametrize("body", [{"answers": {"3": [20]}}, {"answers": {"3": "20"}}, {"answers": ["20"]}])
def test_the_api_refuses_answers_of_the_wrong_type(client: TestClient, hub: Hub, body):
    assert client.post(QUIZ, json=body).status_code == 422
    assert kept_answers(hub) == []


def test_a_real_numeric_answer_is_still_graded(client: TestClient, hub: Hub):
    graded = client.post(QUIZ, json={"answers": {"3": ["20,5"]}}).json()
    assert graded["results"][3]["correct"]
    assert json.loads(kept_answers(hub)[0])[3] == 20.5


def test_the_web_form_counts_nan_as_no_answer_and_keeps_no_nan(client: TestClient, hub: Hub):
    page = client.post("/courses/sample-course/check/quiz", data={"q0": "1", "q3": "NaN"})
    assert page.status_code == 200 and "No answer" in page.text
    [kept] = kept_answers(hub)
    assert json.loads(kept) == [1, None, None, None] and "NaN" not in kept
    for path in ("/courses/sample-course", "/courses/sample-course/check", "/api/v1/progress", "/me/data"):
        assert client.get(path).status_code == 200, path


def test_a_course_whose_stored_attempts_hold_odd_answers_still_shows(client: TestClient, hub: Hub):
    """Attempts kept by an older hub (or synced from one): null, NaN and worse in their answers."""
    client.post(QUIZ, json={"answers": {"0": ["1"]}})
    hub.db.execute("UPDATE quiz_attempts SET answers = ?", ['[null, NaN, {"a": [1e999]}, "x"]'])
    pages = ["/courses/sample-course", "/courses/sample-course/check", "/courses/sample-course/read-me",
             "/api/v1/progress", "/me/data", "/me/data.json", "/"]  # fmt: skip
    for path in pages:
        assert client.get(path).status_code == 200, path
    assert client.post("/courses/sample-course/check/quiz", data={"q0": "1"}).status_code == 200


@pytest.mark.parametrize("answer", ["nan", "inf", "-inf", "1e999", "1e13", "1" + "0" * 400])
def test_a_course_whose_quiz_answer_is_not_a_real_number_is_refused(tmp_path: Path, answer: str):
    """The finding as found: `answer = nan` was kept as null and every page of the course answered 500."""
    hub = Hub(tmp_path / "home")
    quiz = str(SAMPLE_COURSE[QUIZ_FILE]).replace("answer = 20", f"answer = {answer}")
    source = write_course(tmp_path / "c", **{QUIZ_FILE: quiz})
    with pytest.raises(ContentError, match=r"lessons\.2\.questions\.3"):
        import_package(hub.db, hub.blobs, source, allow_unverified=True)
    assert hub.courses() == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_manifest_json_with_a_number_json_does_not_allow_is_refused(tmp_path: Path, number: str):
    build_package(write_course(tmp_path / "c"), tmp_path / "p")
    manifest = tmp_path / "p" / MANIFEST
    manifest.write_bytes(manifest.read_bytes().replace(b'"answer":20', b'"answer":' + number.encode()))
    hub = Hub(tmp_path / "home")
    with pytest.raises(ContentError, match=r"not valid JSON|finite number"):
        import_package(hub.db, hub.blobs, tmp_path / "p", allow_unverified=True)


def test_a_course_an_older_hub_stored_with_a_null_answer_still_shows(client: TestClient, hub: Hub):
    """Defend the reader too: the one lesson it cannot read is left out, the rest of the course shows."""
    hub.db.execute("UPDATE lessons SET data = replace(data, '\"answer\":20', '\"answer\":null')")
    hub.db.execute("INSERT INTO settings (key, value) VALUES ('library_generation', '99') ON CONFLICT(key)"
                   " DO UPDATE SET value = CAST(value AS INTEGER) + 1")  # fmt: skip
    pages = ("/courses/sample-course", "/courses/sample-course/read-me", "/", "/api/v1/courses/sample-course")
    for path in pages:
        assert client.get(path).status_code == 200, path
    assert client.get("/courses/sample-course/check").status_code == 404
    assert "check" not in [lesson.id for lesson in hub.course("sample-course").lessons]
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    assert index.search("sample").hits
