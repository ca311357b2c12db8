""" "For you": what a learner's tutors assigned her, at the top of her home page.

The home page must stay fast, so this is one indexed query for the assignments (through
class_learners' learner index and assignments' class index) and, only when she has some, one
for her finished lessons per course; titles and lesson counts come from the hub's course cache.
A guest or a learner in no class costs the one query, which finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlite_utils import Database

from hub.coaching.given import given_to
from hub.home import Hub
from hub.i18n import babel_locale, current_locale

FOR_YOU_SHOWN = 5  # on the home page: the next ones she has not done; /me/classes lists them all

_ASSIGNED = """
SELECT a.kind, a.course_id, a.quiz_id, a.due_on, p.title, q.title,
       (SELECT group_concat(pc.course_id, ' ') FROM pathway_courses pc WHERE pc.pathway_id = a.pathway_id),
       q.opened_at IS NOT NULL AND q.closed_at IS NULL, ans.quiz_id IS NOT NULL
FROM class_learners cl
JOIN classes c ON c.id = cl.class_id AND c.archived_at IS NULL
JOIN assignments a ON a.class_id = cl.class_id
LEFT JOIN pathways p ON p.id = a.pathway_id
LEFT JOIN class_quizzes q ON q.id = a.quiz_id
LEFT JOIN class_quiz_answers ans ON ans.quiz_id = a.quiz_id AND ans.learner_id = cl.learner_id
WHERE cl.learner_id = :learner AND (a.starts_on IS NULL OR a.starts_on <= :today) AND {given}
ORDER BY a.position, a.due_on IS NULL, a.due_on, c.id
""".format(given=given_to("cl.learner_id"))


@dataclass(frozen=True)
class ForYouItem:
    kind: str  # course | pathway | quiz
    title: str
    href: str
    due_on: str | None
    done: bool


def due_day(iso_day: str) -> str:
    """A due day in the reader's language: "31 mars 2026", "31 mar 2026", "٣١‏/٠٣‏/٢٠٢٦"."""
    from babel.dates import format_date

    return format_date(
        date.fromisoformat(iso_day), format="medium", locale=babel_locale(current_locale.get())
    )


def _finished_lessons(hub: Hub, learner_id: str) -> dict[str, int]:
    rows = hub.db.execute(
        "SELECT course_id, count(*) FROM progress WHERE learner_id = ? AND completed_at IS NOT NULL"
        " GROUP BY course_id",
        [learner_id],
    ).fetchall()
    return dict(rows)


def for_you(hub: Hub, learner_id: str) -> list[ForYouItem]:
    """The learner's assignments in her classes' order (then by due day): started ones, and class
    quizzes only while they are open."""
    today = datetime.now(UTC).date().isoformat()
    rows = hub.db.execute(_ASSIGNED, {"learner": learner_id, "today": today}).fetchall()
    if not rows:
        return []
    cards = {card.id: card for card in hub.courses()}
    finished = _finished_lessons(hub, learner_id)

    def course_done(course_id: str) -> bool:
        return course_id in cards and finished.get(course_id, 0) >= cards[course_id].lesson_count

    items = []
    for (
        kind,
        course_id,
        quiz_id,
        due_on,
        pathway_title,
        quiz_title,
        pathway_courses,
        quiz_open,
        handed_in,
    ) in rows:
        if kind == "course" and course_id in cards:
            items.append(
                ForYouItem(
                    kind, cards[course_id].title, f"/courses/{course_id}", due_on, course_done(course_id)
                )
            )
        elif kind == "pathway":
            courses = [c for c in (pathway_courses or "").split() if c in cards]
            first = next((c for c in courses if not course_done(c)), courses[0] if courses else "")
            href = f"/courses/{first}" if first else "/"
            items.append(
                ForYouItem(
                    kind, pathway_title, href, due_on, bool(courses) and all(map(course_done, courses))
                )
            )
        elif kind == "quiz" and quiz_open:
            items.append(ForYouItem(kind, quiz_title, f"/classes/quizzes/{quiz_id}", due_on, bool(handed_in)))
    return items


def next_for_you(hub: Hub, learner_id: str) -> list[ForYouItem]:
    """What the home page shows: the next FOR_YOU_SHOWN assignments she has not done, in order."""
    return [item for item in for_you(hub, learner_id) if not item.done][:FOR_YOU_SHOWN]


@dataclass(frozen=True)
class QuizLink:
    id: int
    title: str
    state: str  # draft | open | closed
    handed_in: bool


@dataclass(frozen=True)
class MyClass:
    name: str
    schedule: str
    quizzes: list[QuizLink]


def my_classes(db: Database, learner_id: str) -> list[MyClass]:
    """A learner's current classes with the class quizzes given to her (to take, or to see her answers)."""
    rows = db.execute(
        """
        SELECT c.id, c.name, c.schedule, q.id, q.title,
               CASE WHEN q.closed_at IS NOT NULL THEN 'closed'
                    WHEN q.opened_at IS NOT NULL THEN 'open' ELSE 'draft' END,
               EXISTS (SELECT 1 FROM class_quiz_answers ans
                       WHERE ans.quiz_id = q.id AND ans.learner_id = cl.learner_id)
        FROM class_learners cl JOIN classes c ON c.id = cl.class_id AND c.archived_at IS NULL
        LEFT JOIN assignments a ON a.class_id = c.id AND a.kind = 'quiz' AND {given}
        LEFT JOIN class_quizzes q ON q.id = a.quiz_id
        WHERE cl.learner_id = ? ORDER BY c.name, c.id, a.position
        """.format(given=given_to("cl.learner_id")),
        [learner_id],
    ).fetchall()
    found: dict[int, MyClass] = {}
    for class_id, name, schedule, quiz_id, title, state, handed_in in rows:
        entry = found.setdefault(class_id, MyClass(name, schedule, []))
        if quiz_id is not None:
            entry.quizzes.append(QuizLink(quiz_id, title, state, bool(handed_in)))
    return list(found.values())
