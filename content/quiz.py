"""Grading a quiz: pure functions over the model, so the web and the API grade alike."""

from __future__ import annotations

from dataclasses import dataclass

from content.model import Lesson, Question


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


def parse_answer(question: Question, raw: list[str]) -> object:
    """What a learner gave, from form values; None when they gave nothing usable."""
    values = [v.strip() for v in raw if v.strip()]
    if not values:
        return None
    try:
        if question.type == "single":
            return int(values[0])
        if question.type == "multiple":
            return sorted({int(v) for v in values})
        if question.type == "truefalse":
            return {"true": True, "false": False}.get(values[0].lower())
        return float(values[0].replace(",", "."))
    except ValueError:
        return None


def is_correct(question: Question, given: object) -> bool:
    if given is None:
        return False
    if question.type == "multiple":
        return given == sorted(set(question.answer))  # type: ignore[arg-type]
    if question.type == "numeric":
        return abs(float(given) - float(question.answer)) <= question.tolerance + 1e-9  # type: ignore[arg-type]
    return given == question.answer and type(given) is type(question.answer)


def grade(lesson: Lesson, answers: dict[int, list[str]]) -> QuizResult:
    """Grade answers keyed by question index (form values as strings)."""
    results = []
    for index, question in enumerate(lesson.questions):
        given = parse_answer(question, answers.get(index, []))
        results.append(QuestionResult(question, given, is_correct(question, given)))
    return QuizResult(results, lesson.pass_mark)
