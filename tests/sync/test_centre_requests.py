"""What the centre does per request, kept small: the replay check is one insert outside the
process-wide writer lock (a read never queues behind a page being applied), replays and revoked
hubs are still refused, last_seen_at and the nonce clean-up happen now and then, the catalog is
signed once per library change and answered 304 while a hub holds it, and a page's lines the
receiver already holds are not verified again."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hub import db as hub_db
from hub import progress
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import central, client
from sync import http, pages, protocol, storage, store
from tests.sync.conftest import Enrol
from tests.sync.test_http_api import _publish, _via

KNOWLEDGE = f"{protocol.API}/progress/knowledge"


def _quiet(done: int, total: int, message: str) -> None:
    """Progress goes nowhere in these tests."""


def _knowledge(api: TestClient, hub: Hub) -> httpx.Response:
    return api.get(KNOWLEDGE, headers=protocol.sign_request(hub.device, "GET", KNOWLEDGE, b""))


def test_a_read_does_not_wait_for_the_writer_lock(api: TestClient, enrol: Enrol, tmp_path: Path) -> None:
    """Before, every request stored its nonce under hub/db.py's process-wide writer lock, so a hub
    asking for the centre's knowledge queued behind every page other hubs were applying."""
    hub = enrol(tmp_path / "hub", "Riverside")
    held, release = threading.Event(), threading.Event()

    def applying_a_long_page() -> None:
        with hub_db._WRITER:
            held.set()
            release.wait(30)

    writer = threading.Thread(target=applying_a_long_page)
    writer.start()
    held.wait(5)
    answers: list[int] = []
    reader = threading.Thread(target=lambda: answers.append(_knowledge(api, hub).status_code))
    reader.start()
    reader.join(10)
    answered_while_held = not reader.is_alive()
    release.set()
    writer.join(10)
    reader.join(30)
    assert answered_while_held and answers == [200]


def test_a_replayed_request_and_a_revoked_hub_are_still_refused(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    hub = enrol(tmp_path / "hub", "Riverside")
    headers = protocol.sign_request(hub.device, "GET", KNOWLEDGE, b"")
    assert api.get(KNOWLEDGE, headers=headers).status_code == 200
    replay = api.get(KNOWLEDGE, headers=headers)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"]
    central.revoke(centre.sync_db, hub.device.id)
    revoked = _knowledge(api, hub)
    assert revoked.status_code == 403 and "revoked" in revoked.json()["detail"]


def test_last_seen_is_written_at_most_once_a_minute_per_hub(
    centre: Hub, enrol: Enrol, tmp_path: Path
) -> None:
    hub = enrol(tmp_path / "hub", "Riverside")
    now = [0.0]
    upkeep = central.Upkeep(clock=lambda: now[0])

    def last_seen() -> str | None:
        return next(
            h.last_seen_at for h in central.enrolled_hubs(centre.sync_db) if h.device_id == hub.device.id
        )

    upkeep.after_request(centre.sync_db, hub.device.id)
    assert last_seen() is not None
    centre.sync_db.execute("UPDATE sync_hubs SET last_seen_at = 'earlier'")
    now[0] = 59.0
    upkeep.after_request(centre.sync_db, hub.device.id)
    assert last_seen() == "earlier"
    now[0] = 60.0
    upkeep.after_request(centre.sync_db, hub.device.id)
    assert last_seen() != "earlier"


def test_expired_nonces_go_in_batches_found_by_an_index(centre: Hub) -> None:
    db = centre.sync_db
    old = time.time() - 3 * protocol.MAX_SKEW_SECONDS
    storage.executemany(
        db,
        "INSERT INTO sync_nonces (device_id, nonce, seen_at) VALUES ('d', ?, ?)",
        [(f"old-{n}", old) for n in range(2500)] + [(f"new-{n}", time.time()) for n in range(10)],
    )
    assert central.forget_old_nonces(db, batch=1000) == 2500
    assert db.execute("SELECT count(*) FROM sync_nonces").fetchone()[0] == 10
    if storage.dialect(db) == "postgresql":  # its planner scans a table this small whatever the indexes
        found = db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'sync_nonces_seen'").fetchone()
        assert found is not None and "(seen_at)" in found[0]
        return
    explained = db.execute(
        "EXPLAIN QUERY PLAN SELECT device_id, nonce FROM sync_nonces"
        " WHERE seen_at < 1 ORDER BY seen_at LIMIT 5"
    )
    assert "sync_nonces_seen" in " ".join(str(row[-1]) for row in explained)


class _Recording(httpx.BaseTransport):
    """Passes requests on, keeping each one's path and answer status."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.seen.append((request.url.path.removeprefix(protocol.API), response.status_code))
        return response


def test_the_catalog_is_answered_304_until_a_course_is_imported(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    hub = enrol(tmp_path / "hub", "Riverside")
    _publish(centre, tmp_path)
    first = _Recording(_via(api))
    assert client.sync_now(hub, _quiet, first).courses == ["sample-course v1"]
    assert ("/catalog", 200) in first.seen

    second = _Recording(_via(api))
    assert client.sync_now(hub, _quiet, second).courses == []
    assert ("/catalog", 304) in second.seen
    assert not any(path.startswith(("/courses/", "/blobs/")) for path, _ in second.seen)  # no walk

    etag = hub.setting(client.CATALOG_SETTING)["etag"]  # type: ignore[index]
    _publish(centre, tmp_path, version=2)
    third = _Recording(_via(api))
    assert client.sync_now(hub, _quiet, third).courses == ["sample-course v2"]
    assert ("/catalog", 200) in third.seen
    assert hub.setting(client.CATALOG_SETTING)["etag"] != etag  # type: ignore[index]


def test_a_304_not_signed_by_the_centre_is_refused(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    hub = enrol(tmp_path / "hub", "Riverside")
    client.sync_now(hub, _quiet, _via(api))
    etag = hub.setting(client.CATALOG_SETTING)["etag"]  # type: ignore[index]
    with http.CentralClient("http://central.test", hub.device, centre.device.public_key, _via(api)) as peer:
        assert peer.catalog(etag) == (None, etag)
        peer.centre_key = hub.device.public_key  # as if another server answered
        with pytest.raises(http.SyncError, match="not signed by it"):
            peer.catalog(etag)


def test_a_line_already_held_alike_is_not_verified_again_and_one_held_otherwise_is_refused(
    centre: Hub, enrol: Enrol, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = enrol(tmp_path / "hub", "Riverside")
    for number in range(5):
        progress.record(hub.db, f"learner-{number}", "sample-course", "read-me", 0.5)
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    page = pages.build_page(hub.db, hub.device, {}, 10)
    own = (centre.device.id, centre.device.public_key)
    with transaction(centre.sync_db):
        pages.apply_page(
            centre.sync_db, pages.check_page(centre.sync_db, own, hub.device.id, page), hub.device.id, "now"
        )
    verified: list[Any] = []
    real_verify = pages.verify
    monkeypatch.setattr(pages, "verify", lambda *args: verified.append(args) or real_verify(*args))

    assert len(pages.check_page(centre.sync_db, own, hub.device.id, page)) == 5
    assert verified == []  # each was checked when it first came in

    other = page | {"changes": [dict(page["changes"][0], sig=page["changes"][1]["sig"])]}
    other["ranges"] = {hub.device.id: [1, 1]}
    with pytest.raises(pages.PageError, match="same device key"):
        pages.check_page(centre.sync_db, own, hub.device.id, other)
