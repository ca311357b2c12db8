"""A hub the size the coaching issue names, written with bulk SQL: 5,000 learners, 200 classes of
25–60 learners under 40 tutors, 1 M progress rows, some quiz attempts and class quiz answers.

Class 1 is the grid the benchmark measures: 60 learners × 30 assignments (every starter course,
6 pathways of 3 courses, 6 class quizzes of 5 questions copied from the starter quizzes).
Learner 0 is in no class; learner 1 is in exactly 3. Reproducible (a fixed random seed).
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from content.model import Lesson, Question
from content.quiz import is_correct
from hub import learners, names

LEARNERS = 5000
CLASSES = 200
TUTORS = 40
GRID_CLASS = 1
GRID_LEARNERS = 60
ROWS_PER_LEARNER = 200  # 5,000 × 200 = 1 M progress rows
NOW = datetime.now(UTC)


def learner_id(n: int) -> str:
    return f"bench-learner-{n:05d}"


def stamp(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Built:
    home: Path
    tutor_cookie: str  # the grid class's tutor
    learner_in_3_classes_cookie: str
    learner_in_no_class_cookie: str
    grid_learners: list[str]
    build_s: float


def init_home(home: Path) -> None:
    """A fresh hub with the starter courses, made as a user makes one."""
    subprocess.run(
        [sys.executable, "-m", "hub", "init", "--home", str(home)], check=True, capture_output=True
    )


def real_lessons(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT course_id, id FROM lessons ORDER BY course_id, position").fetchall()


def progress_rows(
    rng: random.Random, who: str, count: int, lessons: list[tuple[str, str]]
) -> Iterator[tuple]:
    """`count` progress rows: real lessons first (a random share of them), then lessons of courses
    no longer on the hub (as a hub that dropped old courses keeps their progress)."""
    real = rng.sample(lessons, min(count, rng.randint(20, len(lessons))))
    for course_id, lesson_id in real:
        done = rng.random() < 0.6
        opened = rng.uniform(0, 120)
        yield (
            who,
            course_id,
            lesson_id,
            1.0 if done else rng.random() * 0.9,
            stamp(opened) if done else None,
            stamp(opened),
        )
    for n in range(count - len(real)):
        opened = rng.uniform(0, 400)
        yield (who, f"old-course-{n // 12}", f"lesson-{n % 12}", 1.0, stamp(opened), stamp(opened))


def random_answer(rng: random.Random, question: Question) -> object:
    if question.type == "single":
        return rng.randrange(len(question.choices))
    if question.type == "multiple":
        return sorted(rng.sample(range(len(question.choices)), rng.randint(1, len(question.choices))))
    if question.type == "truefalse":
        return rng.random() < 0.5
    return question.answer if rng.random() < 0.6 else float(question.answer) + 3  # type: ignore[arg-type]


def set_rows_per_learner(conn: sqlite3.Connection, ids: list[str], count: int, seed: int = 7) -> None:
    """Give each of these learners exactly `count` progress rows (the curve's knob)."""
    rng = random.Random(seed)
    lessons = real_lessons(conn)
    with conn:
        conn.executemany("DELETE FROM progress WHERE learner_id = ?", [(i,) for i in ids])
        conn.executemany(
            "INSERT INTO progress VALUES (?, ?, ?, ?, ?, ?)",
            (row for i in ids for row in progress_rows(rng, i, count, lessons)),
        )


def build(home: Path, seed: int = 1) -> Built:
    started = datetime.now(UTC)
    rng = random.Random(seed)
    init_home(home)
    conn = sqlite3.connect(home / "hub.db")
    conn.execute("PRAGMA synchronous=OFF")
    lessons = real_lessons(conn)
    courses = [c for (c,) in conn.execute("SELECT id FROM courses ORDER BY id")]
    quiz_questions = [
        question
        for (data,) in conn.execute("SELECT data FROM lessons WHERE kind = 'quiz'")
        for question in Lesson.model_validate_json(data).questions
    ]
    quiz_lessons = conn.execute("SELECT course_id, id, data FROM lessons WHERE kind = 'quiz'").fetchall()
    with conn:
        conn.executemany(
            "INSERT INTO learners (id, name, name_key, created_at, role) VALUES (?, ?, ?, ?, 'learner')",
            (
                (learner_id(n), f"Learner {n:05d}", names.key(f"Learner {n:05d}"), stamp(300))
                for n in range(LEARNERS)
            ),
        )
        tutors = [f"bench-tutor-{n:02d}" for n in range(TUTORS)]
        conn.executemany(
            "INSERT INTO learners (id, name, name_key, created_at, role) VALUES (?, ?, ?, ?, 'tutor')",
            ((t, f"Tutor {n:02d}", names.key(f"Tutor {n:02d}"), stamp(300)) for n, t in enumerate(tutors)),
        )
        pathways = []
        for n in range(6):
            pathway = conn.execute(
                "INSERT INTO pathways (title, created_at) VALUES (?, ?)", [f"Pathway {n}", stamp(200)]
            )
            pathways.append(pathway.lastrowid)
            conn.executemany(
                "INSERT INTO pathway_courses VALUES (?, ?, ?)",
                [(pathway.lastrowid, k, c) for k, c in enumerate(rng.sample(courses, 3))],
            )
        others = [learner_id(n) for n in range(2, LEARNERS)]
        grid_learners = [learner_id(1), *rng.sample(others, GRID_LEARNERS - 1)]
        for class_id in range(1, CLASSES + 1):
            conn.execute(
                "INSERT INTO classes (id, name, language, created_at) VALUES (?, ?, 'en', ?)",
                [class_id, f"Class {class_id:03d}", stamp(150)],
            )
            conn.execute(
                "INSERT INTO class_tutors VALUES (?, ?)", [class_id, tutors[(class_id - 1) % TUTORS]]
            )
            if class_id == GRID_CLASS:
                members = grid_learners
            else:
                members = rng.sample(others, rng.randint(25, 60)) + (
                    [learner_id(1)] if class_id in (2, 3) else []
                )
            conn.executemany(
                "INSERT OR IGNORE INTO class_learners VALUES (?, ?, ?)",
                [(class_id, m, stamp(100)) for m in members],
            )
            _assign(conn, rng, class_id, members, courses, pathways, quiz_questions)
        conn.executemany(
            "INSERT INTO progress VALUES (?, ?, ?, ?, ?, ?)",
            (
                row
                for n in range(LEARNERS)
                for row in progress_rows(rng, learner_id(n), ROWS_PER_LEARNER, lessons)
            ),
        )
        conn.execute(
            "INSERT INTO progress_time SELECT learner_id, course_id, lesson_id, 'bench-device',"
            " 60 + abs(random() % 900) FROM progress"
            " WHERE course_id NOT LIKE 'old-course-%' AND abs(random() % 3) = 0"
        )
        conn.executemany(
            "INSERT INTO quiz_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _attempt(rng, learner_id(n), k, quiz_lessons)
                for n in range(LEARNERS)
                for k in range(rng.randint(0, 6))
            ),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    db = Database(sqlite3.connect(home / "hub.db", isolation_level=None))
    cookies = [
        f"hub_session={learners.start_session(db, who)}" for who in (tutors[0], learner_id(1), learner_id(0))
    ]
    db.conn.close()
    seconds = (datetime.now(UTC) - started).total_seconds()
    return Built(home, *cookies, grid_learners, round(seconds, 1))


def _attempt(rng: random.Random, who: str, k: int, quiz_lessons: list[tuple[str, str, str]]) -> tuple:
    course_id, lesson_id, data = rng.choice(quiz_lessons)
    questions = Lesson.model_validate_json(data).questions
    given = [random_answer(rng, q) for q in questions]
    score = sum(is_correct(q, g) for q, g in zip(questions, given, strict=True))
    return (
        f"{who}-attempt-{k}",
        who,
        course_id,
        lesson_id,
        score,
        len(questions),
        score / len(questions) >= 0.6,
        json.dumps(given),
        stamp(rng.uniform(0, 120)),
    )


def _assign(
    conn: sqlite3.Connection,
    rng: random.Random,
    class_id: int,
    members: list[str],
    courses: list[str],
    pathways: list[int],
    questions: list[Question],
) -> None:
    """The grid class: every course, 6 pathways, 6 class quizzes (30); others: 5 to 15 courses."""
    if class_id != GRID_CLASS:
        items = [("course", c) for c in rng.sample(courses, rng.randint(5, 15))]
    else:
        items = [("course", c) for c in courses] + [("pathway", p) for p in pathways]
        for n in range(30 - len(items)):
            chosen = rng.sample(questions, 5)
            copied = [{"course": "starter", "lesson": "quiz", "question": q.model_dump()} for q in chosen]
            quiz = conn.execute(
                "INSERT INTO class_quizzes (class_id, title, questions, created_at, opened_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [class_id, f"Class quiz {n + 1}", json.dumps(copied), stamp(60), stamp(50)],
            ).lastrowid
            items.append(("quiz", quiz))
            answers = []
            for who in rng.sample(members, int(len(members) * 0.7)):
                given = [random_answer(rng, q) for q in chosen]
                score = sum(is_correct(q, g) for q, g in zip(chosen, given, strict=True))
                answers.append((quiz, who, json.dumps(given), score, len(chosen), stamp(rng.uniform(1, 50))))
            conn.executemany("INSERT INTO class_quiz_answers VALUES (?, ?, ?, ?, ?, ?)", answers)
    for position, (kind, target) in enumerate(items):
        column = {"course": "course_id", "pathway": "pathway_id", "quiz": "quiz_id"}[kind]
        assignment = conn.execute(
            f"INSERT INTO assignments (class_id, kind, {column}, position, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [class_id, kind, target, position, stamp(90)],
        ).lastrowid
        if position % 7 == 3:  # some assignments for chosen learners only
            conn.executemany(
                "INSERT INTO assignment_learners VALUES (?, ?)", [(assignment, m) for m in members[::2]]
            )
