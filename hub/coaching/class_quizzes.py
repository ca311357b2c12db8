"""Class quizzes: questions a tutor picks from the library's quiz lessons, taken exam-style.

The questions are copied into the quiz (class_quizzes.questions: a list of {"course", "lesson",
"question"}), so a later version of a course does not change a quiz learners already took. The
tutor opens the quiz and closes it; while it is open each learner it is assigned to hands it in
once; her answers and the right ones are shown to her after it is closed. Answers are kept as the
library quiz keeps them (hub.progress.record_quiz) and graded by the same code (content.quiz).
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database

from content.model import Lesson, Question
from content.quiz import QuestionResult, QuizResult, grade, is_correct
from hub.coaching.classes import CoachingError
from hub.coaching.given import given_to
from hub.db import transaction
from hub.home import Hub
from hub.i18n import N_
from hub.library import now

MAX_TITLE = 120
MAX_QUESTIONS = 100


@dataclass(frozen=True)
class Picked:
    course: str
    lesson: str
    question: Question

    def as_json(self) -> dict[str, object]:
        return {
            "course": self.course,
            "lesson": self.lesson,
            "question": self.question.model_dump(mode="json"),
        }


@dataclass(frozen=True)
class ClassQuiz:
    id: int
    class_id: int
    title: str
    questions: list[Picked]
    shuffle: bool
    opened_at: str | None
    closed_at: str | None

    @property
    def state(self) -> str:
        """draft (not opened yet), open, or closed."""
        return "closed" if self.closed_at else "open" if self.opened_at else "draft"

    def as_lesson(self) -> Lesson:
        """The quiz as a library quiz lesson, so content.quiz grades it."""
        return Lesson(
            id="class-quiz", title=self.title, kind="quiz", questions=[p.question for p in self.questions]
        )

    def order_for(self, learner_id: str) -> list[int]:
        """The order a learner sees the questions in: shuffled the same way each time she looks."""
        order = list(range(len(self.questions)))
        if self.shuffle:
            random.Random(f"{self.id}:{learner_id}").shuffle(order)
        return order


@dataclass(frozen=True)
class HandedIn:
    result: QuizResult
    submitted_at: str


def quiz_lessons(hub: Hub, course_id: str) -> list[Lesson]:
    """A course's quiz lessons, whose questions a tutor may pick."""
    detail = hub.course(course_id)
    return [lesson for lesson in detail.lessons if lesson.kind == "quiz"] if detail else []


def _picked(hub: Hub, choice: str) -> Picked:
    """A question named as the pick form names it: "course/lesson/index"."""
    course_id, _, rest = choice.partition("/")
    lesson_id, _, index = rest.partition("/")
    detail = hub.course(course_id)
    lesson = detail.lesson(lesson_id) if detail else None
    if lesson is None or lesson.kind != "quiz" or not index.isdigit() or int(index) >= len(lesson.questions):
        raise CoachingError(N_("One of the chosen questions is no longer on this hub. Please choose again."))
    return Picked(course_id, lesson_id, lesson.questions[int(index)])


def create_quiz(hub: Hub, class_id: int, title: str, choices: list[str], shuffle: bool) -> int:
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise CoachingError(N_("Give the quiz a title of 1 to %(max)d characters."), max=MAX_TITLE)
    if not choices:
        raise CoachingError(N_("Choose at least one question."))
    if len(choices) > MAX_QUESTIONS:
        raise CoachingError(N_("Choose at most %(max)d questions."), max=MAX_QUESTIONS)
    questions = [_picked(hub, choice).as_json() for choice in dict.fromkeys(choices)]
    cursor = hub.db.execute(
        "INSERT INTO class_quizzes (class_id, title, questions, shuffle, created_at) VALUES (?, ?, ?, ?, ?)",
        [class_id, title, json.dumps(questions, ensure_ascii=False), int(shuffle), now()],
    )
    return int(cursor.lastrowid or 0)


def _from_row(row: tuple) -> ClassQuiz:
    picked = [
        Picked(q["course"], q["lesson"], Question.model_validate(q["question"])) for q in json.loads(row[3])
    ]
    return ClassQuiz(row[0], row[1], row[2], picked, bool(row[4]), row[5], row[6])


_COLUMNS = "id, class_id, title, questions, shuffle, opened_at, closed_at"


def get_quiz(db: Database, quiz_id: int) -> ClassQuiz | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM class_quizzes WHERE id = ?", [quiz_id]).fetchone()
    return _from_row(row) if row else None


def quizzes_of(db: Database, class_id: int) -> list[ClassQuiz]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM class_quizzes WHERE class_id = ? ORDER BY id", [class_id])
    return [_from_row(row) for row in rows.fetchall()]


def open_quiz(db: Database, quiz_id: int) -> None:
    """Let learners hand the quiz in (once opened and closed, a quiz stays closed: it is an exam)."""
    db.execute("UPDATE class_quizzes SET opened_at = ? WHERE id = ? AND opened_at IS NULL", [now(), quiz_id])


def close_quiz(db: Database, quiz_id: int) -> None:
    db.execute(
        "UPDATE class_quizzes SET closed_at = ? WHERE id = ? AND opened_at IS NOT NULL AND closed_at IS NULL",
        [now(), quiz_id],
    )


def is_assigned_to(db: Database, quiz: ClassQuiz, learner_id: str) -> bool:
    """Whether the learner is in the quiz's class and an assignment gives it to her."""
    row = db.execute(
        "SELECT 1 FROM assignments a JOIN class_learners cl ON cl.class_id = a.class_id AND cl.learner_id = ?"
        f" WHERE a.quiz_id = ? AND {given_to('cl.learner_id')}",
        [learner_id, quiz.id],
    ).fetchone()
    return row is not None


def hand_in(db: Database, quiz_id: int, learner_id: str, answers: dict[int, list[str]]) -> None:
    """Grade and keep a learner's one attempt; refused when the quiz is not open or she handed it in."""
    with transaction(db):
        quiz = get_quiz(db, quiz_id)
        if quiz is None or quiz.state != "open":
            raise CoachingError(N_("This quiz is not open. Your tutor opens it when it is time to take it."))
        result = grade(quiz.as_lesson(), answers)
        try:
            db.execute(
                "INSERT INTO class_quiz_answers (quiz_id, learner_id, answers, score, total, submitted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [quiz_id, learner_id, json.dumps([r.given for r in result.results]), result.score,
                 result.total, now()],
            )  # fmt: skip
        except sqlite3.IntegrityError:
            raise CoachingError(
                N_("You have already handed in this quiz. Each learner takes it once.")
            ) from None


def handed_in(db: Database, quiz: ClassQuiz, learner_id: str) -> HandedIn | None:
    """A learner's attempt, graded again from her kept answers (to show once the quiz is closed)."""
    row = db.execute(
        "SELECT answers, submitted_at FROM class_quiz_answers WHERE quiz_id = ? AND learner_id = ?",
        [quiz.id, learner_id],
    ).fetchone()
    if row is None:
        return None
    given = json.loads(row[0])
    results = [
        QuestionResult(p.question, g, is_correct(p.question, g))
        for p, g in zip(quiz.questions, given, strict=True)
    ]
    return HandedIn(QuizResult(results, quiz.as_lesson().pass_mark), row[1])
