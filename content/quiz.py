"""Grading a quiz: pure functions over the model, so the web and the API grade alike."""

from __future__ import annotations

import math
from dataclasses import dataclass

from content.model import MAX_NUMBER, Lesson, Question


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    given: object
    correct: bool


@dataclass(frozen=True)
class QuizResult:
    results: list[QuestionResult]
    pass_mark: float

    @property
    def score(self) -> int:
        return sum(r.correct for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def fraction(self) -> float:
        return self.score / self.total if self.total else 0.0

    @property
    def passed(self) -> bool:
        return self.fraction >= self.pass_mark


MAX_ANSWER_CHARS = 100  # a number or a choice's index, as typed or sent


class UnreadableAnswer(ValueError):
    """What a learner (or a client) sent for a question cannot be an answer to it; the message says why."""


def read_number(text: str) -> float:
    """A number as a person writes it (a comma for the decimal point too); never NaN, infinite or huge."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise UnreadableAnswer(f"{text[:20]!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise UnreadableAnswer(f"{text[:20]!r} is not a number a quiz can take")
    return value


def _choice(question: Question, text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) < len(question.choices)):
        raise UnreadableAnswer(f"{text[:20]!r} is not one of the {len(question.choices)} choices")
    return int(text)


def read_answer(question: Question, raw: list[str]) -> object:
    """What a learner gave, from form values; None when they gave nothing.

    Raises UnreadableAnswer for something that cannot be an answer (NaN, a huge number, a
    choice that is not there), so nothing but a real answer is ever kept.
    """
    values = [v.strip() for v in raw if v.strip()]
    if not values:
        return None
    if any(len(v) > MAX_ANSWER_CHARS for v in values) or len(values) > max(len(question.choices), 1):
        raise UnreadableAnswer("the answer is longer than any answer to this question")
    if question.type == "single":
        return _choice(question, values[0])
    if question.type == "multiple":
        return sorted({_choice(question, v) for v in values})
    if question.type == "truefalse":
        if values[0].lower() not in ("true", "false"):
            raise UnreadableAnswer(f"{values[0]!r} is neither true nor false")
        return values[0].lower() == "true"
    return read_number(values[0])


def parse_answer(question: Question, raw: list[str]) -> object:
    """What a learner gave, or None when they gave nothing usable (it then counts as no answer)."""
    try:
        return read_answer(question, raw)
    except UnreadableAnswer:
        return None


def is_correct(question: Question, given: object) -> bool:
    if given is None:
        return False
    if question.type == "multiple":
        return given == sorted(set(question.answer))  # type: ignore[arg-type]
    if question.type == "numeric":
        return abs(float(given) - float(question.answer)) <= question.tolerance + 1e-9  # type: ignore[arg-type]
    return given == question.answer and type(given) is type(question.answer)


def check_answers(lesson: Lesson, answers: dict[int, list[str]]) -> None:
    """Refuse answers an API client sent that no learner could give, naming the question."""
    for index, raw in answers.items():
        if not 0 <= index < len(lesson.questions):
            raise UnreadableAnswer(f"there is no question {index} (the quiz has {len(lesson.questions)})")
        try:
            read_answer(lesson.questions[index], raw)
        except UnreadableAnswer as error:
            raise UnreadableAnswer(f"question {index}: {error}") from None


def grade(lesson: Lesson, answers: dict[int, list[str]]) -> QuizResult:
    """Grade answers keyed by question index (form values as strings)."""
    results = []
    for index, question in enumerate(lesson.questions):
        given = parse_answer(question, answers.get(index, []))
        results.append(QuestionResult(question, given, is_correct(question, given)))
    return QuizResult(results, lesson.pass_mark)
