"""Review dates of health guidance: which courses are past the date they were to be checked again.

The dates are manifest fields (content/model.py: `last_reviewed`, `review_by`), so they travel
signed with the course; the hub only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from hub.retractions import HIDDEN


@dataclass(frozen=True)
class DueReview:
    course_id: str
    title: str
    language: str
    publisher: str
    last_reviewed: str | None
    review_by: str


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def past_review(db: Database, on: str | None = None) -> list[DueReview]:
    """Courses shown on this hub whose "review by" date is before `on` (today), longest overdue first."""
    rows = db.execute(
        "SELECT id, title, language, publisher, json_extract(manifest, '$.last_reviewed'),"
        " json_extract(manifest, '$.review_by') AS due FROM courses"
        f" WHERE due IS NOT NULL AND due < ? AND id NOT IN ({HIDDEN}) ORDER BY due, title COLLATE NOCASE",
        [on or today()],
    ).fetchall()
    return [DueReview(*row) for row in rows]
