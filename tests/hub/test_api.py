from fastapi.testclient import TestClient

from tests.conftest import foreign_scripts


def test_courses_list_and_filters(client: TestClient):
    courses = client.get("/api/v1/courses").json()
    assert [c["id"] for c in courses] == ["sample-course"]
    assert courses[0]["url"] == "/api/v1/courses/sample-course"
    assert client.get("/api/v1/courses?lang=fr").json() == []
    assert len(client.get("/api/v1/courses?topic=hygiene").json()) == 1


def test_course_detail(client: TestClient):
    course = client.get("/api/v1/courses/sample-course").json()
    assert course["publisher"] == "Test team"
    assert [lesson["kind"] for lesson in course["lessons"]] == ["article", "video", "quiz"]
    assert client.get("/api/v1/courses/nope").status_code == 404


def test_lesson_detail_hides_quiz_answers(client: TestClient):
    video = client.get("/api/v1/courses/sample-course/lessons/watch").json()
    assert video["media"][0]["url"].startswith("/media/")
    assert video["captions"][0]["language"] == "en"
    quiz = client.get("/api/v1/courses/sample-course/lessons/check").json()
    assert quiz["questions"][0] == {"type": "single", "prompt": "Pick B", "choices": ["A", "B"], "unit": ""}
    assert "answer" not in str(quiz)
    assert client.get("/api/v1/courses/sample-course/lessons/nope").status_code == 404


def test_progress_round_trip(client: TestClient):
    assert client.get("/api/v1/progress").json() == []
    saved = client.post(
        "/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "watch", "progress": 0.5}
    )
    assert saved.status_code == 204
    client.post(
        "/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "watch", "progress": 0.2}
    )
    [row] = client.get("/api/v1/progress").json()
    assert (row["lesson_id"], row["progress"], row["completed_at"]) == ("watch", 0.5, None)


def test_progress_rejects_bad_input(client: TestClient):
    too_much = client.post(
        "/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "watch", "progress": 2}
    )
    assert too_much.status_code == 422
    unknown = client.post("/api/v1/progress", json={"course_id": "x", "lesson_id": "y", "progress": 1})
    assert unknown.status_code == 404
    assert client.post("/api/v1/progress", content=b"{broken").status_code == 422


def test_numbers_json_cannot_carry_are_refused_not_a_server_error(client: TestClient):
    """Python's JSON reader takes NaN and Infinity; FastAPI's 422 echoed them back and failed (500)."""
    for number in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        body = b'{"course_id": "sample-course", "lesson_id": "watch", "progress": ' + number + b"}"
        refused = client.post("/api/v1/progress", content=body, headers={"content-type": "application/json"})
        assert refused.status_code == 422 and "progress" in refused.text
    quiz = b'{"answers": {"3": [NaN]}}'
    answer = client.post("/api/v1/courses/sample-course/lessons/check/quiz", content=quiz,
                         headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 422
    assert client.get("/api/v1/progress").json() == []


def test_time_spent_adds_up_and_bad_time_is_refused(client: TestClient):
    lesson = {"course_id": "sample-course", "lesson_id": "watch", "progress": 0.3}
    client.post("/api/v1/progress", json={**lesson, "seconds": 40})
    client.post("/api/v1/progress", json={**lesson, "seconds": 25})
    for bad in (-5, 10**7, "soon"):
        refused = client.post("/api/v1/progress", json={**lesson, "seconds": bad})
        assert refused.status_code == 422 and "seconds" in refused.text
    [row] = client.get("/api/v1/progress").json()
    assert (row["progress"], row["seconds"]) == (0.3, 65)


def test_quiz_grading(client: TestClient):
    result = client.post(
        "/api/v1/courses/sample-course/lessons/check/quiz",
        json={"answers": {"0": ["1"], "1": ["0", "2"], "2": ["true"], "3": ["19.5"]}},
    ).json()
    assert (result["score"], result["total"], result["passed"]) == (4, 4, True)
    assert result["results"][0]["explanation"] == "B is right."
    not_quiz = client.post("/api/v1/courses/sample-course/lessons/watch/quiz", json={"answers": {}})
    assert not_quiz.status_code == 422


def test_openapi_describes_the_api(client: TestClient):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/courses" in schema["paths"]
    assert "/api/v1/progress" in schema["paths"]


def test_api_docs_page_lists_every_path_without_external_assets(client: TestClient):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "GET /api/v1/courses/{course_id}" in page.text
    assert "POST /api/v1/progress" in page.text
    assert "cdn" not in page.text.lower()
    assert not foreign_scripts(page.text)
