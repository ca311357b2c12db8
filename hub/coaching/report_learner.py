"""One learner's page: her lessons (progress, completed, time spent) and every quiz attempt, with answers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from hub.coaching.report_answers import GivenAnswer, class_quiz_questions, lesson_questions, pair_answers


@dataclass(frozen=True)
class LessonRow:
    course_title: str
    lesson_title: str
    progress: float
    completed_at: str | None
    last_opened_at: str
    seconds: int
    course_removed: bool = False  # the course left the hub (hub/library_keep.py); her record stays


@dataclass(frozen=True)
class AttemptRow:
    where: str  # the course ("" for a class quiz)
    quiz_title: str
    score: int
    total: int
    passed: bool | None  # None: a class quiz has no pass mark
    at: str
    answers: list[GivenAnswer]


def lessons(db: Database, learner_id: str) -> list[LessonRow]:
    """Every lesson she opened here, by course and lesson order (courses no longer on the hub last),
    with the time summed over devices."""
    rows = db.execute(
        """
        SELECT coalesce(c.title, r.title, p.course_id), coalesce(l.title, p.lesson_id), p.progress,
               p.completed_at, p.last_opened_at, coalesce(t.seconds, 0), c.id IS NULL AND r.id IS NOT NULL
        FROM progress p
        LEFT JOIN courses c ON c.id = p.course_id
        LEFT JOIN removed_courses r ON r.id = p.course_id
        LEFT JOIN lessons l ON l.course_id = p.course_id AND l.id = p.lesson_id
        LEFT JOIN (SELECT course_id, lesson_id, sum(seconds) AS seconds FROM progress_time
                   WHERE learner_id = :learner GROUP BY course_id, lesson_id) t
          ON t.course_id = p.course_id AND t.lesson_id = p.lesson_id
        WHERE p.learner_id = :learner
        ORDER BY c.title IS NULL, c.title COLLATE NOCASE, p.course_id, l.position, p.lesson_id
        """,
        {"learner": learner_id},
    ).fetchall()
    return [LessonRow(*row[:6], bool(row[6])) for row in rows]


def attempts(db: Database, learner_id: str, class_id: int) -> list[AttemptRow]:
    """Her library quiz attempts and her answers to this class's quizzes, oldest first."""
    found = [
        AttemptRow(
            course, quiz, score, total, bool(passed), at, pair_answers(lesson_questions(data), answers)
        )
        for course, quiz, score, total, passed, at, data, answers in db.execute(
            """
            SELECT coalesce(c.title, r.title, q.course_id), coalesce(l.title, q.lesson_id), q.score, q.total,
                   q.passed, q.created_at, l.data, q.answers
            FROM quiz_attempts q
            LEFT JOIN courses c ON c.id = q.course_id
            LEFT JOIN removed_courses r ON r.id = q.course_id
            LEFT JOIN lessons l ON l.course_id = q.course_id AND l.id = q.lesson_id
            WHERE q.learner_id = ?
            """,
            [learner_id],
        ).fetchall()
    ]
    found += [
        AttemptRow("", title, score, total, None, at, pair_answers(class_quiz_questions(questions), answers))
        for title, score, total, at, questions, answers in db.execute(
            "SELECT cq.title, a.score, a.total, a.submitted_at, cq.questions, a.answers"
            " FROM class_quiz_answers a JOIN class_quizzes cq ON cq.id = a.quiz_id"
            " WHERE a.learner_id = ? AND cq.class_id = ?",
            [learner_id, class_id],
        ).fetchall()
    ]
    return sorted(found, key=lambda attempt: attempt.at)
