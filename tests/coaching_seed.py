"""Coaching rows written with plain SQL, for the reports' tests, browser test and benchmark.

They stand in for coaching part 1's domain functions (classes, rosters, assignments, class
quizzes), writing the tables of the coaching migration as those functions do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from hub import names


def days_ago(days: float) -> str:
    """A stored time `days` before now."""
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def add_learner(db: Database, name: str | None, role: str = "learner", learner_id: str | None = None) -> str:
    """A learner row of this hub (a guest when `name` is None), without a PIN."""
    learner_id = learner_id or str(uuid.uuid4())
    db.execute(
        "INSERT INTO learners (id, name, name_key, created_at, role) VALUES (?, ?, ?, ?, ?)",
        [learner_id, name, names.key(name) if name else None, days_ago(60), role],
    )
    return learner_id


def add_class(
    db: Database,
    name: str,
    tutors: Iterable[str],
    learners: Iterable[str],
    joined_days_ago: float = 30,
    language: str = "en",
) -> int:
    class_id = int(
        db.execute(
            "INSERT INTO classes (name, language, created_at) VALUES (?, ?, ?)",
            [name, language, days_ago(40)],
        ).lastrowid
        or 0
    )
    db.conn.executemany("INSERT INTO class_tutors VALUES (?, ?)", [(class_id, t) for t in tutors])
    db.conn.executemany(
        "INSERT INTO class_learners VALUES (?, ?, ?)",
        [(class_id, learner, days_ago(joined_days_ago)) for learner in learners],
    )
    return class_id


def assign(
    db: Database,
    class_id: int,
    kind: str,
    target: str | int,
    position: int,
    only_for: Iterable[str] = (),
    created_days_ago: float = 30,
    due_on: str | None = None,
) -> int:
    """An assignment of a course (target: its id), a pathway or a class quiz (target: the row id)."""
    column = {"course": "course_id", "pathway": "pathway_id", "quiz": "quiz_id"}[kind]
    assignment_id = int(
        db.execute(
            f"INSERT INTO assignments (class_id, kind, {column}, position, due_on, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [class_id, kind, target, position, due_on, days_ago(created_days_ago)],
        ).lastrowid
        or 0
    )
    db.conn.executemany(
        "INSERT INTO assignment_learners VALUES (?, ?)", [(assignment_id, learner) for learner in only_for]
    )
    return assignment_id


def add_pathway(db: Database, title: str, course_ids: list[str]) -> int:
    pathway_id = int(
        db.execute("INSERT INTO pathways (title, created_at) VALUES (?, ?)", [title, days_ago(50)]).lastrowid
        or 0
    )
    db.conn.executemany(
        "INSERT INTO pathway_courses VALUES (?, ?, ?)", [(pathway_id, n, c) for n, c in enumerate(course_ids)]
    )
    return pathway_id


def add_class_quiz(
    db: Database, class_id: int, title: str, questions: list[dict], opened_days_ago: float | None
) -> int:
    """A class quiz; `questions` as part 1 stores them: {"course", "lesson", "question"} each."""
    opened = days_ago(opened_days_ago) if opened_days_ago is not None else None
    return int(
        db.execute(
            "INSERT INTO class_quizzes (class_id, title, questions, created_at, opened_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [class_id, title, json.dumps(questions), days_ago(40), opened],
        ).lastrowid
        or 0
    )


def answer_class_quiz(
    db: Database, quiz_id: int, learner_id: str, answers: list[object], score: int, total: int
) -> None:
    db.execute(
        "INSERT INTO class_quiz_answers VALUES (?, ?, ?, ?, ?, ?)",
        [quiz_id, learner_id, json.dumps(answers), score, total, days_ago(1)],
    )


def progress(
    db: Database,
    learner_id: str,
    course_id: str,
    lesson_id: str,
    amount: float,
    opened_days_ago: float,
    seconds: int = 0,
) -> None:
    """A lesson's progress (1.0: completed when last opened) and time spent, as sync keeps them."""
    opened = days_ago(opened_days_ago)
    db.execute(
        "INSERT INTO progress VALUES (?, ?, ?, ?, ?, ?)",
        [learner_id, course_id, lesson_id, amount, opened if amount >= 1 else None, opened],
    )
    if seconds:
        db.execute(
            "INSERT INTO progress_time VALUES (?, ?, ?, 'device-a', ?)",
            [learner_id, course_id, lesson_id, seconds],
        )


def attempt(
    db: Database,
    learner_id: str,
    course_id: str,
    lesson_id: str,
    answers: list[object],
    score: int,
    total: int,
    passed: bool,
    at_days_ago: float,
) -> None:
    db.execute(
        "INSERT INTO quiz_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            str(uuid.uuid4()),
            learner_id,
            course_id,
            lesson_id,
            score,
            total,
            passed,
            json.dumps(answers),
            days_ago(at_days_ago),
        ],
    )
