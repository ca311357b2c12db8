"""The class grid: each learner's state on each assignment, read in a few set-based queries.

Every query reaches progress and quiz attempts through the class's learners and the assigned
courses (primary-key and index prefixes), never per cell, so a grid of 60 learners by 30
assignments costs the same on a hub of 100 learners as on one of 5,000 (bench/coach/).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from markupsafe import Markup, escape
from sqlite_utils import Database

from hub.coaching.reports import Assignment, Member, assigned_courses, assignments, marks, members
from hub.i18n import N_, gettext

NOT_ASSIGNED, NOT_STARTED, IN_PROGRESS, DONE = "not-assigned", "not-started", "in-progress", "done"
STATE_LABELS = {
    NOT_ASSIGNED: N_("Not assigned"),
    NOT_STARTED: N_("Not started"),
    IN_PROGRESS: N_("In progress"),
    DONE: N_("Done"),
}
PHRASES = {
    "score": N_("Score %(score)d/%(total)d"),
    "lessons": N_("Lessons %(done)d/%(total)d"),
    "quiz": N_("Quiz %(score)d/%(total)d"),
    "courses": N_("Courses %(done)d/%(total)d"),
}
STATE_SYMBOLS = {NOT_ASSIGNED: "–", NOT_STARTED: "○", IN_PROGRESS: "◐", DONE: "✓"}


@dataclass(frozen=True)
class CourseState:
    opened: int
    done: int
    last_opened: str


@dataclass(frozen=True)
class QuizStat:
    """A learner's attempts at one library quiz: the best, how often failed, whether ever passed."""

    best: int
    total: int
    failures: int
    passed: bool


@lru_cache(maxsize=4096)
def cell_markup(state: str, label: str, detail: str) -> Markup:
    """A grid cell as HTML. Made here rather than in the template, and once per distinct cell (a
    grid repeats a few dozen of them): a 60 × 30 grid has 1,800 cells, and Jinja's expressions and
    escaping per cell were most of the page's time."""
    more = f"<small>{escape(detail)}</small>" if detail else ""
    symbol = f'<i aria-hidden="true">{STATE_SYMBOLS[state]}</i>'
    return Markup(f'<td class="{state}"><b>{symbol} {escape(label)}</b>{more}</td>')


def row_markup(cells: list[Cell]) -> Markup:
    """A grid row's cells as one piece of HTML (one template expression per row, not per cell)."""
    return Markup("".join(cell_markup(c.state, c.label, c.detail) for c in cells))


@dataclass(frozen=True)
class Cell:
    state: str
    label: str  # the state in words, in the reader's language
    detail: str
    last_activity: str | None = None

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]

    def text(self) -> str:
        """The cell in words, as a CSV shows it."""
        return f"{self.label}: {self.detail}" if self.detail else self.label


@dataclass(frozen=True)
class ClassWork:
    """What a class's learners did on its assignments."""

    members: list[Member]
    assignments: list[Assignment]
    lesson_counts: dict[str, int]
    course_titles: dict[str, str]
    quiz_lessons: dict[str, list[tuple[str, str]]]  # course → [(lesson id, title)]
    courses: dict[tuple[str, str], CourseState]  # (learner, course)
    quizzes: dict[tuple[str, str, str], QuizStat]  # (learner, course, lesson)
    class_answers: dict[tuple[int, str], tuple[int, int]]  # (class quiz, learner) → score, total

    @cached_property
    def words(self) -> dict[str, str]:
        """The states and the cells' phrases, translated once for the whole grid (not per cell)."""
        phrases = {key: gettext(label) for key, label in STATE_LABELS.items()}
        return phrases | {key: gettext(phrase) for key, phrase in PHRASES.items()}

    def _cell(self, state: str, detail: str = "", last_activity: str | None = None) -> Cell:
        return Cell(state, self.words[state], detail, last_activity)

    def cell(self, learner_id: str, item: Assignment) -> Cell:
        if not item.applies_to(learner_id):
            return self._cell(NOT_ASSIGNED)
        if item.kind == "quiz":
            answer = self.class_answers.get((item.quiz_id or 0, learner_id))
            if answer is None:
                return self._cell(NOT_STARTED)
            return self._cell(DONE, self.words["score"] % {"score": answer[0], "total": answer[1]})
        if item.kind == "pathway":
            return self._pathway_cell(learner_id, item.course_ids)
        return self._course_cell(learner_id, item.course_ids[0])

    def course_done(self, learner_id: str, course_id: str) -> bool:
        state = self.courses.get((learner_id, course_id))
        total = self.lesson_counts.get(course_id, 0)
        return state is not None and total > 0 and state.done >= total

    def _course_cell(self, learner_id: str, course_id: str) -> Cell:
        state = self.courses.get((learner_id, course_id))
        total = self.lesson_counts.get(course_id, 0)
        done = min(state.done, total) if state else 0
        detail = self.words["lessons"] % {"done": done, "total": total}
        best = [
            self.quizzes[key]
            for lesson, _ in self.quiz_lessons.get(course_id, [])
            if (key := (learner_id, course_id, lesson)) in self.quizzes
        ]
        if best:
            score, out_of = sum(q.best for q in best), sum(q.total for q in best)
            detail += " · " + self.words["quiz"] % {"score": score, "total": out_of}
        if state is None:
            return self._cell(NOT_STARTED, detail)
        return self._cell(
            DONE if self.course_done(learner_id, course_id) else IN_PROGRESS, detail, state.last_opened
        )

    def _pathway_cell(self, learner_id: str, course_ids: tuple[str, ...]) -> Cell:
        states = [s for c in course_ids if (s := self.courses.get((learner_id, c)))]
        done = sum(self.course_done(learner_id, c) for c in course_ids)
        detail = self.words["courses"] % {"done": done, "total": len(course_ids)}
        if not states:
            return self._cell(NOT_STARTED, detail)
        last = max(s.last_opened for s in states)
        return self._cell(DONE if done == len(course_ids) else IN_PROGRESS, detail, last)

    def library_quizzes(self) -> list[tuple[str, str, str, str]]:
        """(course id, lesson id, quiz title, course title) of each quiz in the assigned courses."""
        return [
            (course_id, lesson_id, title, self.course_titles[course_id])
            for course_id in assigned_courses(self.assignments)
            for lesson_id, title in self.quiz_lessons.get(course_id, [])
        ]

    def rows(self) -> list[tuple[Member, list[Cell]]]:
        return [(m, [self.cell(m.id, item) for item in self.assignments]) for m in self.members]

    def score_percents(self) -> list[int]:
        """Every score the class has: each class quiz answer and each learner's best at a library quiz."""
        scores = [(s, t) for s, t in self.class_answers.values()]
        scores += [(q.best, q.total) for q in self.quizzes.values()]
        return [round(100 * s / t) for s, t in scores if t]


def class_work(db: Database, class_id: int) -> ClassWork:
    """Read the class's learners, assignments and their work: nine queries, whatever its size."""
    people = members(db, class_id)
    items = assignments(db, class_id)
    course_ids = assigned_courses(items)
    quiz_ids = [item.quiz_id for item in items if item.quiz_id is not None]
    known = db.execute(
        f"SELECT id, lesson_count, title FROM courses WHERE id IN ({marks(course_ids)})", course_ids
    )
    lesson_counts, course_titles = {}, {}
    for course_id, count, title in known.fetchall():
        lesson_counts[course_id], course_titles[course_id] = count, title
    quiz_lessons: dict[str, list[tuple[str, str]]] = {}
    for course_id, lesson_id, title in db.execute(
        f"SELECT course_id, id, title FROM lessons WHERE kind = 'quiz' AND course_id IN ({marks(course_ids)})"
        " ORDER BY course_id, position",
        course_ids,
    ).fetchall():
        quiz_lessons.setdefault(course_id, []).append((lesson_id, title))
    courses = {
        (r[0], r[1]): CourseState(r[2], r[3], r[4])
        for r in db.execute(
            "SELECT p.learner_id, p.course_id, count(*), sum(p.completed_at IS NOT NULL),"
            " max(p.last_opened_at) FROM class_learners cl JOIN progress p ON p.learner_id = cl.learner_id"
            f" WHERE cl.class_id = ? AND p.course_id IN ({marks(course_ids)})"
            " GROUP BY p.learner_id, p.course_id",
            [class_id, *course_ids],
        ).fetchall()
    }
    quizzes = {
        (r[0], r[1], r[2]): QuizStat(round(r[3] * r[4]), r[4], r[5], bool(r[6]))
        for r in db.execute(
            "SELECT q.learner_id, q.course_id, q.lesson_id, max(q.score * 1.0 / nullif(q.total, 0)),"
            " max(q.total), sum(NOT q.passed), max(q.passed)"
            " FROM class_learners cl JOIN quiz_attempts q ON q.learner_id = cl.learner_id"
            f" WHERE cl.class_id = ? AND q.course_id IN ({marks(course_ids)})"
            " GROUP BY q.learner_id, q.course_id, q.lesson_id HAVING max(q.total) > 0",
            [class_id, *course_ids],
        ).fetchall()
    }
    class_answers = {
        (r[0], r[1]): (r[2], r[3])
        for r in db.execute(
            "SELECT a.quiz_id, a.learner_id, a.score, a.total"
            " FROM class_learners cl JOIN class_quiz_answers a ON a.learner_id = cl.learner_id"
            f" WHERE cl.class_id = ? AND a.quiz_id IN ({marks(quiz_ids)})",
            [class_id, *quiz_ids],
        ).fetchall()
    }
    return ClassWork(
        people, items, lesson_counts, course_titles, quiz_lessons, courses, quizzes, class_answers
    )
