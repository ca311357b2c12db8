"""Removing a course while a resident is watching its video, on a real `hub serve` (uvicorn).

The ranged download already under way either completes with every byte asked for or ends
cleanly (the connection closes); the server keeps serving, the file is gone from the disk and
asking for it again is a plain 404.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from content.blobs import hash_file
from hub import learners
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from tests.conftest import Server, write_course
from tests.processes import serve

VIDEO_BYTES = 48 * 1024**2  # larger than the socket buffers between the two, so the read is in flight
START = 1000


def test_removing_a_course_during_a_range_download_does_not_break_the_server(
    tmp_path: Path, servers: list[Server]
):
    home = tmp_path / "home"
    hub = Hub(home)
    folder = write_course(tmp_path / "course")
    with (folder / "media" / "clip.mp4").open("wb") as video:  # a sparse file: zeros, a real 48 MB blob
        video.truncate(VIDEO_BYTES)
    import_package(hub.db, hub.blobs, folder, allow_unverified=True)
    sha256 = hash_file(folder / "media" / "clip.mp4")[0]
    admin = learners.create_account(hub.db, "Ada", Role.ADMIN, "a-long-password")
    session = learners.start_session(hub.db, admin.id, learners.STAFF_SESSION)
    hub.db.conn.close()
    servers.append(server := serve(home))
    media = f"{server.url}/media/{sha256}/clip.mp4"

    received = 0
    with (
        httpx.Client(timeout=30) as watcher,
        watcher.stream("GET", media, headers={"Range": f"bytes={START}-"}) as r,
    ):
        assert r.status_code == 206
        assert int(r.headers["content-length"]) == VIDEO_BYTES - START
        chunks = r.iter_raw(64 * 1024)
        received += len(next(chunks))  # the video has started playing

        with httpx.Client(base_url=server.url, timeout=30) as browser:
            browser.cookies.set("hub_session", session)
            browser.cookies.set("hub_csrf", "t")
            removed = browser.post("/admin/library/sample-course/remove", headers={"X-CSRF-Token": "t"})
            assert removed.status_code == 200 and "was removed" in removed.text

        ended_cleanly = False
        try:
            for chunk in chunks:
                received += len(chunk)
        except httpx.HTTPError:  # the server closed the connection: a clean end, not a hang
            ended_cleanly = True
        assert received == VIDEO_BYTES - START or ended_cleanly
        assert received < VIDEO_BYTES - START or not ended_cleanly

    assert not Hub(home).blobs.has(sha256), "the removed course's video left the disk"
    with httpx.Client(timeout=10) as after:
        assert after.get(media).status_code == 404
        assert after.get(f"{server.url}/").status_code == 200
        assert after.get(f"{server.url}/courses").status_code == 200
    assert server.process.poll() is None, "the server is still running"
