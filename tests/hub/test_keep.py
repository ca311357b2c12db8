"""Keep this course: the page, the jobs that make the booklet and the ZIM, downloads, bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import jobs, library_keep
from hub.home import Hub
from hub.keep import making, store
from hub.keep.documents import MAX_MEDIA_SETTING
from hub.library import import_package
from tests.conftest import write_course

COURSE = "sample-course"
KEEP = f"/keep/courses/{COURSE}"


def run_jobs(hub: Hub) -> list[jobs.Job]:
    """Run the queued keep jobs here, waiting for any the app's own runner thread took meanwhile."""
    deadline = time.monotonic() + 120
    while True:
        jobs.run_queued(hub, {making.KIND: making.run})
        found = jobs.recent_jobs(hub.db, [making.KIND])
        if all(job.finished for job in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def blob_files(hub: Hub) -> set[str]:
    return {p.name for p in (hub.home / "blobs" / "sha256").glob("*/*") if not p.name.endswith(".part")}


def test_every_course_page_links_to_keep_this_course(client: TestClient):
    page = client.get(f"/courses/{COURSE}").text
    assert f'href="{KEEP}"' in page and "Keep this course" in page


def test_the_booklet_is_asked_for_made_by_a_job_then_offered_with_its_size(client: TestClient, hub: Hub):
    page = client.get(KEEP).text
    assert "Make the booklet" in page and "Make the Kiwix file" in page
    assert 'http-equiv="refresh"' not in page
    answer = client.post(f"{KEEP}/make", data={"format": "booklet"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{KEEP}#booklet"
    client.post(f"{KEEP}/make", data={"format": "booklet"})  # asked twice: one job
    waiting = client.get(KEEP).text
    assert "Being made…" in waiting and 'http-equiv="refresh"' in waiting and "<progress" in waiting
    (job,) = run_jobs(hub)
    assert job.state == "done", job.message
    page = client.get(KEEP).text
    kept = store.current(hub.db, hub.blobs, store.course_scope(COURSE), store.BOOKLET)
    assert kept is not None and kept.size > 5000
    assert f"{KEEP}/file/booklet" in page and "Download the booklet" in page and "Being made" not in page
    download = client.get(f"{KEEP}/file/booklet")
    assert download.content[:5] == b"%PDF-" and download.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Sample%20course.pdf" in download.headers["content-disposition"]


def test_a_booklet_is_reused_while_the_version_holds_and_made_again_for_a_new_one(
    client: TestClient, hub: Hub, tmp_path: Path
):
    client.post(f"{KEEP}/make", data={"format": "booklet"})
    run_jobs(hub)
    first = store.current(hub.db, hub.blobs, store.course_scope(COURSE), store.BOOKLET)
    assert first is not None
    client.post(f"{KEEP}/make", data={"format": "booklet"})
    assert not making.pending(hub.db, store.course_scope(COURSE), store.BOOKLET)  # nothing to make
    newer = write_course(
        tmp_path / "v2" / COURSE, **{"course.toml": _toml(version=2, title="Sample course, again")}
    )
    import_package(hub.db, hub.blobs, newer, allow_unverified=True)
    assert store.current(hub.db, hub.blobs, store.course_scope(COURSE), store.BOOKLET) is None
    assert "Make the booklet" in client.get(KEEP).text
    client.post(f"{KEEP}/make", data={"format": "booklet"})
    run_jobs(hub)
    second = store.current(hub.db, hub.blobs, store.course_scope(COURSE), store.BOOKLET)
    assert second is not None and second.sha256 != first.sha256
    assert first.sha256 not in blob_files(hub)  # the stale booklet's file went


def _toml(version: int, title: str) -> str:
    from tests.conftest import SAMPLE_COURSE

    return (
        str(SAMPLE_COURSE["course.toml"])
        .replace("version = 1", f"version = {version}")
        .replace('title = "Sample course"', f'title = "{title}"')
    )


def test_a_video_over_the_size_limit_is_left_out_of_the_zim_with_a_line(client: TestClient, hub: Hub):
    hub.set_setting(MAX_MEDIA_SETTING, 10)  # the sample video has 41 bytes: "huge" here
    client.post(f"{KEEP}/make", data={"format": "zim"})
    client.post(f"{KEEP}/make", data={"format": "booklet"})
    assert all(job.state == "done" for job in run_jobs(hub))
    page = client.get(KEEP).text
    assert page.count("“clip.mp4” (0.1 KB) is too big to go in: it stays on the hub.") == 2
    from libzim.reader import Archive

    kept = store.current(hub.db, hub.blobs, store.course_scope(COURSE), store.ZIM)
    assert kept is not None
    archive = Archive(str(hub.blobs.path(kept.sha256)))
    video = next(f for f in hub.course(COURSE).lessons[1].media)
    assert not archive.has_entry_by_path(f"media/{video.sha256}")
    assert (
        "A text alternative."
        in bytes(archive.get_entry_by_path(f"{COURSE}/watch").get_item().content).decode()
    )


def test_missing_media_is_a_line_not_a_crash(client: TestClient, hub: Hub):
    video = hub.course(COURSE).lessons[1].media[0]
    hub.blobs.path(video.sha256).unlink()
    client.post(f"{KEEP}/make", data={"format": "zim"})
    (job,) = run_jobs(hub)
    assert job.state == "done"
    assert "“clip.mp4” is missing on this hub: it was left out." in client.get(KEEP).text


def test_a_course_removed_while_its_booklet_is_made_ends_the_job_cleanly(app: FastAPI, hub: Hub):
    """`app`, not a started client: a started hub's job runner would add speech blobs meanwhile."""
    before = blob_files(hub)
    other = write_course(Path(hub.home.parent) / "other" / "other-course", **{"course.toml": _other_toml()})
    import_package(hub.db, hub.blobs, other, allow_unverified=True)
    with_other = blob_files(hub)
    job_id = making.queue(hub.db, store.course_scope(COURSE), store.BOOKLET, "http://hub.test/")
    job = jobs.claim_next(hub.db, {making.KIND})
    assert job is not None and job.id == job_id

    def remove_on_first_report(done: int, total: int, message: str) -> None:
        if hub.course(COURSE) is not None:
            library_keep.remove_course(hub.db, hub.blobs, COURSE)
            library_keep.sweep_freed(hub.db, hub.blobs)

    ended = jobs.run_job(hub, job, lambda h, params, report: making.run(h, params, remove_on_first_report))
    assert ended.state == "failed"
    assert ended.message == making.GONE
    assert hub.db.execute("SELECT count(*) FROM keepsakes").fetchone()[0] == 0
    assert blob_files(hub) == with_other - (before - {*_files_of_other(hub)})  # no booklet blob left
    assert hub.course("other-course") is not None  # nothing else changed
    assert not list((hub.home / making.WORK_FOLDER).iterdir())


def _other_toml() -> str:
    return _toml(1, "Another course").replace('id = "sample-course"', 'id = "other-course"')


def _files_of_other(hub: Hub) -> list[str]:
    return [
        row[0] for row in hub.db.execute("SELECT sha256 FROM course_files WHERE course_id = 'other-course'")
    ]


def test_audio_downloads_have_readable_names(hub: Hub, tmp_path: Path):
    from hub.app import create_app, manager_for
    from tests.conftest import BrowserClient

    folder = write_course(
        tmp_path / "audio-course",
        **{
            "course.toml": _toml(1, "Respirer").replace('id = "sample-course"', 'id = "breathe"'),
            "02-watch.md": '+++\ntitle = "Écoute : respirer lentement"\nkind = "audio"\n'
            'media = "media/clip.mp3"\n+++\nBonjour.\n',
            "media/clip.mp3": b"ID3 not really audio",
        },
    )
    import_package(hub.db, hub.blobs, folder, allow_unverified=True)
    client = BrowserClient(
        create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    )
    page = client.get("/keep/courses/breathe").text
    assert 'href="/keep/courses/breathe/audio/1"' in page and "Écoute : respirer lentement" in page
    answer = client.get("/keep/courses/breathe/audio/1")
    assert answer.status_code == 200 and answer.content == b"ID3 not really audio"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="01-ecoute-respirer-lentement.mp3"')
    assert "filename*=UTF-8''01%20%C3%89coute%20respirer%20lentement%20-%20Respirer.mp3" in disposition
    assert client.get("/keep/courses/breathe/audio/2").status_code == 404


def test_pathway_and_library_files_are_offered_to_whom_they_should(hub: Hub, client: TestClient):
    from hub import pathways
    from hub.learners import Role
    from tests.conftest import signed_in

    pathway_id = pathways.create_pathway(hub.db, "Staying well")
    pathways.add_course(hub.db, pathway_id, COURSE)
    assert f"/keep/pathways/{pathway_id}" in client.get("/").text
    assert "Make the Kiwix file" in client.get(f"/keep/pathways/{pathway_id}").text
    client.post(f"/keep/pathways/{pathway_id}/make")
    assert client.get("/keep/library").status_code == 401
    admin = signed_in(hub, Role.ADMIN, client.app)  # type: ignore[arg-type]
    assert "/keep/library" in admin.get("/admin/library").text
    admin.post("/keep/library/make")
    assert sorted(job.state for job in run_jobs(hub)) == ["done", "done"]
    assert admin.get("/keep/library/file/zim").content[:4] == b"ZIM\x04"
    assert client.get(f"/keep/pathways/{pathway_id}/file/zim").content[:4] == b"ZIM\x04"


def test_bad_requests_are_refused_in_words(client: TestClient):
    assert client.get("/keep/courses/no-such-course").status_code == 404
    assert client.post(f"{KEEP}/make", data={"format": "exe"}).status_code == 404
    assert client.get(f"{KEEP}/file/exe").status_code == 404
    assert client.get(f"{KEEP}/file/booklet", follow_redirects=False).status_code == 303  # not made yet
    assert json.loads("[]") == []
