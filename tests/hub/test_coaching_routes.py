"""The coaching pages: who may see which class, assignments, class quizzes, "For you" and "my data"."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from hub import learners
from hub.coaching import assignments, bulk, class_quizzes, classes, for_you
from hub.coaching.bulk import Entry
from hub.home import Hub
from hub.learners import Role
from hub.pathways import add_course, create_pathway
from hub.route_index import every_route
from tests.conftest import BrowserClient, signed_in


def class_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in every_route(app)
        if isinstance(route, APIRoute) and route.path.startswith("/tutor/classes/{class_id}")
        for method in route.methods
    )


def make_class(client: BrowserClient, name: str = "Tuesday group") -> int:
    made = client.post("/tutor/classes", data={"name": name, "language": "en"}, follow_redirects=False)
    assert made.status_code == 303
    return int(made.headers["location"].rsplit("/", 1)[1])


def fill(path: str, class_id: int) -> str:
    values = {"class_id": str(class_id), "learner_id": "x", "assignment_id": "1", "quiz_id": "1",
              "tutor_id": "x", "action": "open", "course_id": "c", "lesson_id": "l"}  # fmt: skip
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_a_tutor_gets_403_on_every_route_of_another_tutors_class_and_an_admin_gets_in(app: FastAPI, hub: Hub):
    tutor_a, tutor_b = signed_in(hub, Role.TUTOR, app), signed_in(hub, Role.TUTOR, app)
    admin, learner = signed_in(hub, Role.ADMIN, app), signed_in(hub, Role.LEARNER, app)
    theirs = make_class(tutor_b, "B's class")
    before = hub.db.execute("SELECT * FROM classes").fetchall()
    routes = class_routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        url = fill(path, theirs)
        refused = tutor_a.request(method, url, follow_redirects=False)
        assert refused.status_code == 403, f"tutor A let into {method} {path}"
        assert (
            "This class is not one of yours" in refused.text
            or "only for the hub&#39;s admins" in refused.text
        )
        assert learner.request(method, url, follow_redirects=False).status_code == 403
        assert admin.request(method, url, follow_redirects=False).status_code not in (401, 403), path
    assert hub.db.execute("SELECT * FROM classes").fetchall()[0][:2] == before[0][:2]
    assert tutor_a.get("/tutor/classes").text.count("B's class") == 0
    assert "B&#39;s class" in admin.get("/tutor/classes?archived=true").text  # the admin's POST archived it
    assert tutor_a.get("/tutor/classes/999").status_code == 404


def test_admin_gives_a_tutor_a_class_and_she_then_sees_it(app: FastAPI, hub: Hub):
    admin, tutor = signed_in(hub, Role.ADMIN, app), signed_in(hub, Role.TUTOR, app)
    class_id = make_class(admin, "Evening class")
    assert tutor.get(f"/tutor/classes/{class_id}").status_code == 403
    tutor_id = learners.learner_for_token(hub.db, tutor.cookies["hub_session"]).id
    assert admin.post(f"/tutor/classes/{class_id}/tutors", data={"tutor_id": tutor_id}).status_code == 200
    assert tutor.get(f"/tutor/classes/{class_id}").status_code == 200
    assert "Evening class" in tutor.get("/tutor/classes").text
    assert tutor.post(f"/tutor/classes/{class_id}/tutors", data={"tutor_id": tutor_id}).status_code == 403


def test_a_class_is_renamed_archived_hidden_and_listed_among_archived(app: FastAPI, hub: Hub):
    tutor = signed_in(hub, Role.TUTOR, app)
    class_id = make_class(tutor)
    bad = tutor.post(f"/tutor/classes/{class_id}", data={"name": "  ", "language": "en"})
    assert bad.status_code == 400 and "Give the class a name of 1 to 80 characters." in bad.text
    tutor.post(
        f"/tutor/classes/{class_id}", data={"name": "Thursday group", "language": "ar", "schedule": "10:00"}
    )
    assert classes.get_class(hub.db, class_id).name == "Thursday group"
    tutor.post(f"/tutor/classes/{class_id}/archive", data={"archived": "yes"})
    assert "Thursday group" not in tutor.get("/tutor/classes").text
    assert "Thursday group" in tutor.get("/tutor/classes?archived=true").text
    refused = tutor.post("/tutor/classes", data={"name": "X", "language": "xx"})
    assert refused.status_code == 400 and "Please choose one of the languages offered." in refused.text


def test_finding_learners_is_paged_and_adding_removing_works(app: FastAPI, hub: Hub):
    tutor = signed_in(hub, Role.TUTOR, app)
    class_id = make_class(tutor)
    for number in range(25):
        learners.create_account(hub.db, f"Pupil {number:02d}", Role.LEARNER, "1234")
    first = tutor.get(f"/tutor/classes/{class_id}/learners?q=pupil")
    assert first.text.count("Add Pupil") == 20 and "Next page" in first.text
    second = tutor.get(f"/tutor/classes/{class_id}/learners?q=pupil&page=1")
    assert second.text.count("Add Pupil") == 5 and "Next page" not in second.text
    pupil = next(a for a in learners.list_accounts(hub.db) if a.name == "Pupil 03")
    tutor.post(f"/tutor/classes/{class_id}/learners", data={"learner_id": pupil.id})
    assert "Pupil 03" in tutor.get(f"/tutor/classes/{class_id}").text
    tutor.post(f"/tutor/classes/{class_id}/learners/{pupil.id}/remove")
    assert hub.db.execute("SELECT count(*) FROM class_learners").fetchone()[0] == 0


@pytest.fixture
def taught(app: FastAPI, hub: Hub) -> tuple[BrowserClient, int, list[bulk.NewLearner]]:
    tutor = signed_in(hub, Role.TUTOR, app)
    class_id = make_class(tutor)
    made = bulk.create_batch(hub.db, class_id, [Entry(1, "Ana"), Entry(2, "Bea")])
    return tutor, class_id, made


def as_learner(app: FastAPI, hub: Hub, learner_id: str) -> BrowserClient:
    client = BrowserClient(app, base_url="http://hub.test")
    client.cookies.set("hub_csrf", "t")
    client.cookies.set("hub_session", learners.start_session(hub.db, learner_id))
    return client


def test_a_due_date_before_the_start_is_refused_and_nothing_is_assigned(app: FastAPI, hub: Hub, taught):
    tutor, class_id, _ = taught
    form = {"what": "course:sample-course", "starts_on": "2026-05-10", "due_on": "2026-05-01"}
    refused = tutor.post(f"/tutor/classes/{class_id}/assignments", data=form)
    assert refused.status_code == 400
    assert "The due date is before the start date." in refused.text
    not_a_date = tutor.post(f"/tutor/classes/{class_id}/assignments", data={**form, "due_on": "31/05/2026"})
    assert "is not a date. Write it as year-month-day" in not_a_date.text
    stranger = tutor.post(f"/tutor/classes/{class_id}/assignments", data={"what": "course:nope"})
    assert stranger.status_code == 400
    assert hub.db.execute("SELECT count(*) FROM assignments").fetchone()[0] == 0


def test_for_you_lists_assignments_in_order_with_due_dates_in_her_language(app: FastAPI, hub: Hub, taught):
    tutor, class_id, (ana, bea) = taught
    pathway = create_pathway(hub.db, "Health first")
    add_course(hub.db, pathway, "sample-course")
    url = f"/tutor/classes/{class_id}/assignments"
    tutor.post(url, data={"what": "course:sample-course", "due_on": "2026-03-31"})
    tutor.post(url, data={"what": f"pathway:{pathway}", "learner": [bea.id]})
    first, second = assignments.assignments_of(hub.db, class_id)
    tutor.post(f"{url}/{second.id}/move", data={"step": "-1"})
    assert [a.title for a in assignments.assignments_of(hub.db, class_id)] == [
        "Health first",
        "Sample course",
    ]
    assert [i.title for i in for_you.for_you(hub, bea.id)] == ["Health first", "Sample course"]
    assert [i.title for i in for_you.for_you(hub, ana.id)] == ["Sample course"]  # the pathway is Bea's only
    home = as_learner(app, hub, ana.id)
    home.cookies.set("hub_lang", "fr")
    page = home.get("/").text
    assert "31 mars 2026" in page
    assert page.index('id="for-you"') < page.index("Sample course")
    tutor.post(f"{url}/{first.id}/remove")
    assert [a.title for a in assignments.assignments_of(hub.db, class_id)] == ["Health first"]


def test_a_course_is_marked_done_when_all_its_lessons_are(app: FastAPI, hub: Hub, taught):
    from hub import progress

    tutor, class_id, (ana, _) = taught
    tutor.post(f"/tutor/classes/{class_id}/assignments", data={"what": "course:sample-course"})
    assert [i.done for i in for_you.for_you(hub, ana.id)] == [False]
    for lesson in ("read-me", "watch", "check"):
        progress.record(hub.db, ana.id, "sample-course", lesson, 1.0)
    assert [i.done for i in for_you.for_you(hub, ana.id)] == [True]


def test_guests_and_learners_in_no_class_see_the_home_page_as_before(app: FastAPI, hub: Hub, client):
    assert 'id="for-you"' not in client.get("/").text
    alone = signed_in(hub, Role.LEARNER, app)
    assert 'id="for-you"' not in alone.get("/").text


def answers_for_sample_quiz(right: bool) -> dict[str, object]:
    return {"q0": "1" if right else "0", "q1": ["0", "2"], "q2": "true", "q3": "20"}


def test_a_class_quiz_is_taken_once_while_open_and_its_answers_shown_after_closing(
    app: FastAPI, hub: Hub, taught
):
    tutor, class_id, (ana, bea) = taught
    picks = [f"sample-course/check/{i}" for i in range(4)]
    made = tutor.post(f"/tutor/classes/{class_id}/quizzes", data={"title": "Week 1", "question": picks})
    assert made.status_code == 200
    (quiz,) = class_quizzes.quizzes_of(hub.db, class_id)
    stored = json.loads(hub.db.execute("SELECT questions FROM class_quizzes").fetchone()[0])
    assert stored[0]["course"] == "sample-course" and stored[0]["question"]["prompt"] == "Pick B"
    tutor.post(f"/tutor/classes/{class_id}/assignments", data={"what": f"quiz:{quiz.id}"})
    ana_web = as_learner(app, hub, ana.id)
    url = f"/classes/quizzes/{quiz.id}"
    assert "not open yet" in ana_web.get(url).text
    assert ana_web.post(url, data=answers_for_sample_quiz(True)).status_code == 409
    assert for_you.for_you(hub, ana.id) == []  # not opened: not in "For you"
    tutor.post(f"/tutor/classes/{class_id}/quizzes/{quiz.id}/open")
    assert "Take the quiz" in ana_web.get("/").text
    form = ana_web.get(url).text
    assert form.count("<fieldset") == 4 and 'name="q3"' in form
    handed = ana_web.post(url, data=answers_for_sample_quiz(False), follow_redirects=False)
    assert handed.status_code == 303
    page = ana_web.get(url).text
    assert "Your answers are in" in page and "Right answer" not in page
    again = ana_web.post(url, data=answers_for_sample_quiz(True))
    assert again.status_code == 409 and "You have already handed in this quiz" in again.text
    assert hub.db.execute("SELECT score, total FROM class_quiz_answers").fetchall() == [(3, 4)]
    tutor.post(f"/tutor/classes/{class_id}/quizzes/{quiz.id}/close")
    assert 'id="for-you"' not in ana_web.get("/").text  # closed: gone from "For you"
    shown = ana_web.get(url).text
    assert "Your score: 3 out of 4" in shown and "Right answer:" in shown and "B is right." in shown
    assert "closed: see your answers" in ana_web.get("/me/classes").text
    assert 'href="/me/classes"' in ana_web.get("/me").text  # where "see your answers" is found
    late = as_learner(app, hub, bea.id).post(url, data=answers_for_sample_quiz(True))
    assert late.status_code == 409 and "This quiz is not open" in late.text
    outsider = signed_in(hub, Role.LEARNER, app)
    assert outsider.get(url).status_code == 404


def test_a_quiz_needs_a_title_and_questions_that_are_on_the_hub(app: FastAPI, hub: Hub, taught):
    tutor, class_id, _ = taught
    url = f"/tutor/classes/{class_id}/quizzes"
    assert "Choose at least one question." in tutor.post(url, data={"title": "Q"}).text
    gone = tutor.post(url, data={"title": "Q", "question": "sample-course/check/99"})
    assert gone.status_code == 400 and "no longer on this hub" in gone.text
    assert (
        "Give the quiz a title"
        in tutor.post(url, data={"title": "", "question": "sample-course/check/0"}).text
    )
    assert class_quizzes.quizzes_of(hub.db, class_id) == []
    picker = tutor.get(f"{url}/new?course=sample-course").text
    assert picker.count('name="question"') == 4


def test_my_data_shows_classes_and_deleting_it_removes_her_from_every_class(app: FastAPI, hub: Hub, taught):
    tutor, class_id, (ana, _) = taught
    tutor.post(
        f"/tutor/classes/{class_id}/quizzes", data={"title": "Week 1", "question": "sample-course/check/0"}
    )
    (quiz,) = class_quizzes.quizzes_of(hub.db, class_id)
    tutor.post(
        f"/tutor/classes/{class_id}/assignments", data={"what": f"quiz:{quiz.id}", "learner": [ana.id]}
    )
    tutor.post(f"/tutor/classes/{class_id}/quizzes/{quiz.id}/open")
    ana_web = as_learner(app, hub, ana.id)
    ana_web.post(f"/classes/quizzes/{quiz.id}", data={"q0": "1"})
    data = ana_web.get("/me/data.json").json()
    assert [c["name"] for c in data["classes"]] == ["Tuesday group"]
    assert [a["title"] for a in data["assignments"]] == ["Week 1"]
    assert data["class_quiz_answers"][0]["score"] == 1
    assert "Tuesday group" in ana_web.get("/me/data").text
    ana_web.post("/me/delete")
    for table in ("class_learners", "assignment_learners", "class_quiz_answers"):
        count = hub.db.execute(f"SELECT count(*) FROM {table} WHERE learner_id = ?", [ana.id]).fetchone()[0]
        assert count == 0, table
