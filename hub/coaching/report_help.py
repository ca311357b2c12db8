"""Who needs help: learners stalled on an assigned, unfinished item, or who failed a quiz twice or more.

A stall is counted from the learner's last progress on the item, or, when she has none, from
when the item could first be done by her (the assignment made or started, she joined the class,
a class quiz opened), so a learner who joined yesterday is not "stalled for a month". A quiz
failed twice counts until she passes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlite_utils import Database

from hub.coaching.report_grid import DONE, NOT_ASSIGNED, ClassWork, class_work
from hub.coaching.reports import Assignment, ClassInfo, Member, member_since
from hub.i18n import N_, ngettext

DEFAULT_DAYS = 7
MAX_DAYS = 365


@dataclass(frozen=True)
class HelpNeeded:
    class_info: ClassInfo
    learner: Member
    reason: str


def _moment(value: str) -> datetime:
    """A stored time or ISO date as an aware datetime (dates at midnight UTC)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _could_start(item: Assignment, joined: str | None) -> datetime:
    times = [item.created_at, item.starts_on, joined, item.quiz_open_since]
    return max(_moment(t) for t in times if t)


def stalled_reason(
    work: ClassWork, learner: Member, item: Assignment, joined: str | None, now: datetime, days: int
) -> str | None:
    """Why this learner counts as stalled on this item, in words, or None."""
    if item.kind == "quiz" and item.quiz_open_since is None:
        return None  # a class quiz not open now cannot be done
    if item.starts_on and date.fromisoformat(item.starts_on) > now.date():
        return None
    cell = work.cell(learner.id, item)
    if cell.state in (DONE, NOT_ASSIGNED):
        return None
    since = _moment(cell.last_activity) if cell.last_activity else _could_start(item, joined)
    idle = (now - since).days
    if idle < days:
        return None
    if cell.last_activity is None:
        return ngettext(
            "Has not started “%(item)s”, assigned %(days)d day ago.",
            "Has not started “%(item)s”, assigned %(days)d days ago.",
            idle,
        ) % {"item": item.title, "days": idle}
    return ngettext(
        "No progress on “%(item)s” for %(days)d day.", "No progress on “%(item)s” for %(days)d days.", idle
    ) % {"item": item.title, "days": idle}


def failed_reasons(work: ClassWork, learner: Member) -> list[str]:
    """The assigned courses' quizzes she failed twice or more and has not passed since."""
    reasons = []
    for course_id in dict.fromkeys(
        c for item in work.assignments if item.applies_to(learner.id) for c in item.course_ids
    ):
        for lesson_id, title in work.quiz_lessons.get(course_id, []):
            stat = work.quizzes.get((learner.id, course_id, lesson_id))
            if stat and stat.failures >= 2 and not stat.passed:
                times = stat.failures
                reasons.append(
                    ngettext(
                        "Failed the quiz “%(quiz)s” %(times)d time.",
                        "Failed the quiz “%(quiz)s” %(times)d times.",
                        times,
                    )
                    % {"quiz": title, "times": times}
                )
    return reasons


def needs_help(
    db: Database, class_info: ClassInfo, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> list[HelpNeeded]:
    """The class's learners who need help, each reason its own row, by learner."""
    work = class_work(db, class_info.id)
    joined = member_since(db, class_info.id)
    moment = now or datetime.now(UTC)
    found = []
    for learner in work.members:
        reasons = [
            reason
            for item in work.assignments
            if (reason := stalled_reason(work, learner, item, joined.get(learner.id), moment, days))
        ]
        reasons += failed_reasons(work, learner)
        found += [HelpNeeded(class_info, learner, reason) for reason in reasons]
    return found


def read_days(text: str) -> int:
    """The number of days a stall lasts, as given in the address; ValueError if it is not one."""
    days = int(text.strip())
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(text)
    return days


DAYS_WRONG = N_("Give the number of days as a whole number from 1 to %(max)d. Showing %(days)d days instead.")
