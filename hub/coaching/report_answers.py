"""Quiz answers as a tutor reads them: each question with what a learner gave, in words.

Library attempts keep, per question, what `content.quiz.parse_answer` gave (a choice's index, a
sorted list of indexes, true/false, a number, or null for no answer); class quiz answers keep the
same shape, and their questions are copies of library questions ({"course", "lesson", "question"}).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from content.model import Lesson, Question
from content.quiz import is_correct
from hub.i18n import N_, gettext


@dataclass(frozen=True)
class GivenAnswer:
    question: Question
    given: object
    correct: bool

    @property
    def text(self) -> str:
        return answer_text(self.question, self.given)


def answer_text(question: Question, given: object) -> str:
    """What a learner gave, as words: the choices' own text, true/false, a number with its unit."""
    if given is None:
        return gettext(N_("No answer"))
    if question.type in ("single", "multiple"):
        picked = given if isinstance(given, list) else [given]
        return ", ".join(
            question.choices[i] if isinstance(i, int) and 0 <= i < len(question.choices) else str(i)
            for i in picked
        )
    if question.type == "truefalse":
        return gettext(N_("True")) if given is True else gettext(N_("False"))
    number = f"{given:g}" if isinstance(given, int | float) else str(given)
    return f"{number} {question.unit}".strip()


def pair_answers(questions: list[Question], answers_json: str) -> list[GivenAnswer]:
    """Each question with the stored answer to it (missing answers count as none)."""
    try:
        given = json.loads(answers_json)
    except ValueError:
        given = []
    if not isinstance(given, list):
        given = []
    given = given + [None] * (len(questions) - len(given))
    return [GivenAnswer(q, g, _is_correct(q, g)) for q, g in zip(questions, given, strict=False)]


def _is_correct(question: Question, given: object) -> bool:
    try:
        return is_correct(question, given)
    except (TypeError, ValueError):  # an answer of another shape than the question's: not right
        return False


def lesson_questions(data: str | None) -> list[Question]:
    """A quiz lesson's questions from its stored JSON; none if the lesson is gone or unreadable."""
    if not data:
        return []
    try:
        return Lesson.model_validate_json(data).questions
    except ValidationError:
        return []


def class_quiz_questions(questions_json: str) -> list[Question]:
    """A class quiz's questions, copies of library questions checked when the quiz was made."""
    return [Question.model_validate(item["question"]) for item in json.loads(questions_json or "[]")]
