"""`hub desktop`: the window, the API from the page, a screenshot, and a clean stop.

Each window runs in its own `python -m hub desktop` subprocess (a second `webview.start()` in one
process crashes Qt) under Qt's offscreen platform, driven by the launcher's self-test hook
(HUB_DESKTOP_SELFTEST: commands on stdin, JSON events on stdout; see desktop/selftest.py).

Without pywebview and PySide6 the window tests are skipped, except in CI (CI=true), where they
fail, so a CI run cannot go green without opening the window. The screenshot goes to
test-artifacts/desktop/.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.server import DEFAULT_PORT, HubServer, ServerError, bind
from hub import first_run, learners
from hub.address import lan_address
from hub.home import Hub
from tests.processes import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "desktop"
EVENT_PREFIX = "HUB_DESKTOP_SELFTEST "
START_SECONDS = 30
STOP_SECONDS = 15
INSTALL_HINT = "pip install 'commons-hub[desktop]'"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def base_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "300"}  # no line wrapping by Rich
    env.pop("HUB_HOME", None)
    return env


def window_env() -> dict[str, str]:
    return {
        **base_env(),
        "QT_QPA_PLATFORM": "offscreen",
        # Qt's Chromium refuses to run as root with its sandbox; no GPU here.
        "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu",
        "HUB_DESKTOP_SELFTEST": "1",
    }


def get(url: str) -> tuple[int, str] | None:
    """GET url directly (never through a proxy); None when nothing answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return None


def port_is_free(port: int) -> bool:
    """Could a server listen on this port again? (SO_REUSEADDR, as uvicorn and the launcher bind.)"""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
            probe.listen()
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def gui() -> None:
    missing = [name for name in ("webview", "PySide6") if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed: {INSTALL_HINT} to run the desktop window tests"
        if in_ci():
            pytest.fail(f"{reason} (CI is set, so the desktop tests must run)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hub folder for the module, starter courses imported once."""
    folder = tmp_path_factory.mktemp("desktop-home")
    hub = Hub(folder)
    hub.import_starter()
    learners.create_account(hub.db, "Ada", learners.Role.ADMIN, "long-password")  # set up already
    return folder


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


class Desktop:
    """`hub desktop` in a subprocess, driven through its self-test hook."""

    def __init__(self, home: Path, log: Path, port: int | None = None) -> None:
        command = [sys.executable, "-m", "hub", "desktop", "--home", str(home)]
        if port is not None:
            command += ["--port", str(port)]
        self.log = log
        self.lines: list[str] = []
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=window_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, text=True, bufsize=1,
            )  # fmt: skip
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(EVENT_PREFIX):
                self.events.put(json.loads(line[len(EVENT_PREFIX) :]))

    def output(self) -> str:
        return "\n".join(self.lines) + "\n--- stderr ---\n" + self.log.read_text(errors="replace")

    def event(self, name: str, timeout: float = START_SECONDS) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None and self.events.empty():
                    break
                continue
            if event["event"] == name:
                return event
            if event["event"] == "error":
                pytest.fail(f"the self-test reported {event}:\n{self.output()}")
        code = self.process.poll()
        pytest.fail(f"no {name!r} event within {timeout} s (exit code {code}):\n{self.output()}")

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def wait(self, timeout: float = STOP_SECONDS) -> int:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`hub desktop` did not exit within {timeout} s:\n{self.output()}")
        self.reader.join(5)
        return code

    def close(self) -> None:
        """Kill whatever is left (after a failed test) and release the pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.reader.join(5)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe:
                pipe.close()


@pytest.fixture
def desktop(gui: None, home: Path, tmp_path: Path) -> Iterator[Desktop]:
    app = Desktop(home, tmp_path / "desktop-stderr.log", port=free_port())
    yield app
    app.close()


@pytest.mark.e2e
def test_the_window_opens_the_join_page_of_a_hub_shared_with_the_network(desktop: Desktop) -> None:
    ready = desktop.event("ready")
    port = ready["port"]
    assert ready["host"] == "0.0.0.0"
    assert ready["url"] == f"http://127.0.0.1:{port}/join"
    answer = get(f"http://127.0.0.1:{port}/join")
    assert answer is not None and answer[0] == 200
    assert "<svg" in answer[1] and ready["public_url"] in answer[1]  # the QR code and the address
    lan = lan_address()
    if not lan.startswith("127."):  # listening on every interface: the LAN address answers too
        assert get(f"http://{lan}:{port}/join") is not None, f"nothing answers on {lan}:{port}"
    assert ready["public_url"] in desktop.output()  # the terminal tells the address too
    desktop.send("close")
    assert desktop.wait() == 0, desktop.output()


SET_UP = (
    "document.querySelector('#hub_name').value = 'Desk hub';"
    "document.querySelector('#name').value = 'Ada';"
    "document.querySelector('#password').value = 'long-password';"
    "document.querySelector('form.stack').requestSubmit();"
)


@pytest.mark.e2e
def test_a_hub_without_an_admin_opens_its_setup_with_the_code_filled_in(gui: None, tmp_path: Path) -> None:
    """Issue 17 #4: the person at the computer sets the hub up in the window without typing the code."""
    desktop = Desktop(tmp_path / "new-home", tmp_path / "desktop-stderr.log", port=free_port())
    try:
        ready = desktop.event("ready")
        code = first_run.setup_code(Hub(tmp_path / "new-home").db)
        assert ready["url"] == f"http://127.0.0.1:{ready['port']}/admin/setup?code={code}"
        assert f"Setup code: {code}" in desktop.output()  # and the terminal shows it too
        desktop.send(f"submit {SET_UP}")
        assert desktop.event("url")["url"] == f"http://127.0.0.1:{ready['port']}/admin"
        assert [a.name for a in learners.list_accounts(Hub(tmp_path / "new-home").db)] == ["Ada"]
        desktop.send("close")
        assert desktop.wait() == 0, desktop.output()
    finally:
        desktop.close()


@pytest.mark.e2e
def test_a_page_script_reaches_the_api_and_the_window_is_screenshotted(
    desktop: Desktop, artifacts: Path
) -> None:
    port = desktop.event("ready")["port"]
    answer = get(f"http://127.0.0.1:{port}/api/v1/courses")
    assert answer is not None and answer[0] == 200
    expected = len(json.loads(answer[1]))
    assert expected > 0

    desktop.send("api")
    assert desktop.event("api")["courses"] == expected

    picture = artifacts / "join-window.png"
    desktop.send(f"screenshot {picture}")
    shot = desktop.event("screenshot")
    assert shot["saved"], shot
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == tuple(shot["size"]) and width >= 400 and height >= 300
    assert len(data) > 10_000, "the screenshot looks blank"  # a page with text and a QR code, not one colour

    desktop.send("close")
    assert desktop.wait() == 0, desktop.output()


@pytest.mark.e2e
def test_the_window_menu_leads_back_to_the_qr_code_page(desktop: Desktop) -> None:
    port = desktop.event("ready")["port"]
    desktop.send("load /courses")
    assert desktop.event("url")["url"] == f"http://127.0.0.1:{port}/courses"
    desktop.send("menu Address and QR code for phones")
    assert desktop.event("url")["url"] == f"http://127.0.0.1:{port}/join"
    desktop.send("menu Stop the hub and close")
    assert desktop.wait() == 0, desktop.output()
    assert port_is_free(port)


@pytest.mark.e2e
def test_closing_the_window_stops_the_server_and_frees_the_port(desktop: Desktop) -> None:
    port = desktop.event("ready")["port"]
    assert get(f"http://127.0.0.1:{port}/") is not None
    assert not port_is_free(port)

    desktop.send("close")
    assert desktop.wait() == 0, desktop.output()
    assert "Commons Hub has stopped." in desktop.output()
    assert get(f"http://127.0.0.1:{port}/") is None
    assert port_is_free(port)


@pytest.mark.e2e
def test_ctrl_c_in_the_terminal_closes_the_window_cleanly(desktop: Desktop) -> None:
    port = desktop.event("ready")["port"]
    desktop.process.send_signal(signal.SIGINT)
    assert desktop.wait() == 0, desktop.output()
    assert "Traceback" not in desktop.output()
    assert port_is_free(port)


@pytest.mark.e2e
def test_a_busy_port_is_explained(gui: None, home: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        app = Desktop(home, tmp_path / "stderr.log", port=taken.getsockname()[1])
        try:
            assert app.wait() == 1
        finally:
            app.close()
    assert "already in use" in app.output()
    assert "Traceback" not in app.output()


def test_the_server_thread_serves_the_hub_and_stops_freeing_the_port(home: Path) -> None:
    """No window needed: the part that runs on every machine."""
    server = HubServer(Hub(home), "127.0.0.1", free_port())
    server.start()
    try:
        answer = get(server.local_url + "join")
        assert answer is not None and answer[0] == 200 and server.local_url in answer[1]
    finally:
        assert server.stop()
    assert get(server.local_url) is None
    assert port_is_free(server.port)


def test_a_free_port_is_used_when_8080_is_taken() -> None:
    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken by something else: just as good
            holder.bind(("127.0.0.1", DEFAULT_PORT))
            holder.listen()
        sock = stack.enter_context(bind("127.0.0.1", None))
        assert sock.getsockname()[1] not in (DEFAULT_PORT, 0)
        sock.listen()  # as the server does; only then is the port taken for good
        with pytest.raises(ServerError, match="already in use"):
            bind("127.0.0.1", sock.getsockname()[1])


def run_hub_desktop(env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "desktop", "--home", str(home)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_without_pywebview_the_command_says_what_to_install(tmp_path: Path) -> None:
    fake = tmp_path / "no-gui"
    fake.mkdir()
    (fake / "webview.py").write_text("raise ModuleNotFoundError('No module named webview', name='webview')\n")
    env = {**base_env(), "PYTHONPATH": os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])}
    result = run_hub_desktop(env, tmp_path / "home")
    assert result.returncode == 1, result
    assert INSTALL_HINT in result.stdout
    assert "hub serve" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the screen check is Linux's")
def test_without_a_screen_the_command_explains(tmp_path: Path) -> None:
    env = base_env()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    result = run_hub_desktop(env, tmp_path / "home")
    assert result.returncode == 1, result
    assert "No screen was found" in result.stdout or INSTALL_HINT in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_cli_does_not_load_a_gui_toolkit() -> None:
    """`hub --help` and `hub serve` stay fast and work on a server without Qt."""
    script = (
        "import sys, hub.cli\n"
        "assert 'desktop' in [c.name or c.callback.__name__ for c in hub.cli.app.registered_commands]\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'webview', 'PySide6', 'qtpy'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
