"""Browser tests: a real `hub serve` on loopback, driven by Debian's Chromium through Playwright.

Without /usr/bin/chromium the tests are skipped, except in CI (CI=true), where they fail, so a
CI run cannot go green without driving a browser. Screenshots go to test-artifacts/e2e/.

The server and the browser are shared by the tests of this folder (package scope) and stopped
when they are done, before the rest of the suite runs. Each test opens its pages in new browser
contexts (fresh cookies: a new phone), so tests that need a clean learner get one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, sync_playwright

from tests.processes import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
    "locale": "en-US",
}
SERVER_START_SECONDS = 60  # a first start imports 32 starter courses; a loaded CI machine needs the margin
TIMEOUT_MS = 10_000


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def browser_unavailable(reason: str) -> None:
    """Skip the browser tests locally; fail them in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _needs_chromium() -> None:
    """Checked before the other fixtures, so a missing browser skips without starting a server."""
    if not CHROMIUM.exists():
        browser_unavailable(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")


def http_status(url: str) -> int | None:
    """GET url directly (never through a proxy); None while nothing answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@pytest.fixture(scope="package")
def hub_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of the hub the browser tests drive (for `hub … --home` commands)."""
    return tmp_path_factory.mktemp("hub-home")


@pytest.fixture(scope="package")
def hub_url(tmp_path_factory: pytest.TempPathFactory, hub_home: Path) -> Iterator[str]:
    """A real hub (`python -m hub serve`) in a fresh data folder, on a free loopback port."""
    home = hub_home
    log_path = tmp_path_factory.getbasetemp() / "hub-serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "hub", "serve", "--home", str(home),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("HUB_HOME", None)
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while (status := http_status(url + "/")) != 200:
            if server.poll() is not None:
                pytest.fail(f"`hub serve` exited with {server.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`hub serve` did not answer GET / with 200 within {SERVER_START_SECONDS} s "
                    f"(last status {status}):\n{log_path.read_text()}"
                )
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Phones:
    """Opens phone-sized pages, each in its own browser context (its own cookies: a new device)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.broken: list[str] = []

    def open(self, javascript: bool = True) -> Page:
        context = self.browser.new_context(**PHONE, base_url=self.base_url, java_script_enabled=javascript)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("response", self._note_broken)
        self.contexts.append(context)
        return context.new_page()

    def _note_broken(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.broken.append(f"{response.status} {response.request.method} {response.url}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def phones(browser: Browser, hub_url: str) -> Iterator[Phones]:
    opened = Phones(browser, hub_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/e2e/, emptied of the last run's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture
def screenshot(artifacts: Path) -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
