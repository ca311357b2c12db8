"""The /tutor overview counts this hub's own learners only, and guests only as a count."""

from __future__ import annotations

import csv
import io

from fastapi import FastAPI

from hub.home import Hub
from hub.learners import Role
from tests import coaching_seed as seed
from tests.conftest import signed_in

COURSE = "sample-course"


def overview_row(page: str) -> list[str]:
    """The cells of the sample course's row in the overview table."""
    row = page[page.index(f'<a href="/courses/{COURSE}"') :]
    row = row[: row.index("</tr>")]
    return [cell.split("</td>")[0] for cell in row.split("<td>")[1:]]


def test_overview_leaves_out_other_hubs_learners_and_counts_guests(hub: Hub, app: FastAPI) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    amal, ben = seed.add_learner(hub.db, "Amal"), seed.add_learner(hub.db, "Ben")
    guest = seed.add_learner(hub.db, None)
    for lesson in ("read-me", "watch", "check"):
        seed.progress(hub.db, amal, COURSE, lesson, 1.0, opened_days_ago=1)
        seed.progress(hub.db, "learner-of-another-hub", COURSE, lesson, 1.0, opened_days_ago=1)
    seed.progress(hub.db, ben, COURSE, "read-me", 0.5, opened_days_ago=1)
    seed.progress(hub.db, guest, COURSE, "read-me", 0.5, opened_days_ago=1)
    seed.attempt(hub.db, amal, COURSE, "check", [1, [0, 2], True, 20], 4, 4, True, at_days_ago=1)
    seed.attempt(hub.db, "learner-of-another-hub", COURSE, "check", [1, [0, 2], True, 20], 4, 4, True, 1)
    page = tutor.get("/tutor")
    assert page.status_code == 200
    # started (profiles), finished, guests who started, quizzes passed
    assert overview_row(page.text) == ["2", "1", "1", "1"]
    assert guest not in page.text and "learner-of-another-hub" not in page.text


def test_overview_lists_the_tutors_classes(hub: Hub, app: FastAPI) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    tutor_id = hub.db.execute("SELECT id FROM learners WHERE role = 'tutor'").fetchone()[0]
    mine = seed.add_class(hub.db, "Evening group", [tutor_id], [])
    seed.add_class(hub.db, "Not hers", [], [])
    page = tutor.get("/tutor").text
    assert f'href="/tutor/classes/{mine}/report">Evening group' in page
    assert "Not hers" not in page


def test_overview_says_who_needs_help_in_the_tutors_classes(hub: Hub, app: FastAPI) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    tutor_id = hub.db.execute("SELECT id FROM learners WHERE role = 'tutor'").fetchone()[0]
    ben = seed.add_learner(hub.db, "Ben")
    class_id = seed.add_class(hub.db, "Evening group", [tutor_id], [ben])
    seed.assign(hub.db, class_id, "course", COURSE, 0)
    seed.progress(hub.db, ben, COURSE, "read-me", 0.5, opened_days_ago=9)
    page = tutor.get("/tutor").text
    assert "(Evening group): No progress on “Sample course” for 9 days." in page


def test_overview_table_downloads_as_csv(hub: Hub, app: FastAPI) -> None:
    tutor = signed_in(hub, Role.TUTOR, app)
    seed.progress(hub.db, seed.add_learner(hub.db, "Amal"), COURSE, "read-me", 1.0, opened_days_ago=1)
    response = tutor.get("/tutor?format=csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["Course", "Started", "Finished", "Guests who started", "Quizzes passed"],
        ["Sample course", "1", "0", "0", "0"],
    ]
