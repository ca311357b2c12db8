"""Retractions on one hub: only the course's publisher (with a key the hub trusts) or the centre may
retract; anything else (an untrusted key, another publisher, a retraction replayed for another course,
a file cut short) is refused with a clear message and nothing changes. A retracted course is hidden
everywhere a resident looks, and residents who had opened it are told why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from content import retraction as statement
from content.package import build_package
from content.retraction import RetractionError
from content.signing import SecretKey, generate_key
from hub import progress, retractions, trust
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.search.documents import library_state
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from tests.conftest import SAMPLE_COURSE, resident, run_hub, signed_in, write_course

REASON = "The advice on burns in lesson 2 is wrong: cool a burn with running water, never ice."


@pytest.fixture
def publisher() -> SecretKey:
    return generate_key()


def _signed_course(hub: Hub, key: SecretKey, tmp_path: Path, course_id: str = "sample-course") -> str:
    toml = str(SAMPLE_COURSE["course.toml"]).replace('"sample-course"', f'"{course_id}"')
    folder = write_course(tmp_path / f"author-{course_id}", **{"course.toml": toml})
    build_package(folder, tmp_path / f"package-{course_id}", key)
    import_package(hub.db, hub.blobs, tmp_path / f"package-{course_id}")
    return course_id


@pytest.fixture
def library(hub: Hub, publisher: SecretKey, tmp_path: Path) -> Hub:
    """A hub that trusts the City Health Office and holds two of its signed courses."""
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    _signed_course(hub, publisher, tmp_path)
    _signed_course(hub, publisher, tmp_path, "first-aid")
    return hub


def _state(hub: Hub) -> tuple[object, ...]:
    return (
        hub.db.execute("SELECT * FROM retractions").fetchall(),
        [c.id for c in hub.courses()],
        sorted(library_state(hub)),
    )


def _retraction(key: SecretKey, course_id: str = "sample-course", version: int | None = None) -> bytes:
    return statement.make(course_id, version, REASON, key, "2026-12-04T10:00:00+00:00").document


def test_the_publisher_retracts_its_course_and_it_is_hidden_from_lists_and_search(
    library: Hub, publisher: SecretKey
) -> None:
    made, new = retractions.take(library, _retraction(publisher))

    assert new and made.course_id == "sample-course"
    assert [c.id for c in library.courses()] == ["first-aid"]
    assert "sample-course" not in library_state(library)
    assert retractions.notice(library.db, "sample-course").reason == REASON
    assert library.course("sample-course") is not None  # kept: the notice names it, records stay
    assert retractions.take(library, _retraction(publisher))[1] is False  # again: nothing new


def test_a_withdrawn_course_is_refused_if_someone_imports_it_again(
    library: Hub, publisher: SecretKey, tmp_path: Path
) -> None:
    from content.errors import ContentError

    retractions.take(library, _retraction(publisher))
    with pytest.raises(ContentError, match=r"was withdrawn by a signed retraction.*cool a burn"):
        import_package(library.db, library.blobs, tmp_path / "package-sample-course")


def test_a_retraction_of_one_version_hides_that_version_only(
    library: Hub, publisher: SecretKey, tmp_path: Path
) -> None:
    retractions.take(library, _retraction(publisher, version=2))
    assert "sample-course" in [c.id for c in library.courses()]  # it holds version 1
    retractions.take(library, _retraction(publisher, version=1))
    assert "sample-course" not in [c.id for c in library.courses()]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("untrusted key", "which may not retract it here"),
        ("trusted key of another publisher", "which may not retract it here"),
        ("replayed for another course", "does not match its signature"),
        ("replayed for another version", "does not match its signature"),
        ("cut short", "not complete JSON: it was cut short"),
        ("manifest signature passed off", "the retraction lacks"),
    ],
)
def test_a_retraction_that_is_not_the_publishers_own_statement_is_refused_and_nothing_changes(
    library: Hub, publisher: SecretKey, tmp_path: Path, case: str, message: str
) -> None:
    stranger = generate_key()
    if case == "trusted key of another publisher":
        trust.trust_key(library.db, stranger.public, "Another trusted publisher")
        _signed_course(library, stranger, tmp_path, "their-course")
    before = _state(library)
    if case in ("untrusted key", "trusted key of another publisher"):
        document = _retraction(stranger)
    elif case.startswith("replayed"):
        data = json.loads(
            _retraction(publisher, "first-aid" if case.endswith("course") else "sample-course", 2)
        )
        data["retraction"]["course" if case.endswith("course") else "version"] = (
            "sample-course" if case.endswith("course") else 1
        )
        document = json.dumps(data).encode()
    elif case == "cut short":
        document = _retraction(publisher)[:-40]
    else:
        document = (tmp_path / "package-sample-course" / "manifest.json").read_bytes()

    with pytest.raises(RetractionError, match=message):
        retractions.take(library, document)

    assert _state(library) == before


def test_a_signature_made_for_something_else_is_not_a_retraction(library: Hub, publisher: SecretKey) -> None:
    from content.package import canonical_json
    from content.signing import sign

    made = json.loads(_retraction(publisher))
    made["signature"] = sign(canonical_json(made["retraction"]), publisher, "commons-hub catalog v1")
    with pytest.raises(RetractionError, match="made for something else"):
        retractions.take(library, canonical_json(made))
    assert library.db.execute("SELECT count(*) FROM retractions").fetchone()[0] == 0


def test_a_key_the_hub_stopped_trusting_may_no_longer_retract(library: Hub, publisher: SecretKey) -> None:
    trust.untrust_key(library.db, publisher.public.id)
    with pytest.raises(RetractionError, match="does not hold sample-course from a publisher it trusts"):
        retractions.take(library, _retraction(publisher))


def test_the_centre_retracts_any_course_with_its_own_key_from_the_admin_page(library: Hub) -> None:
    library.set_setting(ROLE_SETTING, CENTRAL_ROLE)
    admin = signed_in(library, Role.ADMIN)
    page = admin.get("/admin/retractions")
    assert "Make this hub's signing key first" not in page.text and "no signing key yet" in page.text

    trust.ensure_own_key(library.home, library.db, "City learning office")
    answer = admin.post(
        "/admin/retractions", data={"course_id": "first-aid", "scope": "all", "reason": REASON}
    )
    assert answer.status_code == 200, answer.text
    assert "first-aid is hidden on this hub now" in answer.text
    [(signed_as, version)] = library.db.execute("SELECT signed_as, version FROM retractions").fetchall()
    assert (signed_as, version) == ("centre", 0)
    assert "first-aid" not in [c.id for c in library.courses()]

    download = admin.get("/admin/retractions/first-aid/0.json")
    assert statement.read(download.content).reason == REASON


def test_a_hubs_own_key_may_not_retract_a_course_someone_else_published(library: Hub) -> None:
    trust.ensure_own_key(library.home, library.db, "Riverside library")  # not a centre
    admin = signed_in(library, Role.ADMIN)
    answer = admin.post("/admin/retractions", data={"course_id": "first-aid", "reason": REASON})
    assert answer.status_code == 400
    assert "The retraction was refused, nothing was changed" in answer.text
    assert "first-aid" in [c.id for c in library.courses()]


def test_a_retraction_file_uploaded_by_the_admin_is_checked_then_taken(
    library: Hub, publisher: SecretKey
) -> None:
    admin = signed_in(library, Role.ADMIN)
    cut = admin.post(
        "/admin/retractions/file", files={"retraction_file": ("r.json", _retraction(publisher)[:50])}
    )
    assert cut.status_code == 400 and "cut short" in cut.text
    taken = admin.post(
        "/admin/retractions/file", files={"retraction_file": ("r.json", _retraction(publisher))}
    )
    assert taken.status_code == 200 and "sample-course is hidden" in taken.text
    assert REASON in admin.get("/admin/retractions").text


def test_residents_see_the_reason_and_never_the_content(library: Hub, publisher: SecretKey) -> None:
    web, learner = resident(library)
    progress.record(library.db, learner, "sample-course", "read-me", 1.0)
    assert "Important: a course you opened was withdrawn" not in web.get("/").text

    retractions.take(library, _retraction(publisher))

    home = web.get("/").text
    assert "Important: a course you opened was withdrawn" in home and REASON in home
    assert REASON in web.get("/me").text
    course = web.get("/courses/sample-course")
    assert course.status_code == 410 and REASON in course.text and "Read me" not in course.text
    lesson = web.get("/courses/sample-course/read-me")
    assert lesson.status_code == 410 and "Some <strong>text</strong>" not in lesson.text
    assert web.post("/courses/sample-course/read-me/done").status_code == 410
    assert "sample-course" not in web.get("/courses").text
    assert "sample-course" not in web.get("/api/v1/courses").text
    withdrawn = web.get("/api/v1/courses/sample-course")
    assert withdrawn.status_code == 410 and REASON in withdrawn.json()["detail"]
    other, _ = resident(library, "Someone else")
    assert REASON not in other.get("/").text  # only those who had opened it are told on the home page


def test_the_command_line_retracts_with_the_publishers_key_and_another_hub_takes_the_file(
    library: Hub, publisher: SecretKey, tmp_path: Path
) -> None:
    keyfile = tmp_path / "city.key"
    keyfile.write_text(publisher.text())
    out = tmp_path / "retraction.json"
    made = run_hub("content", "retract", "first-aid", "--reason", REASON, "--version", "1", "--sign", keyfile,
                   "-o", out, home=library.home)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "Retracted first-aid version 1: hidden on this hub." in made.stdout
    assert "first-aid" not in [c.id for c in library.courses()]

    other = Hub(tmp_path / "other")
    trust.trust_key(other.db, publisher.public, "City Health Office")
    _signed_course(other, publisher, tmp_path / "o", "first-aid")
    out.write_bytes(out.read_bytes()[:-10])
    cut = run_hub("content", "take-retraction", out, home=other.home)
    assert cut.returncode == 1 and "Refused, nothing was changed" in cut.stdout + cut.stderr
    assert "first-aid" in [c.id for c in other.courses()]


def test_the_command_line_refuses_a_key_that_may_not_retract(library: Hub, tmp_path: Path) -> None:
    keyfile = tmp_path / "stranger.key"
    keyfile.write_text(generate_key().text())
    made = run_hub(
        "content", "retract", "first-aid", "--reason", REASON, "--sign", keyfile, home=library.home
    )
    assert made.returncode == 1
    assert "may not retract it here" in made.stdout + made.stderr
    assert library.db.execute("SELECT count(*) FROM retractions").fetchone()[0] == 0
