"""Coaching reports: the class grid, a learner's page, a quiz's page, who needs help, charts and CSV,
on a small class whose every number is known (see the `morning` fixture)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.coaching.charts import BAR_WIDTH, GAP
from hub.coaching.csv_export import csv_bytes, safe_filename
from hub.home import Hub
from hub.learners import Role
from hub.plugins.coach import reports as coach_reports
from tests import coaching_seed as seed
from tests.conftest import signed_in

COURSE = "sample-course"
PICK_B = {
    "type": "single",
    "prompt": "Pick B",
    "choices": ["A", "B"],
    "answer": 1,
    "explanation": "B is right.",
}
TRUE_Q = {"type": "truefalse", "prompt": "True?", "answer": True, "explanation": "Yes."}


@dataclass
class Morning:
    class_id: int
    quiz_id: int
    tutor: TestClient
    amal: str
    ben: str
    cato: str


@pytest.fixture
def morning(hub: Hub, app: FastAPI) -> Morning:
    """Class "Morning group" of one tutor: Amal (أمل) finished everything, Ben ("=Ben", a formula-looking
    name) stalled 10 days ago after failing the course's quiz twice, Cato joined and never started.

    Assignments: the sample course (3 lessons, one a 4-question quiz), the pathway "Basics" (the sample
    course; Amal only) and the class quiz "Week 1 check" (Pick B, True?), open for 20 days.
    """
    db = hub.db
    tutor = signed_in(hub, Role.TUTOR, app)
    tutor_id = db.execute("SELECT id FROM learners WHERE role = 'tutor'").fetchone()[0]
    amal, ben, cato = seed.add_learner(db, "أمل"), seed.add_learner(db, "=Ben"), seed.add_learner(db, "Cato")
    class_id = seed.add_class(db, "Morning group", [tutor_id], [amal, ben, cato])
    pathway = seed.add_pathway(db, "Basics", [COURSE])
    questions = [{"course": COURSE, "lesson": "03-check", "question": q} for q in (PICK_B, TRUE_Q)]
    quiz_id = seed.add_class_quiz(db, class_id, "Week 1 check", questions, opened_days_ago=20)
    seed.assign(db, class_id, "course", COURSE, 0)
    seed.assign(db, class_id, "pathway", pathway, 1, only_for=[amal])
    seed.assign(db, class_id, "quiz", quiz_id, 2)
    for lesson, minutes in (("read-me", 5), ("watch", 12), ("check", 3)):
        seed.progress(db, amal, COURSE, lesson, 1.0, opened_days_ago=1, seconds=minutes * 60)
    seed.attempt(db, amal, COURSE, "check", [0, [0, 2], True, 20], 3, 4, True, at_days_ago=2)
    seed.attempt(db, amal, COURSE, "check", [1, [0, 2], True, 20], 4, 4, True, at_days_ago=1)
    seed.answer_class_quiz(db, quiz_id, amal, [1, True], 2, 2)
    seed.progress(db, ben, COURSE, "read-me", 0.5, opened_days_ago=10)
    seed.progress(db, ben, COURSE, "check", 0.25, opened_days_ago=10)
    seed.attempt(db, ben, COURSE, "check", [1, [0], False, 3], 1, 4, False, at_days_ago=11)
    seed.attempt(db, ben, COURSE, "check", [0, [1], False, 5], 0, 4, False, at_days_ago=10)
    seed.answer_class_quiz(db, quiz_id, ben, [0, True], 1, 2)
    return Morning(class_id, quiz_id, tutor, amal, ben, cato)


def read_csv(response) -> list[list[str]]:
    """A CSV download parsed back as a spreadsheet would: BOM first, CRLF rows."""
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_grid_shows_each_learner_on_each_assignment_in_words(morning: Morning) -> None:
    page = morning.tutor.get(f"/tutor/classes/{morning.class_id}/report")
    assert page.status_code == 200
    rows = read_csv(morning.tutor.get(f"/tutor/classes/{morning.class_id}/report?format=csv&table=grid"))
    assert rows == [
        ["Learner", "Sample course", "Basics", "Week 1 check"],
        ["'=Ben", "In progress: Lessons 0/3 · Quiz 1/4", "Not assigned", "Done: Score 1/2"],
        ["Cato", "Not started: Lessons 0/3", "Not assigned", "Not started"],
        ["أمل", "Done: Lessons 3/3 · Quiz 4/4", "Done: Courses 1/1", "Done: Score 2/2"],
    ]
    for words in ("✓</i> Done", "◐</i> In progress", "○</i> Not started", "<small>Lessons 3/3 · Quiz 4/4"):
        assert words in page.text
    assert f'href="/tutor/classes/{morning.class_id}/learners/{morning.amal}"' in page.text
    assert "download>Download this table (CSV)" in page.text


def test_grid_csv_has_a_safe_file_name(morning: Morning) -> None:
    response = morning.tutor.get(f"/tutor/classes/{morning.class_id}/report?format=csv")
    assert (
        response.headers["content-disposition"] == f'attachment; filename="class-{morning.class_id}-grid.csv"'
    )


def test_grid_draws_its_charts_with_a_text_equivalent(morning: Morning) -> None:
    page = morning.tutor.get(f"/tutor/classes/{morning.class_id}/report").text
    assert page.count('<svg class="chart"') == 2
    assert 'role="img" aria-labelledby="weeks-title weeks-desc"' in page
    assert '<title id="scores-title">How the scores spread</title>' in page
    assert "in each of the last 12 weeks, 3 in all" in page
    weeks = read_csv(morning.tutor.get(f"/tutor/classes/{morning.class_id}/report?format=csv&table=weeks"))
    assert weeks[0] == ["Week starting", "Lessons completed"]
    assert len(weeks) == 13 and sum(int(count) for _, count in weeks[1:]) == 3
    scores = read_csv(morning.tutor.get(f"/tutor/classes/{morning.class_id}/report?format=csv&table=scores"))
    # class quiz 2/2 and 1/2, best library scores 4/4 and 1/4
    assert scores[1:] == [["0–19%", "0"], ["20–39%", "1"], ["40–59%", "1"], ["60–79%", "0"], ["80–100%", "2"]]


def test_charts_run_right_to_left_in_arabic(morning: Morning) -> None:
    morning.tutor.cookies.set("hub_lang", "ar")
    page = morning.tutor.get(f"/tutor/classes/{morning.class_id}/report").text
    assert 'dir="rtl"' in page
    first_bar = page.index('<rect x="', page.index('id="scores-desc"'))
    last_slot = GAP + 4 * (BAR_WIDTH + GAP)
    # the first of the 5 bands is drawn at the right end
    assert page[first_bar:].startswith(f'<rect x="{last_slot}"')


def test_unknown_table_is_not_found(morning: Morning) -> None:
    response = morning.tutor.get(f"/tutor/classes/{morning.class_id}/report?format=csv&table=nope")
    assert response.status_code == 404
    assert "This report has no such table." in response.text


def test_learner_page_lists_lessons_with_time_and_every_attempt_with_answers(morning: Morning) -> None:
    page = morning.tutor.get(f"/tutor/classes/{morning.class_id}/learners/{morning.amal}")
    assert page.status_code == 200
    assert "12 min" in page.text
    assert page.text.count('<section class="card attempt">') == 3  # two library attempts, one class quiz
    lessons = read_csv(
        morning.tutor.get(f"/tutor/classes/{morning.class_id}/learners/{morning.amal}?format=csv")
    )
    assert lessons[0] == [
        "Course",
        "Lesson",
        "Progress (percent)",
        "Completed",
        "Last opened",
        "Time spent (minutes)",
    ]
    assert [row[1] for row in lessons[1:]] == ["Read me", "Watch", "Check"]
    assert [row[5] for row in lessons[1:]] == ["5", "12", "3"]
    attempts = read_csv(
        morning.tutor.get(
            f"/tutor/classes/{morning.class_id}/learners/{morning.amal}?format=csv&table=attempts"
        )
    )
    assert [row[1:5] for row in attempts[1:]] == [
        ["Sample course", "Check", "3", "4"],
        ["Sample course", "Check", "4", "4"],
        ["Class quiz", "Week 1 check", "2", "2"],
    ]
    assert attempts[1][5] == "1. A ✗ | 2. A, C ✓ | 3. True ✓ | 4. 20 ✓"
    assert attempts[3][5] == "1. B ✓ | 2. True ✓"


def test_learner_outside_the_class_is_not_found(hub: Hub, morning: Morning) -> None:
    stranger = seed.add_learner(hub.db, "Dana")
    response = morning.tutor.get(f"/tutor/classes/{morning.class_id}/learners/{stranger}")
    assert response.status_code == 404
    assert "This learner is not in this class." in response.text


def test_class_quiz_page_per_question(morning: Morning) -> None:
    url = f"/tutor/classes/{morning.class_id}/quizzes/{morning.quiz_id}/report"
    page = morning.tutor.get(url)
    assert page.status_code == 200
    assert "2 learners answered." in page.text
    rows = read_csv(morning.tutor.get(url + "?format=csv"))
    assert rows == [
        ["Question", "Right (percent)", "Most chosen wrong answer", "Got it wrong"],
        ["Pick B", "50", "A", "'=Ben"],
        ["True?", "100", "", ""],
    ]


def test_library_quiz_page_counts_each_learners_latest_attempt(morning: Morning) -> None:
    url = f"/tutor/classes/{morning.class_id}/library-quizzes/{COURSE}/check/report"
    rows = read_csv(morning.tutor.get(url + "?format=csv"))
    # latest: Amal all right; Ben [0, [1], false, 5]: all wrong
    assert rows[1:] == [
        ["Pick B", "50", "A", "'=Ben"],
        ["Pick A and C", "50", "B", "'=Ben"],
        ["True?", "50", "False", "'=Ben"],
        ["How many seconds?", "50", "5", "'=Ben"],
    ]
    assert "Check" in morning.tutor.get(f"/tutor/classes/{morning.class_id}/report").text


def test_quiz_of_a_course_not_assigned_is_not_found(morning: Morning) -> None:
    response = morning.tutor.get(f"/tutor/classes/{morning.class_id}/library-quizzes/other/check/report")
    assert response.status_code == 404


def test_needs_help_gives_each_reason_in_words(morning: Morning) -> None:
    rows = read_csv(morning.tutor.get(f"/tutor/classes/{morning.class_id}/needs-help?format=csv"))
    assert rows == [
        ["Class", "Learner", "Why"],
        ["Morning group", "'=Ben", "No progress on “Sample course” for 10 days."],
        ["Morning group", "'=Ben", "Failed the quiz “Check” 2 times."],
        ["Morning group", "Cato", "Has not started “Sample course”, assigned 30 days ago."],
        ["Morning group", "Cato", "Has not started “Week 1 check”, assigned 20 days ago."],
    ]


def test_needs_help_days_is_a_parameter(morning: Morning) -> None:
    rows = read_csv(morning.tutor.get(f"/tutor/classes/{morning.class_id}/needs-help?days=25&format=csv"))
    assert [row[2] for row in rows[1:]] == [
        "Failed the quiz “Check” 2 times.", "Has not started “Sample course”, assigned 30 days ago.",
    ]  # fmt: skip


def test_needs_help_refuses_a_wrong_number_of_days_clearly(morning: Morning) -> None:
    page = morning.tutor.get(f"/tutor/classes/{morning.class_id}/needs-help?days=soon")
    assert page.status_code == 400
    assert "Give the number of days as a whole number from 1 to 365. Showing 7 days instead." in page.text
    assert "No progress on “Sample course” for 10 days." in page.text


def test_needs_help_across_the_tutors_classes(hub: Hub, morning: Morning) -> None:
    seed.add_class(hub.db, "Someone else's class", [], [morning.ben])
    page = morning.tutor.get("/tutor/needs-help")
    assert page.status_code == 200
    assert page.text.count("No progress on") == 1
    assert "Someone else&#39;s class" not in page.text


def test_another_tutors_class_is_refused(hub: Hub, app: FastAPI, morning: Morning) -> None:
    other = signed_in(hub, Role.TUTOR, app)
    for path in (
        "report", f"learners/{morning.amal}", f"quizzes/{morning.quiz_id}/report",
        f"library-quizzes/{COURSE}/check/report", "needs-help", "report?format=csv",
    ):  # fmt: skip
        response = other.get(f"/tutor/classes/{morning.class_id}/{path}")
        assert response.status_code == 403, path
        assert "This class is not one of yours." in response.text


def test_learners_reach_no_report(hub: Hub, app: FastAPI, morning: Morning) -> None:
    learner = signed_in(hub, Role.LEARNER, app)
    for path in (f"/tutor/classes/{morning.class_id}/report", "/tutor/needs-help"):
        assert learner.get(path).status_code == 403


def test_an_admin_sees_every_class(hub: Hub, app: FastAPI, morning: Morning) -> None:
    admin = signed_in(hub, Role.ADMIN, app)
    assert admin.get(f"/tutor/classes/{morning.class_id}/report").status_code == 200
    assert "Morning group" in admin.get("/tutor/needs-help").text


def test_unknown_class_is_not_found(morning: Morning) -> None:
    response = morning.tutor.get("/tutor/classes/999/report")
    assert response.status_code == 404
    assert "There is no such class on this hub." in response.text


def test_csv_neutralises_every_formula_start_and_keeps_numbers() -> None:
    cells = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", -3, 2.5]
    data = csv_bytes(["=head"], [cells])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["'=head"], ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain", "-3", "2.5"]]


def test_csv_file_names_are_safe() -> None:
    assert safe_filename('class-1/../"x"\r\nSet-Cookie: a') == "class-1-x-Set-Cookie-a.csv"
    assert safe_filename("أمل") == "report.csv"


def test_a_long_needs_help_list_shows_its_first_rows_and_says_so(
    monkeypatch: pytest.MonkeyPatch, morning: Morning
) -> None:
    monkeypatch.setattr(coach_reports, "HELP_ROWS_SHOWN", 2)
    page = morning.tutor.get(f"/tutor/classes/{morning.class_id}/needs-help").text
    assert "Showing the first 2 of 4. The CSV has them all." in page
    assert page.count(f"/tutor/classes/{morning.class_id}/learners/") == 2
