"""Updates, "what changed" and review dates: a new version may wait for a tutor's approval (approve
applies it, decline keeps the current one); residents who finished an older version are told it was
updated and what changed; tutors and admins see the courses past their review date."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.package import MANIFEST, build_package, decode_manifest, manifest_bytes
from content.signing import SecretKey, generate_key
from content.starter import course_folders
from hub import progress, reviews, trust, updates
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.bundles import carry
from tests.conftest import SAMPLE_COURSE, BrowserClient, resident, signed_in, write_course

CHANGED = "Lesson 2 now says to cool a burn for 20 minutes."


def _package(tmp_path: Path, key: SecretKey, version: int, **fields: str) -> Path:
    extra = "".join(f'{name} = "{value}"\n' for name, value in fields.items())
    toml = str(SAMPLE_COURSE["course.toml"]).replace("version = 1", f"version = {version}") + extra
    folder = write_course(tmp_path / f"author-v{version}", **{"course.toml": toml})
    build_package(folder, tmp_path / f"package-v{version}", key)
    return tmp_path / f"package-v{version}"


@pytest.fixture
def key() -> SecretKey:
    return generate_key()


@pytest.fixture
def signed_hub(hub: Hub, key: SecretKey, tmp_path: Path) -> Hub:
    trust.trust_key(hub.db, key.public, "City Health Office")
    import_package(hub.db, hub.blobs, _package(tmp_path, key, 1))
    return hub


def test_a_manifest_without_the_new_fields_keeps_its_exact_bytes(tmp_path: Path, key: SecretKey) -> None:
    raw = (_package(tmp_path, key, 1) / MANIFEST).read_bytes()
    assert b"what_changed" not in raw and b"review_by" not in raw
    assert manifest_bytes(decode_manifest(raw)) == raw  # old signatures still match


def test_review_by_before_last_reviewed_is_refused(tmp_path: Path, key: SecretKey) -> None:
    from content.errors import ContentError

    with pytest.raises(ContentError, match="review_by must not be before last_reviewed"):
        _package(tmp_path, key, 1, last_reviewed="2026-05-01", review_by="2025-05-01")


def test_every_starter_health_course_carries_its_review_dates() -> None:
    from content.author import read_author_folder

    for folder in course_folders():
        course = read_author_folder(folder).manifest.course
        if "health" in course.topics:
            assert course.last_reviewed and course.review_by and course.review_by > course.last_reviewed, (
                folder
            )


def _stick_from(tmp_path: Path, key: SecretKey, version: int) -> tuple[Path, str]:
    """A stick on which another hub (holding `version` of the course) wrote its folder."""
    other = Hub(tmp_path / f"other-{version}")
    trust.trust_key(other.db, key.public, "City Health Office")
    import_package(other.db, other.blobs, _package(tmp_path / "o", key, version, what_changed=CHANGED))
    stick = tmp_path / f"stick-{version}"
    stick.mkdir()
    carry.export_to(other, stick)
    return stick, other.device.id


def test_a_version_from_a_stick_waits_then_a_tutor_approves_it_on_the_web(
    signed_hub: Hub, key: SecretKey, tmp_path: Path
) -> None:
    updates.set_policy(signed_hub, updates.APPROVAL)
    stick, device = _stick_from(tmp_path, key, 2)
    taken = carry.import_from(signed_hub, stick, {device}, write_back=False)
    assert taken.waiting_approval == ["sample-course v2"] and taken.imported == []
    assert signed_hub.course("sample-course").course.version == 1

    tutor = signed_in(signed_hub, Role.TUTOR)
    page = tutor.get("/tutor/updates").text
    assert CHANGED in page and "How new versions come in" not in page  # the setting is the admin's
    assert tutor.post("/admin/updates/policy", data={"policy": "automatic"}).status_code == 403
    approved = tutor.post("/tutor/updates/sample-course/2/approve")
    assert approved.status_code == 200 and "is now at version 2" in approved.text
    assert signed_hub.course("sample-course").course.what_changed == CHANGED
    assert updates.pending(signed_hub.db) == []


def test_declining_keeps_the_current_version_and_the_stick_does_not_offer_it_again(
    signed_hub: Hub, key: SecretKey, tmp_path: Path
) -> None:
    updates.set_policy(signed_hub, updates.APPROVAL)
    stick, device = _stick_from(tmp_path, key, 2)
    carry.import_from(signed_hub, stick, {device}, write_back=False)

    admin = signed_in(signed_hub, Role.ADMIN)
    assert "Declined" in admin.post("/tutor/updates/sample-course/2/decline").text
    assert signed_hub.course("sample-course").course.version == 1
    again = carry.import_from(signed_hub, stick, set(), write_back=False)
    assert again.waiting_approval == [] and again.imported == []
    assert admin.post("/tutor/updates/sample-course/2/approve").status_code == 409


def test_the_admin_chooses_approval_and_back_on_the_web(signed_hub: Hub) -> None:
    admin = signed_in(signed_hub, Role.ADMIN)
    assert updates.policy(signed_hub) == updates.AUTOMATIC  # today's behaviour by default
    assert "How new versions come in" in admin.get("/tutor/updates").text
    admin.post("/admin/updates/policy", data={"policy": "approval"})
    assert updates.policy(signed_hub) == updates.APPROVAL
    admin.post("/admin/updates/policy", data={"policy": "anything"})
    assert updates.policy(signed_hub) == updates.AUTOMATIC


def test_a_resident_who_finished_version_1_is_told_it_was_updated_and_what_changed(
    signed_hub: Hub, key: SecretKey, tmp_path: Path
) -> None:
    web, learner = resident(signed_hub)
    for lesson in signed_hub.course("sample-course").lessons:
        progress.record(signed_hub.db, learner, "sample-course", lesson.id, 1.0)
    signed_hub.db.execute("UPDATE progress SET completed_at = '2026-01-01T10:00:00+00:00'")
    assert "Updated since you finished it" not in web.get("/courses/sample-course").text

    import_package(signed_hub.db, signed_hub.blobs, _package(tmp_path, key, 2, what_changed=CHANGED))

    course = web.get("/courses/sample-course").text
    assert "Updated since you finished it." in course and CHANGED in course
    mine = web.get("/me").text
    assert "Updated since you finished it" in mine and CHANGED in mine
    newcomer, _ = resident(signed_hub, "Someone new")
    page = newcomer.get("/courses/sample-course").text
    assert "Updated since you finished it" not in page and "What changed in version 2:" in page


def test_residents_see_last_reviewed_and_staff_see_what_is_past_review(
    hub: Hub, key: SecretKey, tmp_path: Path
) -> None:
    trust.trust_key(hub.db, key.public, "City Health Office")
    import_package(
        hub.db, hub.blobs, _package(tmp_path, key, 1, last_reviewed="2024-03-01", review_by="2025-03-01")
    )
    assert [d.course_id for d in reviews.past_review(hub.db, "2026-12-04")] == ["sample-course"]
    assert reviews.past_review(hub.db, "2025-02-28") == []

    resident = BrowserClient(
        create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    )
    page = resident.get("/courses/sample-course").text
    assert "Last reviewed: Mar 1, 2024" in page and "2025" not in page  # residents see the first date only
    tutor = signed_in(hub, Role.TUTOR)
    listed = tutor.get("/tutor/reviews").text
    assert "Sample course" in listed and "2025-03-01" in listed
    assert 'href="/tutor/reviews"' in tutor.get("/tutor").text
    admin = signed_in(hub, Role.ADMIN)
    assert "1 course is past its review date" in admin.get("/admin").text
    assert resident.get("/tutor/reviews", follow_redirects=False).status_code in (303, 401, 403)


def test_what_changed_is_written_in_the_studio_when_publishing_a_new_version(hub: Hub) -> None:
    from tests.hub.test_studio import DRAFT, EDITOR, STUDIO, client_for, write_small_course

    app = create_app(hub, manager_for(hub, load_entry_points=False))
    tutor = client_for(app, hub, Role.TUTOR)
    write_small_course(tutor)
    assert 'name="what_changed"' not in tutor.get(EDITOR).text  # a first version has nothing to compare
    tutor.post(f"{EDITOR}/publish")
    tutor.post(f"{STUDIO}/courses/{DRAFT}/edit")
    assert 'name="what_changed"' in tutor.get(EDITOR).text
    tutor.post(f"{EDITOR}/publish", data={"what_changed": "  A new  lesson on   stairs. "})
    assert hub.course(DRAFT).course.what_changed == "A new lesson on stairs."
    tutor.post(f"{STUDIO}/courses/{DRAFT}/edit")
    tutor.post(f"{EDITOR}/publish")
    assert hub.course(DRAFT).course.what_changed == ""  # never carried over to the next version
