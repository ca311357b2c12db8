"""/admin/bundles: an admin exports onto a stick and imports from it with buttons, as
`hub bundle export|import` does; the work runs as jobs, the page says how it went, and every
refusal leaves the hub as it was."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from hub import jobs
from hub.app import manager_for
from hub.home import Hub
from hub.learners import Role
from hub.settings import load_settings, save_settings
from sync import bundle
from tests.conftest import BrowserClient, signed_in
from tests.sync.states import logged_state, stored_state
from tests.sync.test_bundle import _hub, _learn, _snapshot


def _offer(hub: Hub, stick: Path, name: str) -> None:
    save_settings(hub, replace(load_settings(hub), import_folders=[str(stick)], hub_name=name))


def _choice(hub: Hub, stick: Path) -> str:
    """The value the page's hidden field gives the stick (the system's mount folders come first)."""
    from hub.plugins.bundles import sticks

    return next(found.choice for found in sticks.find_sticks(hub) if found.path == stick)


@contextmanager
def _browser(hub: Hub, role: Role) -> Iterator[BrowserClient]:
    """A signed-in browser; the app's own job runner is not started (the test runs the jobs)."""
    web = signed_in(hub, role)
    web.follow_redirects = False
    yield web
    web.close()


def _run_jobs(hub: Hub) -> list[jobs.Job]:
    """What the job runner does in the background, done here and now."""
    jobs.run_queued(hub, jobs.job_functions(manager_for(hub, load_entry_points=False)))
    return jobs.recent_jobs(hub.db, ("bundle-export", "bundle-import"))


@pytest.fixture
def rooms(tmp_path: Path) -> tuple[Hub, Hub, Path]:
    """Two hubs that share a stick (a folder each admin added in Settings); one has progress."""
    stick = tmp_path / "stick"
    stick.mkdir()
    one, two = _hub(tmp_path, "one"), _hub(tmp_path, "two")
    _offer(one, stick, "Riverside library")
    _offer(two, stick, "Hilltop clinic")
    _learn(one, "ana", 0.4, seconds=60)
    _learn(one, "bo", 1.0, seconds=30)
    return one, two, stick


def _export_with_the_button(hub: Hub, admin: BrowserClient, stick: Path) -> jobs.Job:
    queued = admin.post("/admin/bundles/export", data={"stick": _choice(hub, stick)})
    assert queued.status_code == 303, queued.text
    return _run_jobs(hub)[0]


def test_an_admin_carries_progress_from_one_hub_to_another_with_the_buttons(rooms):
    one, two, stick = rooms
    with _browser(one, Role.ADMIN) as admin:
        assert 'href="/admin/bundles"' in admin.get("/admin").text
        page = admin.get("/admin/bundles").text
        assert f"USB stick {stick.name}" in page and one.device.id in page
        assert "No hub has written onto this stick" in page
        exported = _export_with_the_button(one, admin, stick)
        assert exported.state == "done" and exported.result["changes_written"] == 6
        page = admin.get("/admin/bundles").text
        assert "6 new progress changes written" in page and "This hub" in page

    with _browser(two, Role.ADMIN) as admin:
        page = admin.get("/admin/bundles").text
        assert "Riverside library" in page and "not introduced" in page
        assert f'name="trust" value="{one.device.id}"' in page
        admin.post("/admin/bundles/import", data={"stick": _choice(two, stick)})
        refused = _run_jobs(two)[0]
        assert refused.state == "failed" and "has not been introduced" in refused.message
        assert store_is_empty(two)

        queued = admin.post(
            "/admin/bundles/import", data={"stick": _choice(two, stick), "trust": one.device.id}
        )
        assert queued.status_code == 303
        imported = _run_jobs(two)[0]
        assert imported.state == "done", imported.message
        assert imported.result["new_changes"] == 6 and imported.result["written_back"] is not None
        page = admin.get("/admin/bundles").text
        assert "6 new progress changes taken in" in page and "from 1 hub" in page
        assert "not introduced" not in page  # one is introduced now: its next sticks are read as they come
    assert stored_state(two) == logged_state(one, two)
    acknowledgement = stick / bundle.ROOT / two.device.id / bundle.BUNDLE_FILE
    assert json.loads(acknowledgement.read_bytes())["signed"]["name"] == "Hilltop clinic"


def store_is_empty(hub: Hub) -> bool:
    return not hub.db.execute("SELECT 1 FROM progress").fetchall()


def test_a_tampered_stick_fails_the_job_in_plain_words_and_changes_nothing(rooms):
    one, two, stick = rooms
    with _browser(one, Role.ADMIN) as admin:
        _export_with_the_button(one, admin, stick)
    [segment] = list((stick / bundle.ROOT / one.device.id / "logs").rglob("*.jsonl"))
    lines = segment.read_text().splitlines()
    line = json.loads(lines[0])
    line["change"]["progress"] = 0.9  # same length: the signature, not the size, gives it away
    lines[0] = json.dumps(line, sort_keys=True, separators=(",", ":"))
    segment.write_text("\n".join(lines) + "\n")
    before = _snapshot(two)
    with _browser(two, Role.ADMIN) as admin:
        admin.post("/admin/bundles/import", data={"stick": _choice(two, stick), "trust": one.device.id})
        failed = _run_jobs(two)[0]
        assert (
            failed.state == "failed"
            and "was changed" in failed.message
            and "nothing was imported" in failed.message
        )
        assert failed.message in admin.get("/admin/bundles").text
    assert _snapshot(two) == before


def test_a_stick_pulled_out_before_the_job_ran_is_said_so(rooms):
    one, _, stick = rooms
    with _browser(one, Role.ADMIN) as admin:
        admin.post("/admin/bundles/export", data={"stick": _choice(one, stick)})
        stick.rmdir()
        failed = _run_jobs(one)[0]
    assert failed.state == "failed" and "was the USB stick removed?" in failed.message


def test_choices_the_page_cannot_act_on_are_refused_and_queue_nothing(rooms):
    one, two, stick = rooms
    with _browser(two, Role.ADMIN) as admin:
        nothing = admin.post("/admin/bundles/import", data={"stick": _choice(two, stick)})
        assert nothing.status_code == 400 and "nothing to import" in nothing.text
        for elsewhere in ("99:", f"{_choice(two, stick)}../../etc", f"{_choice(two, stick)}commons-hub"):
            refused = admin.post("/admin/bundles/export", data={"stick": elsewhere})
            assert refused.status_code == 400 and "is not offered any more" in refused.text
    with _browser(one, Role.ADMIN) as admin:
        _export_with_the_button(one, admin, stick)
    with _browser(two, Role.ADMIN) as admin:
        stranger = admin.post("/admin/bundles/import", data={"stick": _choice(two, stick), "trust": "x" * 26})
        assert stranger.status_code == 400 and "Only hubs whose folders are on this stick" in stranger.text
        assert admin.post("/admin/bundles/export", data={"stick": _choice(two, stick)}).status_code == 303
        twice = admin.post("/admin/bundles/export", data={"stick": _choice(two, stick)})
        assert twice.status_code == 400 and "under way" in twice.text
    assert [job.kind for job in jobs.recent_jobs(two.db, ("bundle-export", "bundle-import"))] == [
        "bundle-export"
    ]


def test_only_an_admin_with_the_form_token_may_press_the_buttons(rooms):
    one, _, stick = rooms
    with _browser(one, Role.TUTOR) as tutor:
        assert tutor.get("/admin/bundles").status_code == 403
        assert tutor.post("/admin/bundles/export", data={"stick": _choice(one, stick)}).status_code == 403
    with _browser(one, Role.ADMIN) as admin:
        forged = admin.post(
            "/admin/bundles/export", data={"stick": _choice(one, stick)}, headers={"X-CSRF-Token": "forged"}
        )
        assert forged.status_code == 403
    assert jobs.recent_jobs(one.db, ("bundle-export", "bundle-import")) == []


def test_a_tutors_work_page_leaves_out_the_admins_jobs(rooms):
    one, _, stick = rooms
    with _browser(one, Role.ADMIN) as admin:
        _export_with_the_button(one, admin, stick)
        work = admin.get("/tutor/jobs").text
    assert "Nothing has run yet." in work and "bundle-export" not in work


def test_a_stick_with_a_planted_link_is_refused_and_the_hubs_files_stay(rooms):
    one, _, stick = rooms
    (stick / bundle.ROOT / "someone").mkdir(parents=True)
    (stick / bundle.ROOT / "someone" / bundle.BUNDLE_FILE).write_text('{"signed": {"courses": []}}')
    data = b"a course file"
    one.blobs.put_stream([data], hashlib.sha256(data).hexdigest(), len(data))
    hub_blobs = one.blobs.root / "blobs"
    (stick / bundle.ROOT / bundle.BLOBS).symlink_to(hub_blobs)  # export would sweep "its" blobs
    held = sorted(hub_blobs.rglob("*"))
    with _browser(one, Role.ADMIN) as admin:
        failed = _export_with_the_button(one, admin, stick)
    assert failed.state == "failed" and "the stick holds a link (commons-hub/blobs)" in failed.message
    assert held and sorted(hub_blobs.rglob("*")) == held


def test_a_stick_whose_bundle_is_nested_too_deep_still_shows_the_page(rooms):
    one, _, stick = rooms
    (stick / bundle.ROOT / "deep").mkdir(parents=True)
    (stick / bundle.ROOT / "deep" / bundle.BUNDLE_FILE).write_text("[" * 100_000 + "]" * 100_000)
    with _browser(one, Role.ADMIN) as admin:
        page = admin.get("/admin/bundles")
    assert page.status_code == 200 and "export did not finish" in page.text


def test_an_import_whose_answer_cannot_be_written_back_says_what_came_in(rooms, monkeypatch):
    one, two, stick = rooms
    with _browser(one, Role.ADMIN) as admin:
        _export_with_the_button(one, admin, stick)

    def stick_pulled_out(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(bundle, "export", stick_pulled_out)
    with _browser(two, Role.ADMIN) as admin:
        admin.post("/admin/bundles/import", data={"stick": _choice(two, stick), "trust": one.device.id})
        job = _run_jobs(two)[0]
        assert job.state == "done" and job.result["new_changes"] == 6
        page = admin.get("/admin/bundles").text
    assert "6 new progress changes taken in" in page
    assert "answer could not be written back onto the stick: could not write onto" in page
    assert stored_state(two) == logged_state(one, two)
