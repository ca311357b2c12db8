"""One quiz's page: for each question, the share who got it right, the most chosen wrong answer and
who got it wrong. For a class quiz every learner's one answer counts; for a library quiz assigned
in the class's courses, each learner's latest attempt (what she knows now)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlite_utils import Database

from content.model import Question
from hub.coaching.report_answers import class_quiz_questions, lesson_questions, pair_answers
from hub.coaching.reports import ClassNotFound, Member, assigned_courses, assignments
from hub.i18n import N_


@dataclass(frozen=True)
class QuestionReport:
    question: Question
    answered: int  # learners whose answers count
    correct: int
    top_wrong: str | None  # the most chosen wrong answer, in words ("no answer" is not one)
    top_wrong_count: int
    wrong: list[Member]  # who got it wrong (no answer included)

    @property
    def percent_correct(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


@dataclass(frozen=True)
class QuizReport:
    title: str
    course_title: str  # "" for a class quiz
    learners: int
    questions: list[QuestionReport]


def question_reports(questions: list[Question], answers: list[tuple[Member, str]]) -> list[QuestionReport]:
    """Per-question figures over each learner's answers (JSON, one per learner)."""
    paired = [(who, pair_answers(questions, text)) for who, text in answers]
    reports = []
    for index, question in enumerate(questions):
        given = [(who, got[index]) for who, got in paired]
        wrong = [(who, answer) for who, answer in given if not answer.correct]
        choices = Counter(answer.text for _, answer in wrong if answer.given is not None)
        top = choices.most_common(1)
        reports.append(
            QuestionReport(
                question,
                len(given),
                len(given) - len(wrong),
                top[0][0] if top else None,
                top[0][1] if top else 0,
                [who for who, _ in wrong],
            )
        )
    return reports


def class_quiz_report(db: Database, class_id: int, quiz_id: int) -> QuizReport:
    row = db.execute(
        "SELECT title, questions FROM class_quizzes WHERE id = ? AND class_id = ?", [quiz_id, class_id]
    ).fetchone()
    if row is None:
        raise ClassNotFound(N_("This class has no such quiz."))
    questions = class_quiz_questions(row[1])
    answers = db.execute(
        "SELECT l.id, l.name, a.answers FROM class_quiz_answers a JOIN learners l ON l.id = a.learner_id"
        " JOIN class_learners cl ON cl.learner_id = a.learner_id AND cl.class_id = ?"
        " WHERE a.quiz_id = ? AND l.name IS NOT NULL ORDER BY l.name COLLATE NOCASE",
        [class_id, quiz_id],
    ).fetchall()
    given = [(Member(i, n), text) for i, n, text in answers]
    return QuizReport(row[0], "", len(given), question_reports(questions, given))


def library_quiz_report(db: Database, class_id: int, course_id: str, lesson_id: str) -> QuizReport:
    """A library quiz of the class's assigned courses, over each class learner's latest attempt."""
    if course_id not in assigned_courses(assignments(db, class_id)):
        raise ClassNotFound(N_("This quiz is not in the courses assigned to this class."))
    row = db.execute(
        "SELECT l.title, c.title, l.data FROM lessons l JOIN courses c ON c.id = l.course_id"
        " WHERE l.course_id = ? AND l.id = ? AND l.kind = 'quiz'",
        [course_id, lesson_id],
    ).fetchone()
    if row is None:
        raise ClassNotFound(N_("This class has no such quiz."))
    answers = db.execute(
        """
        SELECT l.id, l.name, q.answers, max(q.created_at)
        FROM class_learners cl JOIN learners l ON l.id = cl.learner_id
        JOIN quiz_attempts q ON q.learner_id = cl.learner_id AND q.course_id = ? AND q.lesson_id = ?
        WHERE cl.class_id = ? AND l.name IS NOT NULL
        GROUP BY l.id ORDER BY l.name COLLATE NOCASE
        """,
        [course_id, lesson_id, class_id],
    ).fetchall()
    given = [(Member(i, n), text) for i, n, text, _ in answers]
    return QuizReport(row[0], row[1], len(given), question_reports(lesson_questions(row[2]), given))
