"""The figures a class's charts draw: lessons completed per week, and how its scores spread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_skeleton
from markupsafe import Markup
from sqlite_utils import Database

from hub.coaching.charts import Bar, bar_chart
from hub.coaching.report_grid import ClassWork
from hub.coaching.reports import assigned_courses, marks
from hub.i18n import N_, babel_locale, current_locale, gettext

WEEKS = 12
SCORE_BANDS = ((0, 19), (20, 39), (40, 59), (60, 79), (80, 100))


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last `weeks` weeks, this week's last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]


def completions_per_week(db: Database, class_id: int, course_ids: list[str], today: date) -> list[Bar]:
    """Lessons of the assigned courses the class's learners completed, per week (label: its Monday)."""
    starts = week_starts(today)
    per_day = db.execute(
        "SELECT substr(p.completed_at, 1, 10), count(*)"
        " FROM class_learners cl JOIN learners l ON l.id = cl.learner_id AND l.name IS NOT NULL"
        " JOIN progress p ON p.learner_id = cl.learner_id"
        f" WHERE cl.class_id = ? AND p.course_id IN ({marks(course_ids)}) AND p.completed_at >= ?"
        " GROUP BY 1",
        [class_id, *course_ids, starts[0].isoformat()],
    ).fetchall()
    counts = dict.fromkeys(starts, 0)
    for day, count in per_day:
        monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
        counts[monday] = counts.get(monday, 0) + count
    locale = babel_locale(current_locale.get())
    return [
        Bar(start.isoformat(), counts[start], format_skeleton("MMMd", start, locale=locale))
        for start in starts
    ]


def score_bands(percents: list[int]) -> list[Bar]:
    """How many scores fall in each band of 20 points."""
    return [Bar(f"{low}–{high}%", sum(low <= p <= high for p in percents)) for low, high in SCORE_BANDS]


@dataclass(frozen=True)
class Chart:
    """A chart and its text equivalent: a sentence and the table of its bars (also as CSV)."""

    id: str
    title: str
    description: str
    label_heading: str
    value_heading: str
    bars: list[Bar]
    svg: Markup


def _chart(chart_id: str, title: str, description: str, headings: tuple[str, str], bars: list[Bar],
           rtl: bool) -> Chart:  # fmt: skip
    title, headings = gettext(title), (gettext(headings[0]), gettext(headings[1]))
    description = gettext(description) % {"total": sum(bar.value for bar in bars)}
    return Chart(
        chart_id, title, description, *headings, bars, bar_chart(chart_id, title, description, bars, rtl)
    )


def class_charts(db: Database, class_id: int, work: ClassWork, today: date, rtl: bool) -> list[Chart]:
    """The class's charts: lessons completed per week (the last 12) and how its scores spread."""
    weeks = completions_per_week(db, class_id, assigned_courses(work.assignments), today)
    return [
        _chart(
            "weeks", N_("Lessons completed per week"),
            N_("Lessons of the assigned courses that the class's learners completed in each of the last"
               " 12 weeks, %(total)d in all. The table gives each week."),
            (N_("Week starting"), N_("Lessons completed")), weeks, rtl,
        ),
        _chart(
            "scores", N_("How the scores spread"),
            N_("How many quiz scores (class quizzes, and each learner's best at the courses' quizzes) fall in"
               " each band, %(total)d in all. The table gives each band."),
            (N_("Score"), N_("Scores in this band")), score_bands(work.score_percents()), rtl,
        ),
    ]  # fmt: skip
