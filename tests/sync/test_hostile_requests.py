"""The centre's sync routes against hostile requests: bodies too large (refused before they are
read), nested too deep, numbers no vector holds, and fuzzed bodies from an enrolled hub. Never a
server error, and a refusal changes nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import progress
from hub.home import Hub
from hub.plugins.sync import central, client
from sync import http, protocol, store
from sync.device import Device
from tests.sync.conftest import Enrol
from tests.sync.states import bring, stored_state
from tests.sync.test_http_api import _quiet, _via

PUSH, PULL, ENROLL = (f"{protocol.API}/{p}" for p in ("progress/push", "progress/pull", "enroll"))


def _post(api: TestClient, device: Device, target: str, body: bytes, encoding: str = "gzip") -> object:
    headers = protocol.sign_request(device, "POST", target, body) | {"content-encoding": encoding}
    return api.post(target, content=body, headers=headers)


def _state(centre: Hub) -> tuple:
    devices = centre.sync_db.execute("SELECT * FROM devices").fetchall()
    return stored_state(centre), store.knowledge(centre.sync_db), devices


def _stream(api: TestClient, target: str, headers: dict[str, str], chunks: int = 4096) -> tuple[int, int]:
    """POST a body of `chunks` × 64 KB straight to the app, chunk by chunk as a network delivers
    it (TestClient would read it all first); return the status and how many chunks the app read."""
    read, status = [0], [0]

    async def receive() -> dict:
        read[0] += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": read[0] < chunks}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    scope = {
        "type": "http", "method": "POST", "path": target, "raw_path": target.encode(), "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()], "http_version": "1.1",
        "scheme": "http", "server": ("central.test", 80), "client": ("127.0.0.1", 5000), "root_path": "",
    }  # fmt: skip
    asyncio.run(api.app(scope, receive, send))
    return status[0], read[0]


def test_a_stranger_cannot_make_the_centre_read_a_large_body(api: TestClient) -> None:
    status, read = _stream(api, PUSH, {protocol.HEADER_DEVICE: "nobody"})
    assert (status, read) == (401, 0)


def test_an_enrolled_hubs_body_is_refused_once_it_passes_the_limit(
    api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    hub = enrol(tmp_path / "hub", "Hub")
    status, read = _stream(api, PUSH, protocol.sign_request(hub.device, "POST", PUSH, b""))
    assert status == 413 and read <= protocol.MAX_PAGE_BYTES // 65536 + 1
    declared = _post(api, hub.device, PUSH, b"x" * (protocol.MAX_PAGE_BYTES + 1))
    assert declared.status_code == 413 and "larger than the hub accepts" in declared.json()["detail"]


@pytest.mark.parametrize(
    ("target", "body"),
    [
        (PULL, b"[" * 100_000 + b"]" * 100_000),
        (PUSH, b'{"ranges": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        (PULL, b'{"knowledge": {"abc": 1e999}}'),
        (PULL, b'{"knowledge": {"abc": 99999999999999999999999999}}'),
        (PULL, b'{"knowledge": {"abc": -1}}'),
        (PUSH, b'{"ranges": {"abc": [1e999, 2]}, "changes": [], "devices": {}}'),
        (PUSH, b'{"ranges": {}, "changes": [{"device": "a", "counter": 1e999}], "devices": {}}'),
    ],
)
def test_bodies_no_hub_sends_are_refused_in_words(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path, target: str, body: bytes
) -> None:
    hub = enrol(tmp_path / "hub", "Hub")
    before = _state(centre)
    answer = _post(api, hub.device, target, body, encoding="")
    assert answer.status_code in (400, 409), answer.text
    assert answer.json()["detail"]
    assert _state(centre) == before


def test_a_time_no_clock_shows_is_refused(api: TestClient, enrol: Enrol, tmp_path: Path) -> None:
    hub = enrol(tmp_path / "hub", "Hub")
    headers = protocol.sign_request(hub.device, "GET", f"{protocol.API}/catalog", b"")
    for sent in ("9" * 400, "1e999", "-5", ""):
        answer = api.get(f"{protocol.API}/catalog", headers=headers | {protocol.HEADER_TIME: sent})
        assert answer.status_code == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
page_like = st.fixed_dictionaries(
    {"ranges": json_values, "changes": json_values, "devices": json_values},
    optional={"vouches": json_values, "more": json_values},
)


@pytest.fixture
def member(enrol: Enrol, tmp_path: Path) -> Hub:
    return enrol(tmp_path / "member", "Member")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from([PUSH, PULL, ENROLL]),
    data=json_values | page_like | st.fixed_dictionaries({"knowledge": json_values}),
    raw=st.none() | st.binary(max_size=200),
)
def test_fuzzed_sync_bodies_never_break_the_centre(
    centre: Hub, api: TestClient, member: Hub, target: str, data: object, raw: bytes | None
) -> None:
    before = _state(centre)
    body = raw if raw is not None else protocol.pack_json(data) if _jsonable(data) else b"{}"
    answer = _post(api, member.device, target, body, encoding="" if raw is not None else "gzip")
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert _state(centre) == before
    assert central.enrolled_hubs(centre.sync_db)[0].revoked_at is None


def _jsonable(data: object) -> bool:
    try:
        json.dumps(data, allow_nan=False)
    except ValueError:
        return False
    return True


class _DroppingChanges(httpx.BaseTransport):
    """The centre behind someone on the wire who drops the first change of every page it answers."""

    def __init__(self, api: TestClient) -> None:
        self.centre = _via(api)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.centre.handle_request(request)
        if not request.url.path.endswith("/progress/pull"):
            return answer
        page = json.loads(answer.read())
        page["changes"] = page["changes"][1:]
        headers = [(k, v) for k, v in answer.headers.multi_items() if k != "content-length"]
        return httpx.Response(answer.status_code, headers=headers, content=json.dumps(page).encode())


def test_an_answer_changed_on_the_wire_is_refused_and_nothing_of_it_is_taken(
    centre: Hub, api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    riverside, hill = enrol(tmp_path / "riverside", "Riverside"), enrol(tmp_path / "hill", "Hill")
    progress.record(riverside.db, "ana", "c", "a", 0.5)
    progress.record(riverside.db, "bo", "c", "a", 1.0)
    client.sync_now(riverside, _quiet, _via(api))
    for learner in ("ana", "bo"):
        bring(centre, learner, hill)
    before = stored_state(hill), store.knowledge(hill.db)
    with pytest.raises(http.SyncError, match="not signed by it"):
        client.sync_now(hill, _quiet, _DroppingChanges(api))
    assert (stored_state(hill), store.knowledge(hill.db)) == before
    client.sync_now(hill, _quiet, _via(api))
    assert stored_state(hill).lessons == stored_state(riverside).lessons
