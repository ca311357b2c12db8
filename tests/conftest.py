"""Shared fixtures: a hub in a temporary folder, its app without entry-point plugins, a client."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import learners
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from tests import postgres
from tests.pdf_bytes import pdf_from_objects
from tests.processes import Server

# Speech the hub makes is kept by voice and text in this folder (hub/plugins/voice/synth.py), so the
# starter library is read aloud once, not by every hub a test starts (the browser tests' server too).
os.environ.setdefault("HUB_SPEECH_CACHE", str(Path(tempfile.gettempdir()) / "commons-hub-test-speech"))

SAMPLE_COURSE = {
    "course.toml": """
id = "sample-course"
version = 1
title = "Sample course"
summary = "A small course for tests."
language = "en"
topics = ["health", "hygiene"]
publisher = "Test team"
license = "CC BY 4.0"
sources = ["A source"]
""",
    "01-read-me.md": """+++
title = "Read me"
kind = "article"
+++
# Hello

Some **text** about soap.
""",
    "02-watch.md": """+++
title = "Watch"
kind = "video"
media = "media/clip.mp4"

[[captions]]
file = "media/clip.en.vtt"
language = "en"
label = "English"
+++
A text alternative.
""",
    "03-check.md": """+++
title = "Check"
kind = "quiz"
pass_mark = 0.5

[[questions]]
type = "single"
prompt = "Pick B"
choices = ["A", "B"]
answer = 1
explanation = "B is right."

[[questions]]
type = "multiple"
prompt = "Pick A and C"
choices = ["A", "B", "C"]
answer = [0, 2]
explanation = "A and C."

[[questions]]
type = "truefalse"
prompt = "True?"
answer = true
explanation = "Yes."

[[questions]]
type = "numeric"
prompt = "How many seconds?"
answer = 20
tolerance = 1
explanation = "Twenty."
+++
""",
    "media/clip.mp4": b"\x00\x00\x00\x18ftypmp42 not really a video",
    "media/clip.en.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHello\n",
}


def write_course(root: Path, files: dict[str, str | bytes] | None = None, **overrides: str | bytes) -> Path:
    """Write the sample author folder (with any files replaced) and return its path."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in {**(files or SAMPLE_COURSE), **overrides}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def hub_with_accounts(home: Path, accounts: dict[Role, tuple[str, str]]) -> Hub:
    """A hub at `home` with the sample course and an account per role (role → name, PIN or password)."""
    from hub.library import import_package

    hub = Hub(home)
    import_package(hub.db, hub.blobs, write_course(home.parent / "course"), allow_unverified=True)
    for role, (name, secret) in accounts.items():
        learners.create_account(hub.db, name, role, secret)
    return hub


def tiny_pdf(text: str, catalog: bytes = b"", *more: bytes) -> bytes:
    """A one-page PDF showing `text`, written by hand (no PDF library needed to make one).

    `catalog` adds entries to its catalog and `more` objects after its own (numbered from 6)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *more,
    ]
    return pdf_from_objects(objects)


def run_hub(*args: str | Path, home: Path | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the `hub` command in a subprocess, as a person at a terminal would."""
    extra = ["--home", str(home)] if home else []
    return subprocess.run(
        [sys.executable, "-m", "hub", *map(str, args), *extra],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def course_folder(tmp_path: Path) -> Path:
    return write_course(tmp_path / "author" / "sample-course")


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


@pytest.fixture
def app(hub: Hub, course_folder: Path) -> FastAPI:
    from hub.library import import_package

    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    return create_app(hub, manager_for(hub, load_entry_points=False))


class BrowserClient(TestClient):
    """A client that sends the CSRF token with every state-changing request, as the hub's
    own forms (hidden field) and scripts (header) do. CSRF refusals are tested with a plain
    TestClient."""

    def request(self, method: str, url: object, **kwargs: Any) -> Any:  # type: ignore[override]
        token = self.cookies.get("hub_csrf")
        if method.upper() not in ("GET", "HEAD", "OPTIONS") and token:
            kwargs["headers"] = {"X-CSRF-Token": token, **(kwargs.get("headers") or {})}
        return super().request(method, url, **kwargs)


def signed_in(hub: Hub, role: Role, app: FastAPI | None = None) -> BrowserClient:
    """A browser signed in as a new account of `role` on `hub` (a new app for it unless given)."""
    secret = "1234" if role == Role.LEARNER else "a-long-secret"
    account = learners.create_account(hub.db, f"Someone {role.value} {secrets.token_hex(2)}", role, secret)
    return _browser_as(hub, account.id, app)


def resident(hub: Hub, name: str = "Amina") -> tuple[BrowserClient, str]:
    """A browser signed in as a new learner called `name` (PIN 1234), and her id."""
    account = learners.create_account(hub.db, name, Role.LEARNER, "1234")
    return _browser_as(hub, account.id), account.id


def _browser_as(hub: Hub, account_id: str, app: FastAPI | None = None) -> BrowserClient:
    web = BrowserClient(
        app or create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    )
    web.cookies.set("hub_csrf", "t")
    web.cookies.set("hub_session", learners.start_session(hub.db, account_id))
    return web


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with BrowserClient(app, base_url="http://hub.test") as test_client:
        yield test_client


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Append every `hub serve` a test starts (tests/processes.py); each is stopped when the test ends."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the whole run (tests/postgres.py: started here if none is given)."""
    with postgres.cluster() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test."""
    name = "t_" + secrets.token_hex(6)
    with postgres.fresh_database(postgres_server, name) as url:
        yield url


def foreign_scripts(html: str) -> list[str]:
    """Script tags in a page other than the hub's own static files (listen.js): inline script, or
    script from anywhere else. A page should have none."""
    return re.findall(r'<script(?! src="/static/)[^>]*>', html)
