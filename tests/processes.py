"""Real `hub serve` processes on loopback, each with its own home, for tests that need several."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 60.0
START_SECONDS = 90.0  # a first start imports the 32 starter courses; a loaded machine is slow at it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Callable[[], object], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll check() until it is true; fail saying what did not happen once the deadline passes."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.1)


@dataclass
class Server:
    home: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


def serve(home: Path, *options: str) -> Server:
    """`hub serve` as a person starts it, on a free loopback port; back when it answers.

    Its output goes to `<home>-serve.log` beside the home."""
    port = free_port()
    log = (home.parent / f"{home.name}-serve.log").open("ab")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    env.pop("HUB_HOME", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", *options, "--home", str(home), "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    server = Server(home, port, process)
    try:
        wait_until(lambda: _answers(server), f"{home.name} to start", START_SECONDS)
    except BaseException:
        server.stop()
        raise
    return server


def _answers(server: Server) -> bool:
    assert server.process.poll() is None, f"{server.home.name} exited with {server.process.returncode}"
    try:
        return httpx.get(server.url + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
