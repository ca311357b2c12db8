"""The HTTP sync protocol in process: a central server's app behind a TestClient and a hub that
talks to it through sync/http.py. Enrolment, every refusal (nothing changed), progress both
ways, signed content with resumable, verified blob downloads, and the admin page."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from content.package import build_package
from content.signing import generate_key
from hub import learners, progress, trust
from hub.app import create_app, manager_for
from hub.db import transaction
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.sync import central, client
from sync import http, pages, protocol, store
from sync.device import Device
from tests.conftest import BrowserClient, run_hub, write_course
from tests.sync.states import bring, sharing_ids, stored_state

CENTRAL_URL = "http://central.test"


class _ViaTestClient(httpx.BaseTransport):
    """Hands sync/http.py's httpx requests to the app's TestClient (which has its own httpx)."""

    def __init__(self, web: TestClient) -> None:
        self.web = web

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.web.request(request.method, str(request.url), headers=dict(request.headers),
                                  content=request.read())  # fmt: skip
        headers = [
            (k, v) for k, v in answer.headers.multi_items() if k not in ("content-encoding", "content-length")
        ]
        return httpx.Response(answer.status_code, headers=headers, stream=httpx.ByteStream(answer.content))


def _via(web: TestClient) -> httpx.BaseTransport:
    return _ViaTestClient(web)


def _client(centre: Hub, hub: Hub, api: TestClient) -> http.CentralClient:
    """The sync client `hub` uses to talk to `centre`, by hand."""
    return http.CentralClient(CENTRAL_URL, hub.device, centre.device.public_key, _via(api))


def _quiet(done: int, total: int, message: str) -> None:
    """Progress goes nowhere in these tests."""


@pytest.fixture(params=["sqlite", "postgresql"])
def centre(tmp_path: Path, request: pytest.FixtureRequest) -> Hub:
    from tests.sync.conftest import central_hub  # conftest imports this module

    hub = sharing_ids(central_hub(tmp_path / "central", request))
    hub.set_setting("hub_name", "City learning office")
    return hub


@pytest.fixture
def api(centre: Hub) -> TestClient:
    return TestClient(create_app(centre, manager_for(centre, load_entry_points=False)), base_url=CENTRAL_URL)


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return sharing_ids(Hub(tmp_path / "hub"))


@pytest.fixture
def enrolled(centre: Hub, hub: Hub, api: TestClient) -> Hub:
    token = central.create_token(centre.sync_db, "Riverside")
    client.enroll(hub, CENTRAL_URL, token, "Riverside", _via(api))
    return hub


def _sync(hub: Hub, api: TestClient) -> client.SyncResult:
    return client.sync_now(hub, _quiet, _via(api))


def _publish(centre: Hub, tmp_path: Path, version: int = 1, media: bytes = b"video " * 50_000) -> str:
    """Build the sample course signed with the centre's content key and import it there."""
    key = trust.ensure_own_key(centre.home, centre.db, "City learning office")
    folder = write_course(tmp_path / f"author-v{version}")
    toml = (folder / "course.toml").read_text().replace("version = 1", f"version = {version}")
    (folder / "course.toml").write_text(toml)
    (folder / "media" / "clip.mp4").write_bytes(media)
    package = tmp_path / f"package-v{version}"
    build_package(folder, package, key)
    import_package(centre.db, centre.blobs, package, origin="local")
    return "sample-course"


# --- enrolment -------------------------------------------------------------------------------


def test_enrolment_introduces_hub_and_centre_and_trusts_the_centres_content_key(
    centre: Hub, enrolled: Hub
) -> None:
    hubs = central.enrolled_hubs(centre.sync_db)
    assert [(h.device_id, h.name) for h in hubs] == [(enrolled.device.id, "Riverside")]
    assert (
        centre.sync_db.execute(
            "SELECT public_key FROM devices WHERE id = ?", [enrolled.device.id]
        ).fetchone()[0]
        == enrolled.device.public_key
    )
    settings = client.central(enrolled)
    assert settings is not None and settings["device"] == centre.device.id
    content_key = trust.own_key(centre.home)
    assert content_key is not None
    trusted = enrolled.db.execute("SELECT name FROM trusted_keys WHERE key_id = ?", [content_key.public.id])
    assert trusted.fetchone() is not None
    assert centre.sync_db.execute("SELECT token_hash FROM sync_tokens").fetchone()[0] != ""  # stored hashed


def test_a_used_expired_or_unknown_token_is_refused_and_nothing_changes(
    centre: Hub, api: TestClient, tmp_path: Path
) -> None:
    token = central.create_token(centre.sync_db, "First")
    client.enroll(Hub(tmp_path / "first"), CENTRAL_URL, token, "First", _via(api))
    second = Hub(tmp_path / "second")
    with pytest.raises(client.SyncFailed, match="already used"):
        client.enroll(second, CENTRAL_URL, token, "Second", _via(api))
    expired = central.create_token(centre.sync_db, "Late")
    centre.sync_db.execute(
        "UPDATE sync_tokens SET expires_at = '2000-01-01T00:00:00+00:00' WHERE used_at IS NULL"
    )
    with pytest.raises(client.SyncFailed, match="expired"):
        client.enroll(second, CENTRAL_URL, expired, "Second", _via(api))
    with pytest.raises(client.SyncFailed, match="not known"):
        client.enroll(second, CENTRAL_URL, "made-up-token", "Second", _via(api))
    assert len(central.enrolled_hubs(centre.sync_db)) == 1
    assert client.central(second) is None
    assert second.db.execute("SELECT count(*) FROM trusted_keys").fetchone()[0] == 0


def test_a_token_is_letters_and_digits_so_a_terminal_never_reads_it_as_an_option(centre: Hub) -> None:
    tokens = {central.create_token(centre.sync_db, "Hub") for _ in range(200)}
    assert len(tokens) == 200 and all(re.fullmatch(r"[a-z2-7]{32}", token) for token in tokens)


def test_a_hub_that_is_not_central_answers_no_sync(hub: Hub, tmp_path: Path) -> None:
    plain = Hub(tmp_path / "plain")
    with TestClient(create_app(plain, manager_for(plain, load_entry_points=False))) as web:
        answer = web.post("/api/v1/sync/enroll", content=b"{}")
    assert answer.status_code == 404
    assert "not a central server" in answer.json()["detail"]


# --- authenticated requests ------------------------------------------------------------------


def _signed_get(api: TestClient, device: Device, target: str) -> tuple[dict[str, str], object]:
    headers = protocol.sign_request(device, "GET", target, b"")
    return headers, api.get(target, headers=headers)


def _centre_state(centre: Hub) -> tuple:
    return stored_state(centre), store.knowledge(centre.sync_db), central.enrolled_hubs(centre.sync_db)


def test_unenrolled_revoked_replayed_forged_and_tampered_requests_are_refused(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    target = f"{protocol.API}/progress/knowledge"
    stranger = Hub(tmp_path / "stranger").device
    _, refused = _signed_get(api, stranger, target)
    assert refused.status_code == 401 and "not enrolled" in refused.json()["detail"]

    headers, first = _signed_get(api, enrolled.device, target)
    assert first.status_code == 200
    replay = api.get(target, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]

    old = protocol.sign_request(enrolled.device, "GET", target, b"") | {protocol.HEADER_TIME: "1000"}
    assert "too old" in api.get(target, headers=old).json()["detail"]

    forged = protocol.sign_request(stranger, "GET", target, b"") | {
        protocol.HEADER_DEVICE: enrolled.device.id
    }
    answer = api.get(target, headers=forged)
    assert answer.status_code == 401 and "forged" in answer.json()["detail"]

    progress.record(enrolled.db, "ana", "c", "a", 0.5)
    with transaction(enrolled.db):
        store.sign_pending(enrolled.db, enrolled.device)
    page = pages.build_page(enrolled.db, enrolled.device, {}, 10)
    body = protocol.pack_json(page)
    push = f"{protocol.API}/progress/push"
    headers = protocol.sign_request(enrolled.device, "POST", push, body)
    page["changes"][0]["change"]["progress"] = 1.0
    before = _centre_state(centre)
    tampered = api.post(
        push, content=protocol.pack_json(page), headers=headers | {"content-encoding": "gzip"}
    )
    assert tampered.status_code == 401 and "forged or changed" in tampered.json()["detail"]
    assert _centre_state(centre) == before

    central.revoke(centre.sync_db, enrolled.device.id)
    _, revoked = _signed_get(api, enrolled.device, target)
    assert revoked.status_code == 403 and "revoked" in revoked.json()["detail"]
    with pytest.raises(http.SyncError, match="revoked"):
        _sync(enrolled, api)
    assert _centre_state(centre)[:2] == before[:2]


def test_a_page_whose_line_was_altered_before_signing_the_request_is_refused(
    centre: Hub, enrolled: Hub, api: TestClient
) -> None:
    """The request signature is good, but a change line is not what its device signed."""
    progress.record(enrolled.db, "ana", "c", "a", 0.5)
    with transaction(enrolled.db):
        store.sign_pending(enrolled.db, enrolled.device)
    page = pages.build_page(enrolled.db, enrolled.device, {}, 10)
    page["changes"][0]["change"]["progress"] = 1.0
    before = _centre_state(centre)
    with pytest.raises(http.SyncError, match="altered"):
        _client(centre, enrolled, api).push(page)
    assert _centre_state(centre)[:2] == before[:2]


def test_json_travels_gzip_compressed_both_ways(enrolled: Hub, api: TestClient) -> None:
    target = f"{protocol.API}/progress/pull"
    body = protocol.pack_json({"knowledge": {}})
    headers = protocol.sign_request(enrolled.device, "POST", target, body)
    sent = api.post(target, content=body, headers=headers | {"content-encoding": "gzip",
                                                             "accept-encoding": "gzip"})  # fmt: skip
    assert sent.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(sent.content) if sent.content[:2] == b"\x1f\x8b" else sent.content)


# --- progress ---------------------------------------------------------------------------------


def test_progress_goes_up_to_the_centre_and_to_another_hub_only_once_she_is_brought_there(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    progress.record(enrolled.db, "ana", "c", "a", 0.4, seconds=60)
    progress.record(enrolled.db, "ana", "c", "b", 1.0, seconds=30)
    result = _sync(enrolled, api)
    assert result.pushed == 2
    assert stored_state(centre) == stored_state(enrolled)

    other = sharing_ids(Hub(tmp_path / "other"))
    client.enroll(other, CENTRAL_URL, central.create_token(centre.sync_db, "Other"), "Other", _via(api))
    assert _sync(other, api).pulled == 0  # another hub's learner is none of its business
    bring(centre, "ana", other)
    assert _sync(other, api).pulled == 2
    assert stored_state(other) == stored_state(enrolled)
    again = _sync(other, api)
    assert (again.pushed, again.pulled) == (0, 0)
    assert client.pending_changes(enrolled) == 0
    progress.record(other.db, "ana", "c", "a", 1.0)  # the hubs she visits are not her writers:
    assert _sync(other, api).refused == 1  # their changes about her are refused (sync/ownership.py)


def test_many_changes_travel_in_pages_and_a_repeated_page_adds_nothing(
    centre: Hub, enrolled: Hub, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "PAGE_CHANGES", 7)
    for number in range(30):
        progress.record(enrolled.db, f"learner-{number}", "c", "a", 0.5)
    assert _sync(enrolled, api).pushed == 30
    page = pages.build_page(enrolled.db, enrolled.device, {}, 7)  # the first page, sent again after a cut
    before = _centre_state(centre)
    _client(centre, enrolled, api).push(page)
    assert _centre_state(centre)[:2] == before[:2]
    assert centre.sync_db.execute("SELECT count(*) FROM changes").fetchone()[0] == 30


def test_a_page_that_would_leave_a_hole_is_refused(centre: Hub, enrolled: Hub, api: TestClient) -> None:
    for number in range(5):
        progress.record(enrolled.db, f"learner-{number}", "c", "a", 0.5)
    with transaction(enrolled.db):
        store.sign_pending(enrolled.db, enrolled.device)
    page = pages.build_page(enrolled.db, enrolled.device, {enrolled.device.id: 2}, 10)
    with pytest.raises(http.SyncError, match="wait for changes 1–2"):
        _client(centre, enrolled, api).push(page)
    assert store.knowledge(centre.sync_db).get(enrolled.device.id) is None


# --- content ----------------------------------------------------------------------------------


def test_a_course_published_on_the_centre_arrives_verified_and_only_once(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    course_id = _publish(centre, tmp_path)
    result = _sync(enrolled, api)
    assert result.courses == [f"{course_id} v1"]
    card = next(c for c in enrolled.courses() if c.id == course_id)
    assert card.source.status == "verified" and card.source.name == "City learning office"
    assert not any((enrolled.home / client.PARTS_FOLDER).glob("*.part"))
    again = _sync(enrolled, api)
    assert (again.courses, again.blob_bytes) == ([], 0)
    _publish(centre, tmp_path, version=2, media=b"new video " * 1000)
    assert _sync(enrolled, api).courses == [f"{course_id} v2"]


def test_a_catalog_not_signed_by_the_centres_key_is_refused(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    _publish(centre, tmp_path)
    settings = client.central(enrolled)
    assert settings is not None
    other = generate_key().public.text()
    enrolled.set_setting(client.CENTRAL_SETTING, settings | {"content_key": other})
    with pytest.raises(http.SyncError, match="catalog is not signed"):
        _sync(enrolled, api)
    assert "sample-course" not in {c.id for c in enrolled.courses()}


def _media(centre: Hub) -> tuple[str, int, bytes]:
    sha256, size = centre.db.execute(
        "SELECT sha256, size FROM files WHERE media_type = 'video/mp4'"
    ).fetchone()
    return sha256, size, centre.blobs.path(sha256).read_bytes()


def test_a_cut_download_resumes_from_the_part_file(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    _publish(centre, tmp_path)
    sha256, size, data = _media(centre)
    part = enrolled.home / client.PARTS_FOLDER / f"{sha256}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[: size // 2])
    received = _client(centre, enrolled, api).fetch_blob(sha256, size, part, lambda done: None)
    assert received == size - size // 2
    assert part.read_bytes() == data


def test_a_damaged_download_is_detected_and_fetched_again(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    _publish(centre, tmp_path)
    sha256, size, data = _media(centre)
    part = enrolled.home / client.PARTS_FOLDER / f"{sha256}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"X" + data[1 : size // 2])  # a damaged first byte the resume cannot see
    fetcher = _client(centre, enrolled, api)
    with pytest.raises(http.DamagedBlob):
        fetcher.fetch_blob(sha256, size, part, lambda done: None)
    assert not part.exists()
    assert fetcher.fetch_blob(sha256, size, part, lambda done: None) == size
    result = _sync(enrolled, api)
    assert result.courses == ["sample-course v1"]


def test_blob_ranges_follow_if_range(centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path) -> None:
    _publish(centre, tmp_path)
    sha256, size, data = _media(centre)
    target = f"{protocol.API}/blobs/{sha256}"
    same = api.get(target, headers=protocol.sign_request(enrolled.device, "GET", target, b"")
                   | {"range": "bytes=10-", "if-range": f'"{sha256}"'})  # fmt: skip
    assert same.status_code == 206 and same.content == data[10:]
    assert same.headers["content-range"] == f"bytes 10-{size - 1}/{size}"
    changed = api.get(target, headers=protocol.sign_request(enrolled.device, "GET", target, b"")
                      | {"range": "bytes=10-", "if-range": '"something-else"'})  # fmt: skip
    assert changed.status_code == 200 and changed.content == data
    missing = f"{protocol.API}/blobs/{'0' * 64}"
    assert (
        api.get(missing, headers=protocol.sign_request(enrolled.device, "GET", missing, b"")).status_code
        == 404
    )


# --- admin page --------------------------------------------------------------------------------


def _admin(hub: Hub) -> BrowserClient:
    app = create_app(hub, manager_for(hub, load_entry_points=False))
    account = learners.create_account(hub.db, "Ada Admin", Role.ADMIN, "admin-password")
    web = BrowserClient(app, base_url="http://hub.test")
    web.cookies.set("hub_csrf", "t")
    web.cookies.set("hub_session", learners.start_session(hub.db, account.id))
    return web


def test_admin_page_enrols_shows_status_and_queues_a_sync(
    centre: Hub, hub: Hub, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_enroll = http.enroll
    monkeypatch.setattr(http, "enroll", lambda *a: real_enroll(*a[:4], _via(api)))
    web = _admin(hub)
    page = web.get("/admin/sync")
    assert page.status_code == 200 and "Enrol this hub" in page.text
    bad = web.post("/admin/sync/enroll", data={"url": CENTRAL_URL, "token": "nope"})
    assert bad.status_code == 400 and "not known" in bad.text
    assert client.central(hub) is None
    token = central.create_token(centre.sync_db, "Riverside")
    done = web.post("/admin/sync/enroll", data={"url": CENTRAL_URL, "token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert hub.db.execute("SELECT count(*) FROM jobs WHERE kind = 'sync'").fetchone()[0] == 1
    hub.set_setting(client.STATUS_SETTING, {"last_attempt_at": "2030-01-01T10:00:00+00:00", "failures": 2,
                                            "last_error": "cannot reach the central server"})  # fmt: skip
    shown = web.get("/admin/sync").text
    assert "cannot reach the central server" in shown and "Sync now" in shown
    assert '<meta http-equiv="refresh"' in shown  # the queued sync: the page refreshes itself until it ends
    assert web.post("/admin/sync/now", follow_redirects=False).status_code == 303
    assert hub.db.execute("SELECT count(*) FROM jobs WHERE kind = 'sync'").fetchone()[0] == 1  # not twice
    assert TestClient(web.app).get("/admin/sync").status_code == 401


def test_central_admin_makes_tokens_on_the_page(centre: Hub) -> None:
    web = _admin(centre)
    made = web.post("/admin/sync/tokens", data={"name": "Hill school"})
    assert made.status_code == 200 and "Hill school" in made.text
    assert centre.sync_db.execute("SELECT hub_name FROM sync_tokens").fetchone()[0] == "Hill school"
    assert web.post("/admin/sync/tokens", data={"name": " "}).status_code == 400


def test_two_hubs_sharing_one_device_key_are_caught_and_the_copy_changes_nothing(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    progress.record(enrolled.db, "ana", "c", "a", 0.4)
    _sync(enrolled, api)
    copy = sharing_ids(Hub(shutil.copytree(enrolled.home, tmp_path / "copied-sd-card")))
    progress.record(enrolled.db, "ana", "c", "b", 1.0)  # change 2 of the device on the first hub...
    progress.record(copy.db, "cy", "c", "a", 0.2)  # ...and another change 2 on the copy
    _sync(enrolled, api)
    before = stored_state(copy)
    with pytest.raises(http.SyncError, match="two hubs use the same device key"):
        _sync(copy, api)
    assert stored_state(copy) == before
    assert stored_state(centre) == stored_state(enrolled)

    renamed = run_hub("device", "new", "--yes", home=copy.home)  # what docs/sync.md tells the admin
    assert renamed.returncode == 0 and "device id is now" in renamed.stdout, renamed.stdout + renamed.stderr
    copy = Hub(copy.home)
    assert copy.device.id != enrolled.device.id and client.central(copy) is None
    client.enroll(copy, CENTRAL_URL, central.create_token(centre.sync_db, "Copy"), "Copy", _via(api))
    _sync(copy, api)
    _sync(enrolled, api)
    assert {key[:3] for key in stored_state(centre).lessons} == {  # cy's progress arrived
        ("ana", "c", "a"), ("ana", "c", "b"), ("cy", "c", "a")}  # fmt: skip


def test_a_hub_restored_from_an_older_backup_is_stopped_before_it_reuses_numbers(
    centre: Hub, enrolled: Hub, api: TestClient, tmp_path: Path
) -> None:
    progress.record(enrolled.db, "ana", "c", "a", 0.4)
    backup = shutil.copytree(enrolled.home, tmp_path / "backup")
    progress.record(enrolled.db, "ana", "c", "b", 1.0)
    _sync(enrolled, api)
    restored = Hub(backup)
    with pytest.raises(http.SyncError, match="restored from an older backup"):
        _sync(restored, api)


def test_a_central_server_out_of_reach_is_said_in_plain_words(enrolled: Hub) -> None:
    from tests.processes import free_port

    enrolled.set_setting(
        client.CENTRAL_SETTING, client.central(enrolled) | {"url": f"http://127.0.0.1:{free_port()}"}
    )
    with pytest.raises(client.SyncFailed) as failed:
        client.sync_and_record(enrolled, _quiet)
    assert (
        "the central server cannot be reached (no network here, or the server is off)"
        in failed.value.translated()
    )
    assert "cannot be reached" in client.status(enrolled)["last_error"]


def test_sync_now_during_a_sync_queues_one_after_it_and_the_schedule_does_not(hub: Hub) -> None:
    from hub import jobs
    from hub.plugins import sync

    running = jobs.submit(hub.db, sync.JOB_KIND, {})
    hub.db.execute("UPDATE jobs SET state = 'running' WHERE id = ?", [running])
    sync.queue_sync(hub)  # the schedule: one is under way
    assert [job.id for job in jobs.recent_jobs(hub.db, {sync.JOB_KIND})] == [running]
    sync.queue_sync(hub, asked=True)  # a person pressed "Sync now": what they just did must go too
    sync.queue_sync(hub, asked=True)  # pressed twice: still one waiting
    assert len(jobs.recent_jobs(hub.db, {sync.JOB_KIND})) == 2
