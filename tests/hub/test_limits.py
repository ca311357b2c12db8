"""Every request body is bounded by its route's limit before the hub reads it (issue 17, finding 2)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hub.home import Hub
from hub.limits import BODY_LIMITS, DEFAULT_BODY_LIMIT, IMPORT_UPLOAD, STUDIO_UPLOAD, body_limit
from hub.plugins.imports.routes import MAX_UPLOAD_BYTES as IMPORT_CAP
from hub.plugins.studio.drafts import MAX_UPLOAD_BYTES as STUDIO_CAP
from tests.processes import REPO, free_port, wait_until

CHUNK = b"x" * (16 * 1024)
HUNDRED_MB = 100 * 1024**2


def post(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]], total: int) -> tuple[int, bytes, int]:
    """POST `total` bytes to the app in 16 KB chunks made as they are asked for.

    Returns the status, the response body and how many bytes the app pulled."""
    pulled, status, body = 0, 0, b""

    async def receive() -> dict:
        nonlocal pulled
        if pulled >= total:
            await asyncio.sleep(3600)  # the client has sent everything; only a disconnect would follow
        pulled += len(CHUNK)
        return {"type": "http.request", "body": CHUNK, "more_body": pulled < total}

    async def send(message: dict) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            body += message.get("body", b"")

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"hub.test"), *headers], "client": ("127.0.0.1", 1), "server": ("hub.test", 80),
    }  # fmt: skip
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 60))
    return status, body, pulled


def test_a_chunked_100_mb_post_is_refused_once_it_passes_the_limit(app: FastAPI):
    status, body, pulled = post(app, "/api/v1/progress", [(b"content-type", b"application/json")], HUNDRED_MB)
    assert status == 413
    assert "larger than the hub accepts" in json.loads(body)["detail"]
    assert pulled <= DEFAULT_BODY_LIMIT + len(CHUNK)


def test_a_post_announcing_100_mb_is_refused_before_any_of_it_is_read(app: FastAPI):
    headers = [(b"content-type", b"application/json"), (b"content-length", str(HUNDRED_MB).encode())]
    status, body, pulled = post(app, "/api/v1/progress", headers, HUNDRED_MB)
    assert (status, pulled) == (413, 0)
    assert "64 KB" in json.loads(body)["detail"]


def test_an_oversized_form_gets_a_page_saying_so(app: FastAPI):
    headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"cookie", b"hub_csrf=t")]
    status, body, pulled = post(app, "/me/profile", headers, 4 * 1024**2)
    assert status == 413
    assert "<html" in body.decode() and "larger than the hub accepts" in body.decode()
    assert pulled <= DEFAULT_BODY_LIMIT + len(CHUNK)


def test_a_body_within_the_limit_still_arrives(client):
    saved = client.post("/api/v1/progress", json={"course_id": "sample-course", "lesson_id": "read-me",
                                                  "progress": 0.5})  # fmt: skip
    assert saved.status_code == 204


def test_uploads_and_sync_have_their_own_limits_consistent_with_their_caps():
    lesson = "/tutor/studio/drafts/c/lessons/l"
    assert body_limit("/api/v1/progress") == body_limit("/signin") == DEFAULT_BODY_LIMIT
    assert body_limit(f"{lesson}/images") == body_limit(lesson) == STUDIO_UPLOAD > STUDIO_CAP
    assert body_limit("/tutor/import/upload") == IMPORT_UPLOAD > IMPORT_CAP
    assert body_limit(f"{lesson}/images/0/delete") == DEFAULT_BODY_LIMIT
    assert body_limit("/api/v1/sync/progress/push") == body_limit("/api/v1/sync/progress/pull") == 4 * 1024**2
    assert BODY_LIMITS["/api/v1/sync/enroll"] == 64 * 1024


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    Hub(tmp_path / "home")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.server", str(tmp_path / "home"), "127.0.0.1", str(port)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        wait_until(lambda: _answers(port), "the hub to start", 30)
        yield process, port
    finally:
        process.terminate()
        process.wait(15)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stream_until_answered(port: int, head: bytes, chunked: bool) -> tuple[bytes, int]:
    """Send a 100 MB body (1 MB at a time, the same buffer again and again) until the server answers.

    Returns the start of the answer and how many body bytes went out before it came."""
    piece = b"x" * 1024**2
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        answered = select.poll()  # not select(): a long test run may hold more than 1024 descriptors
        answered.register(sock, select.POLLIN)
        sock.sendall(head)
        while sent < HUNDRED_MB and not answered.poll(0):
            try:
                sock.sendall(b"100000\r\n" + piece + b"\r\n" if chunked else piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        if chunked and sent == HUNDRED_MB:
            sock.sendall(b"0\r\n\r\n")  # the whole body went out unanswered: end it
        sock.settimeout(30)
        return sock.recv(65536), sent


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_100_mb_post_to_a_real_server_does_not_grow_its_memory(served, chunked):
    process, port = served
    httpx.get(f"http://127.0.0.1:{port}/api/v1/courses")  # warm up what every request loads
    before = rss_kb(process.pid)
    framing = b"transfer-encoding: chunked" if chunked else b"content-length: %d" % HUNDRED_MB
    head = (b"POST /api/v1/progress HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"%s\r\n\r\n" % framing)  # fmt: skip
    answer, sent = stream_until_answered(port, head, chunked)
    after = rss_kb(process.pid)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < HUNDRED_MB
    assert after - before < 5 * 1024, f"RSS {before} kB → {after} kB"
    print(f"RSS {before} kB → {after} kB, {sent // 1024**2} MB sent before the answer")
