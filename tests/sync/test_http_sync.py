"""Client ↔ server through real processes on loopback: a `hub serve --role central`, a hub run
with `hub sync enroll` and `hub sync now`, and a fault proxy between them that cuts and
corrupts. Content published centrally arrives verified; progress arrives once, equal to what
a USB bundle carries; cut blobs resume from their .part file; cut pages repeat harmlessly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from content.package import build_package
from hub import progress, trust
from hub.db import transaction
from hub.home import Hub
from hub.library import import_package
from hub.plugins.sync import client
from sync import bundle, feed, store
from tests.conftest import run_hub, write_course
from tests.processes import free_port
from tests.sync.proxy import Fault, FaultProxy
from tests.sync.states import sharing_ids, stored_state

MEDIA_BYTES = 3 * 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def centre_home(tmp_path: Path) -> Iterator[Path]:
    """A central server's data folder with one signed course, served by a real process."""
    home = tmp_path / "central"
    centre = Hub(home)
    centre.set_setting("hub_name", "City learning office")
    centre.set_setting("starter_imported", True)  # a faster start: only the course below
    key = trust.ensure_own_key(home, centre.db, "City learning office")
    folder = write_course(tmp_path / "author")
    (folder / "media" / "clip.mp4").write_bytes(os.urandom(MEDIA_BYTES))
    build_package(folder, tmp_path / "package", key)
    import_package(centre.db, centre.blobs, tmp_path / "package")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--role", "central", "--home", str(home),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        home.joinpath("port").write_text(str(port))
        yield home
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def proxy(centre_home: Path) -> Iterator[FaultProxy]:
    faulty = FaultProxy(int(centre_home.joinpath("port").read_text()))
    yield faulty
    faulty.close()


@pytest.fixture
def hub_home(tmp_path: Path, centre_home: Path, proxy: FaultProxy) -> Path:
    home = tmp_path / "hub"
    sharing_ids(Hub(home)).set_setting("starter_imported", True)
    made = run_hub("sync", "token", "create", "--name", "Riverside", home=centre_home)
    assert made.returncode == 0, made.stdout
    token = made.stdout.strip().splitlines()[-1]
    enrolled = run_hub("sync", "enroll", f"http://127.0.0.1:{proxy.port}", token, home=home)
    assert enrolled.returncode == 0, enrolled.stdout
    again = run_hub("sync", "enroll", f"http://127.0.0.1:{proxy.port}", token, home=tmp_path / "thief")
    assert again.returncode == 1 and "already used" in again.stdout
    return home


def _media_sha(home: Path) -> str:
    return Hub(home).db.execute("SELECT sha256 FROM files WHERE media_type = 'video/mp4'").fetchone()[0]


def test_content_and_progress_travel_and_match_the_usb_route(
    tmp_path: Path, centre_home: Path, hub_home: Path, proxy: FaultProxy
) -> None:
    hub = Hub(hub_home)
    progress.record(hub.db, "ana", "sample-course", "read-me", 1.0, seconds=90)
    progress.record(hub.db, "ana", "sample-course", "watch", 0.5, seconds=40)
    stick, by_usb = tmp_path / "stick", Hub(tmp_path / "usb-centre")
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    bundle.export(hub.db, hub.device, stick)  # the same progress, carried by hand instead
    done = run_hub("sync", "now", home=hub_home)
    assert done.returncode == 0, done.stdout
    assert "Brought in sample-course v1" in done.stdout and "Pushed 2 progress changes" in done.stdout
    card = next(c for c in Hub(hub_home).courses() if c.id == "sample-course")
    assert card.source.status == "verified" and card.source.name == "City learning office"
    over_http = stored_state(Hub(centre_home))

    incoming = bundle.read_stick(by_usb.db, by_usb.device.id, stick, {hub.device.id})
    with transaction(by_usb.db):
        bundle.apply(by_usb.db, incoming)
    assert stored_state(by_usb) == over_http == stored_state(hub)


def test_a_blob_cut_at_half_resumes_and_a_corrupted_blob_is_fetched_again(
    centre_home: Path, hub_home: Path, proxy: FaultProxy
) -> None:
    proxy.faults.append(Fault(b"/blobs/", cut_after=MEDIA_BYTES // 2))
    cut = run_hub("sync", "now", home=hub_home)
    assert cut.returncode == 1 and "resumes from there" in cut.stdout
    part = hub_home / client.PARTS_FOLDER / f"{_media_sha(centre_home)}.part"
    assert part.stat().st_size == MEDIA_BYTES // 2
    proxy.count(b"/blobs/")
    resumed = run_hub("sync", "now", home=hub_home)
    assert resumed.returncode == 0, resumed.stdout
    resent = proxy.body_bytes[b"/blobs/"] - (MEDIA_BYTES - MEDIA_BYTES // 2)
    blobs = (centre_home / "blobs").rglob("*")
    small_files = sum(f.stat().st_size for f in blobs if f.is_file()) - MEDIA_BYTES
    assert resent <= small_files  # the media file's first half was not sent again
    assert "sample-course" in {c.id for c in Hub(hub_home).courses()}


def test_a_corrupted_blob_is_detected_and_fetched_again(
    centre_home: Path, hub_home: Path, proxy: FaultProxy
) -> None:
    sha256 = _media_sha(centre_home)
    proxy.faults.append(Fault(sha256.encode(), corrupt_at=1000))
    proxy.count(sha256.encode())
    done = run_hub("sync", "now", home=hub_home)
    assert done.returncode == 0, done.stdout
    assert proxy.body_bytes[sha256.encode()] == 2 * MEDIA_BYTES  # fetched twice: damaged, then whole
    assert Hub(hub_home).blobs.path(sha256).read_bytes() == Hub(centre_home).blobs.path(sha256).read_bytes()


def test_a_progress_page_cut_on_its_way_back_is_repeated_without_duplicates(
    centre_home: Path, hub_home: Path, proxy: FaultProxy
) -> None:
    hub = Hub(hub_home)
    for number in range(40):
        progress.record(hub.db, f"learner-{number}", "sample-course", "read-me", 0.5, seconds=10)
    proxy.faults.append(Fault(b"/progress/push", cut_after=5))
    cut = run_hub("sync", "now", home=hub_home)
    assert cut.returncode == 1
    done = run_hub("sync", "now", home=hub_home)
    assert done.returncode == 0, done.stdout
    centre = Hub(centre_home)
    assert centre.sync_db.execute("SELECT count(*) FROM changes").fetchone()[0] == 40
    assert stored_state(centre) == stored_state(hub)


@pytest.mark.parametrize(
    "fault", [Fault(b"/progress/pull", cut_after=40), Fault(b"/progress/pull", corrupt_at=60)]
)
def test_a_scoped_pull_cut_or_corrupted_on_the_wire_is_asked_again_and_adds_nothing_twice(
    centre_home: Path, hub_home: Path, proxy: FaultProxy, fault: Fault
) -> None:
    centre, hub = sharing_ids(Hub(centre_home)), Hub(hub_home)
    for lesson in ("read-me", "watch"):  # a learner of the centre's own, brought to the hub
        progress.record(centre.sync_db, "visitor", "sample-course", lesson, 1.0, seconds=30)
    with transaction(centre.sync_db):
        feed.bring(centre.sync_db, "visitor", hub.device.id, "2026-12-04T00:00:00+00:00")
    proxy.faults.append(fault)
    failed = run_hub("sync", "now", home=hub_home)
    assert failed.returncode == 1, failed.stdout
    assert stored_state(Hub(hub_home)).lessons == {}  # nothing of a damaged page was taken in
    done = run_hub("sync", "now", home=hub_home)
    assert done.returncode == 0, done.stdout
    assert "pulled 2 new ones" in done.stdout, done.stdout
    hub = Hub(hub_home)
    assert hub.db.execute("SELECT count(*) FROM changes WHERE learner_id = 'visitor'").fetchone() == (2,)
    assert {k: v for k, v in stored_state(hub).lessons.items() if k[0] == "visitor"} == stored_state(
        centre
    ).lessons
