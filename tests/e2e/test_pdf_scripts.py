"""A PDF's JavaScript (issue 17, finding 12), in the browser residents use.

Chromium's PDF viewer runs a PDF's own JavaScript even when the PDF comes with the sandbox policy
every hub file carries, so the policy alone is not the defence: the hub refuses at import any PDF
that would run something, and shows the PDFs it keeps sandboxed.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hub.plugins.media.routes import file_headers
from tests.conftest import run_hub
from tests.e2e.helpers import starter
from tests.importing import SCRIPTED_PDFS

pytestmark = pytest.mark.e2e
SCRIPTED = SCRIPTED_PDFS["opening script"]


@pytest.fixture
def sandboxed_pdf_url() -> Iterator[str]:
    """A scripted PDF served with exactly the headers the hub gives a PDF lesson's file."""
    media_type, headers = file_headers("application/pdf", "leaflet.pdf")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            for name, value in {"Content-Type": media_type, **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(SCRIPTED)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/leaflet.pdf"
    server.shutdown()


def alerts_shown(page: Page, url: str) -> list[str]:
    shown: list[str] = []
    page.on("dialog", lambda dialog: (shown.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    deadline = time.monotonic() + 5
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return shown


def test_the_sandbox_policy_alone_does_not_stop_a_pdfs_script_so_the_hub_refuses_it(
    phones, sandboxed_pdf_url: str, hub_home: Path, tmp_path: Path
):
    # Why the import check is the defence: under the hub's own headers the viewer still runs it.
    assert alerts_shown(phones.open(), sandboxed_pdf_url) == ["Your phone is infected: call 0800 000 000"]
    leaflet = tmp_path / "leaflet.pdf"
    leaflet.write_bytes(SCRIPTED)
    refused = run_hub("content", "import", leaflet, "--yes", "--allow-unverified", home=hub_home)
    assert refused.returncode == 1 and "holds a JavaScript action" in " ".join(refused.stdout.split())


def test_a_pdf_lesson_is_shown_sandboxed_and_runs_nothing(phones, screenshot):
    lesson = next(lesson for lesson in starter("vaccination-basics-en").lessons if lesson.kind == "pdf")
    page = phones.open()
    page.set_viewport_size({"width": 1024, "height": 800})  # a phone shows no PDF inside the page
    shown: list[str] = []
    page.on("dialog", lambda dialog: (shown.append(dialog.message), dialog.dismiss()))
    page.goto(f"/courses/vaccination-basics-en/{lesson.id}")
    document = page.request.get(page.locator("object.pdf").get_attribute("data") or "")
    policy = document.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "allow-scripts" not in policy
    # Chromium still shows a sandboxed PDF: its viewer loads inside the lesson's <object>.
    expect(page.locator("object.pdf")).to_be_visible()
    deadline = time.monotonic() + 10
    while not any(frame.url.startswith("chrome-extension://") for frame in page.frames):
        assert time.monotonic() < deadline, [frame.url for frame in page.frames]
        page.wait_for_timeout(100)
    screenshot(page, "pdf-lesson-sandboxed")
    assert shown == [] and phones.broken == []
