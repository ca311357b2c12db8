"""A central server and two hubs, each a real `hub serve` process on loopback with its own home,
the hubs talking to the centre through a fault proxy. A hub is enrolled from its admin page and
syncs in the background and from its "Sync now" button: the centre's signed course reaches both
hubs verified; residents' progress reaches the centre and its tutors' view; what USB carries
equals what HTTP gave. A hub SIGKILLed in the middle of a stalled download restarts and
finishes: nothing acknowledged lost, nothing sent twice, the download resumed."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from content.package import build_package
from hub import jobs, learners, progress, trust
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins import sync
from hub.plugins.sync import client
from sync import store
from sync.merge import State
from tests.conftest import run_hub, write_course
from tests.processes import Server, serve, wait_until
from tests.sync.proxy import Fault, FaultProxy
from tests.sync.states import stored_state

COURSE = "sample-course"


def _signed_in(server: Server, role: Role, name: str) -> httpx.Client:
    """A browser holding a staff session (made in the hub's database, as signing in would)."""
    hub = Hub(server.home)
    account = learners.create_account(hub.db, name, role, "a-long-secret")
    token = learners.start_session(hub.db, account.id)
    cookies = {"hub_session": token, "hub_csrf": "csrf-for-tests"}
    return httpx.Client(base_url=server.url, cookies=cookies, headers={"x-csrf-token": "csrf-for-tests"})


def _guest_finishes(server: Server, lesson: str) -> str:
    """A resident opens a lesson as a guest and marks it done; return the guest's id."""
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        assert browser.get(f"/courses/{COURSE}/{lesson}").status_code == 200
        done = browser.post(f"/courses/{COURSE}/{lesson}/done",
                            headers={"x-csrf-token": browser.cookies["hub_csrf"]})  # fmt: skip
        assert done.status_code in (200, 303), done.text
        session = browser.cookies["hub_session"]
    row = (
        Hub(server.home)
        .db.execute("SELECT learner_id FROM sessions WHERE token_hash = ?", [learners._token_hash(session)])
        .fetchone()
    )
    return row[0]


def _publish(home: Path, tmp_path: Path, media: int) -> str:
    """A central server's home holding the sample course, signed with its content key; the media's sha256."""
    centre = Hub(home)
    centre.set_setting("hub_name", "City learning office")
    centre.set_setting("starter_imported", True)  # a faster start: only the course below
    key = trust.ensure_own_key(home, centre.db, "City learning office")
    folder = write_course(tmp_path / "author")
    with (folder / "media" / "clip.mp4").open("wb") as video:
        for _ in range(media // 2**20):
            video.write(os.urandom(2**20))
    build_package(folder, tmp_path / "package", key)
    import_package(centre.db, centre.blobs, tmp_path / "package")
    return centre.db.execute("SELECT sha256 FROM files WHERE media_type = 'video/mp4'").fetchone()[0]


def _token(centre: Server, name: str) -> str:
    made = run_hub("sync", "token", "create", "--name", name, home=centre.home)
    assert made.returncode == 0, made.stdout
    return made.stdout.strip().splitlines()[-1]


def _new_hub(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    Hub(home).set_setting("starter_imported", True)
    return home


def _holds_course(home: Path) -> bool:
    return any(card.id == COURSE for card in Hub(home).courses())


def _last_success(home: Path) -> str | None:
    return client.status(Hub(home)).get("last_success_at")


def _sync_jobs(home: Path) -> dict[int, str]:
    """The hub's sync jobs: id -> state."""
    return {job.id: job.state for job in jobs.recent_jobs(Hub(home).db, {sync.JOB_KIND}, limit=1000)}


def _sync_now(admin: httpx.Client, home: Path) -> None:
    """Press "Sync now" on the hub's admin page and wait for the sync queued after the press to
    finish (times are to the second, and two syncs in one second look alike: the job is watched)."""
    pressed = admin.post("/admin/sync/now")
    assert pressed.status_code == 303, pressed.text
    after_press = max(_sync_jobs(home))
    wait_until(lambda: _sync_jobs(home)[after_press] == "done", "the sync to finish")


def _of_learners(state: State, wanted: set[str]) -> State:
    return State(
        {k: v for k, v in state.lessons.items() if k[0] in wanted},
        {k: v for k, v in state.attempts.items() if v.learner_id in wanted},
        state.forgotten & wanted,
    )


@pytest.fixture
def proxies() -> Iterator[list[FaultProxy]]:
    made: list[FaultProxy] = []
    yield made
    for proxy in made:
        proxy.close()


def test_content_reaches_both_hubs_and_their_progress_reaches_the_centre_as_usb_would_carry_it(
    tmp_path: Path, servers: list[Server], proxies: list[FaultProxy]
) -> None:
    _publish(tmp_path / "central", tmp_path, 2 * 2**20)
    centre = serve(tmp_path / "central", "--role", "central")
    servers.append(centre)
    proxies.append(proxy := FaultProxy(centre.port))
    central_url = f"http://127.0.0.1:{proxy.port}"
    river = serve(_new_hub(tmp_path, "riverside"))
    hill = serve(_new_hub(tmp_path, "hilltop"))
    servers += [river, hill]

    river_admin = _signed_in(river, Role.ADMIN, "River Admin")  # enrolled from its admin page
    enrolled = river_admin.post(
        "/admin/sync/enroll", data={"url": central_url, "token": _token(centre, "Riverside")}
    )
    assert enrolled.status_code == 303, enrolled.text
    joined = run_hub("sync", "enroll", central_url, _token(centre, "Hilltop"), home=hill.home)
    assert joined.returncode == 0, joined.stdout  # enrolled from the terminal
    for hub in (river, hill):  # the background sync brings the course in, verified
        wait_until(lambda home=hub.home: _holds_course(home), f"the course to reach {hub.home.name}")
        card = next(c for c in Hub(hub.home).courses() if c.id == COURSE)
        assert card.source.status == "verified" and card.source.name == "City learning office"

    ana = _guest_finishes(river, "read-me")
    _guest_finishes(hill, "watch")
    stick = tmp_path / "stick"  # the same progress of hub 1, carried by hand instead
    assert run_hub("bundle", "export", stick, home=river.home).returncode == 0
    for hub in (river, hill):
        _sync_now(_signed_in(hub, Role.ADMIN, "Admin") if hub is hill else river_admin, hub.home)

    central_db = Hub(centre.home).db
    for hub in (river, hill):  # every change of each hub arrived, once
        own = Hub(hub.home)
        assert store.knowledge(central_db)[own.device.id] == store.knowledge(own.db)[own.device.id]
        assert client.pending_changes(own) == 0
    by_usb = tmp_path / "usb-centre"
    Hub(by_usb).set_setting("starter_imported", True)
    river_device = Hub(river.home).device
    imported = run_hub(
        "bundle", "import", stick, "--trust-device", river_device.id, "--no-write-back", home=by_usb
    )
    assert imported.returncode == 1, imported.stdout  # the course is refused: its publisher is not trusted
    assert "Imported 1 new progress changes" in imported.stdout  # the lesson done (opening it keeps nothing)
    carried = stored_state(Hub(by_usb))
    assert {key[0] for key in carried.lessons} == {river_device.pseudonym(ana)}
    assert carried == _of_learners(stored_state(Hub(centre.home)), {river_device.pseudonym(ana)})

    tutor = _signed_in(centre, Role.TUTOR, "City Tutor")
    view = tutor.get("/tutor/hubs")
    assert view.status_code == 200
    for shown in ("Riverside", "Hilltop", "Sample course"):
        assert shown in view.text
    assert ana not in view.text


def test_a_hub_killed_mid_download_restarts_and_finishes_without_losing_or_repeating_anything(
    tmp_path: Path, servers: list[Server], proxies: list[FaultProxy]
) -> None:
    media = 24 * 2**20
    sha256 = _publish(tmp_path / "central", tmp_path, media)
    centre = serve(tmp_path / "central", "--role", "central")
    servers.append(centre)
    proxies.append(proxy := FaultProxy(centre.port))
    proxy.faults.append(Fault(sha256.encode(), stall_after=media // 2))
    home = _new_hub(tmp_path, "riverside")
    hub = Hub(home)
    for number in range(2_500):  # three pages of progress go first
        progress.record(hub.db, f"learner-{number % 250}", COURSE, f"lesson-{number}", 0.5, seconds=10)
    joined = run_hub(
        "sync", "enroll", f"http://127.0.0.1:{proxy.port}", _token(centre, "Riverside"), home=home
    )
    assert joined.returncode == 0, joined.stdout

    first = serve(home)  # its background sync starts at once
    part = home / client.PARTS_FOLDER / f"{sha256}.part"
    wait_until(
        lambda: part.exists() and part.stat().st_size >= media // 2 - 2**16, "the download to stall at half"
    )
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    kept = part.stat().st_size
    assert first.process.returncode == -signal.SIGKILL and not _holds_course(home)
    central_db = Hub(centre.home).db
    acknowledged = dict(hub.db.execute(
        "SELECT device_id, counter FROM peer_knowledge WHERE peer_id = ?", [client.central(hub)["device"]]
    ).fetchall())  # fmt: skip
    assert acknowledged[hub.device.id] == 2_500  # the centre acknowledged every page before the kill
    assert central_db.execute("SELECT count(*) FROM changes").fetchone()[0] == 2_500
    progress.record(hub.db, "learner-late", COURSE, "lesson-late", 1.0)  # made while the hub was down

    proxy.count(sha256.encode())
    servers.append(serve(home))  # restarted: the job left running is queued again and finishes
    wait_until(lambda: _holds_course(home), "the course to arrive after the restart")
    wait_until(lambda: _last_success(home) is not None, "the sync to finish")
    assert proxy.body_bytes[sha256.encode()] == media - kept  # resumed from the .part: nothing sent twice
    assert Hub(home).blobs.path(sha256).read_bytes() == Hub(centre.home).blobs.path(sha256).read_bytes()
    assert central_db.execute("SELECT count(*) FROM changes").fetchone()[0] == 2_501
    assert store.knowledge(central_db)[hub.device.id] == store.knowledge(hub.db)[hub.device.id] == 2_501
    shared = {hub.device.pseudonym(f"learner-{n}") for n in range(250)} | {
        hub.device.pseudonym("learner-late")
    }
    assert {r[0] for r in central_db.execute("SELECT DISTINCT learner_id FROM progress")} == shared
    assert central_db.execute("SELECT count(*) FROM progress").fetchone()[0] == 2_501
