"""/admin/library: the storage view, removing a course from the web, and `hub content remove`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import library_choice, library_keep, progress
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.search import index_for
from tests import coaching_seed as seed
from tests.conftest import BrowserClient, run_hub, signed_in, write_course


def test_the_admin_sees_sizes_confirms_and_removes_a_course(hub: Hub, app: FastAPI):
    admin = signed_in(hub, Role.ADMIN, app)
    dashboard = admin.get("/admin")
    assert 'href="/admin/library"' in dashboard.text and "free (disk" in dashboard.text
    page = admin.get("/admin/library")
    assert page.status_code == 200
    assert 'href="/admin/library/sample-course/remove"' in page.text
    plan = library_keep.removal_plan(hub.db, "sample-course")
    assert plan is not None and plan.frees_bytes > 0
    confirm = admin.get("/admin/library/sample-course/remove")
    assert "Space it frees" in confirm.text and "Remove it and free" in confirm.text
    assert hub.course("sample-course") is not None, "looking at the confirmation removes nothing"
    done = admin.post("/admin/library/sample-course/remove")
    assert done.status_code == 200
    assert "“Sample course” was removed. Space freed:" in done.text
    assert 'href="/admin/library/sample-course/remove"' not in done.text
    assert hub.course("sample-course") is None
    assert "sample-course" in library_choice.load_choice(hub).declined, "a sync must not bring it back"
    assert admin.post("/admin/library/sample-course/remove").status_code == 404


def test_only_admins_remove_courses(hub: Hub, app: FastAPI):
    tutor = signed_in(hub, Role.TUTOR, app)
    assert tutor.get("/admin/library").status_code == 403
    assert tutor.post("/admin/library/sample-course/remove").status_code == 403
    with TestClient(app, base_url="http://hub.test") as stranger:
        stranger.cookies.set("hub_csrf", "t")
        refused = stranger.post(
            "/admin/library/sample-course/remove", headers={"X-CSRF-Token": "t"}, follow_redirects=False
        )
        assert refused.status_code in (303, 401)  # to first-run setup while the hub has no admin
    assert hub.course("sample-course") is not None


def test_the_storage_view_warns_before_the_disk_is_90_percent_full(
    hub: Hub, app: FastAPI, monkeypatch: pytest.MonkeyPatch
):
    admin = signed_in(hub, Role.ADMIN, app)
    monkeypatch.setattr(library_keep, "disk_space", lambda path: (100 * 1024**3, 40 * 1024**3))
    assert "Warning" not in admin.get("/admin/library").text
    monkeypatch.setattr(library_keep, "disk_space", lambda path: (100 * 1024**3, 13 * 1024**3))
    page = admin.get("/admin/library")
    assert "Warning: the disk is 87% full." in page.text
    assert "Warning: the disk is nearly full." in admin.get("/admin").text


def test_the_storage_view_pages_through_many_courses(hub: Hub, app: FastAPI, tmp_path: Path):
    for number in range(3):
        folder = write_course(
            tmp_path / f"c{number}",
            **{
                "course.toml": f'id = "course-{number}"\nversion = 1\ntitle = "Course {number}"\n'
                'language = "en"\npublisher = "Test"\n',
                "media/clip.mp4": b"x" * (1000 * (number + 1)),
            },
        )
        import_package(hub.db, hub.blobs, folder, allow_unverified=True)
    view = library_keep.storage(hub.db, hub.home, page=2, per_page=2)
    assert (view.page, view.pages, view.course_count) == (2, 2, 4)
    first = library_keep.storage(hub.db, hub.home, page=1, per_page=2)
    assert first.courses[0].size_bytes >= first.courses[1].size_bytes >= view.courses[0].size_bytes
    admin = signed_in(hub, Role.ADMIN, app)
    assert admin.get("/admin/library?page=abc").status_code == 200


def test_learners_see_course_removed_and_search_forgets_it_at_once(hub: Hub, app: FastAPI):
    learner = signed_in(hub, Role.LEARNER, app)
    learner_id = hub.db.execute("SELECT id FROM learners WHERE role = 'learner'").fetchone()[0]
    tutor = signed_in(hub, Role.TUTOR, app)
    tutor_id = hub.db.execute("SELECT id FROM learners WHERE role = 'tutor'").fetchone()[0]
    class_id = seed.add_class(hub.db, "Evening", [tutor_id], [learner_id])
    seed.assign(hub.db, class_id, "course", "sample-course", 0)
    progress.record(hub.db, learner_id, "sample-course", "read-me", 1.0)
    admin = signed_in(hub, Role.ADMIN, app)
    with admin:  # starts the app, and its search index
        assert index_for(hub).wait_ready(30)
        assert "Sample course" in admin.get("/search", params={"q": "soap"}).text
        admin.post("/admin/library/sample-course/remove")
        assert "Sample course" not in admin.get("/search", params={"q": "soap"}).text  # no waiting
    me = learner.get("/me").text
    assert "Courses removed from this hub" in me and "Sample course" in me and "course removed" in me
    data = learner.get("/me/data").text
    assert "course removed" in data and "Sample course" in data
    report = tutor.get(f"/tutor/classes/{class_id}/learners/{learner_id}")
    assert report.status_code == 200 and "Sample course" in report.text and "course removed" in report.text
    assert (
        "Sample course (course removed)"
        in tutor.get(f"/tutor/classes/{class_id}/learners/{learner_id}?format=csv&table=lessons").text
    )
    grid = tutor.get(f"/tutor/classes/{class_id}/report")
    assert grid.status_code == 200 and "Sample course" in grid.text
    index_for(hub).stop()


def test_the_confirmation_of_a_course_that_is_not_there_is_a_404(hub: Hub, app: FastAPI):
    admin = signed_in(hub, Role.ADMIN, app)
    assert admin.get("/admin/library/nothing-here/remove").status_code == 404


def test_hub_content_remove_asks_shows_what_it_frees_and_removes(tmp_path: Path, course_folder: Path):
    home = tmp_path / "home"
    hub = Hub(home)
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    missing = run_hub("content", "remove", "nothing-here", home=home)
    assert missing.returncode == 1 and "there is no course 'nothing-here'" in missing.stdout
    done = run_hub("content", "remove", "sample-course", "--yes", home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Frees " in done.stdout and "Removed sample-course: Sample course. Space freed:" in done.stdout
    assert hub.course("sample-course") is None
    assert not list((home / "blobs" / "sha256").glob("*/*"))


def test_a_new_app_on_a_hub_with_removed_courses_starts(hub: Hub, course_folder: Path):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    library_keep.remove_course(hub.db, hub.blobs, "sample-course")
    with BrowserClient(
        create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    ) as c:
        assert c.get("/").status_code == 200
    index_for(hub).stop()
