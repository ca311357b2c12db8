"""Speech for the whole starter library, and the home page's speed while the hub makes it.

Starts `python -m hub serve` on a fresh data folder, exactly as a user does: the hub imports the
starter courses and its voice plugin starts reading all of them aloud in the background. Once its
search index is built (its first build is work of its own), the home page is loaded for ROUND_S
seconds by a few keep-alive clients, every SPACING_S seconds while the reading goes on (req/s
"during"); once every course has its speech, the same load again ("idle", the baseline in the
same run). Reported: wall time to read the library, CPU seconds of the server and its children
(espeak-ng, ffmpeg, Mishkal), minutes of speech made, MB stored and MB per minute of speech, req/s
during and idle (medians of the rounds; target: during ≥ 0.8 × idle). HUB_SPEECH_CACHE is unset,
so everything is made. Writes bench/results/voice.json.

    PYTHONPATH=. /work/venv/bin/python bench/voice/run.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from tests.processes import free_port  # noqa: E402

RESULTS = REPO / "bench" / "results"
ROUND_S = 10.0
SPACING_S = 120.0  # between 'during' rounds
CLIENTS = 4
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a process: itself and the children it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def load(port: int, seconds: float) -> float:
    """Requests per second for GET / from CLIENTS keep-alive connections."""
    counts = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def search_ready(port: int) -> bool:
    """Whether the hub's search index is built (its first build, at start, is work of its own)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/api/v1/search?q=water")
    response = connection.getresponse()
    return response.status == 200 and not json.loads(response.read())["preparing"]


def speech_state(db: Path) -> tuple[int, int, int]:
    """(courses, courses with speech, speech jobs not finished)."""
    with sqlite3.connect(db, timeout=30) as conn:
        courses = conn.execute("SELECT count(*) FROM courses").fetchone()[0]
        done = conn.execute("SELECT count(*) FROM speech_courses").fetchone()[0]
        pending = conn.execute(
            "SELECT count(*) FROM jobs WHERE kind = 'speech' AND state IN ('queued', 'running')"
        ).fetchone()[0]
    return courses, done, pending


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_SPEECH_CACHE", "HUB_HOME")}
    env["PYTHONPATH"] = str(REPO)
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--home", str(home),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        started, cpu_start = time.monotonic(), cpu_seconds(server.pid)
        while not search_ready(port):  # so "during" measures speech, not the first index build
            time.sleep(1)
        during, next_round = [], time.monotonic()
        while True:
            courses, done, _ = speech_state(home / "hub.db")
            if courses and done >= courses:
                break
            if len(during) < args.rounds and time.monotonic() >= next_round:
                during.append(load(port, ROUND_S))
                print(f"during: {during[-1]:.1f} req/s ({done}/{courses} courses read)", flush=True)
                next_round = time.monotonic() + SPACING_S  # rounds spread over the reading
            else:
                time.sleep(1)
        wall = time.monotonic() - started
        cpu = cpu_seconds(server.pid) - cpu_start
        idle = []
        for _ in range(args.rounds):
            idle.append(load(port, ROUND_S))
            print(f"idle: {idle[-1]:.1f} req/s", flush=True)
        with sqlite3.connect(home / "hub.db") as conn:
            seconds, size, parts = conn.execute(
                "SELECT sum(s.seconds), sum(f.size), count(*) FROM (SELECT DISTINCT sha256, seconds"
                " FROM lesson_speech) s JOIN files f ON f.sha256 = s.sha256"
            ).fetchone()
            words = conn.execute("SELECT sum(words) FROM lesson_speech").fetchone()[0]
        result = {
            "courses": courses,
            "parts": parts,
            "words": words,
            "wall_seconds": round(wall, 1),
            "cpu_seconds": round(cpu, 1),
            "speech_minutes": round(seconds / 60, 1),
            "stored_mb": round(size / 1e6, 2),
            "mb_per_minute": round(size / 1e6 / (seconds / 60), 3),
            "during_req_s": round(statistics.median(during), 1) if during else None,
            "idle_req_s": round(statistics.median(idle), 1),
            "note": "rounds 'during' are taken while speech is being made; fewer if it finished first",
        }
        if during:
            result["ratio"] = round(result["during_req_s"] / result["idle_req_s"], 2)
        print(json.dumps(result, indent=2))
        target = result.get("ratio")
        print(f"target during >= 0.8 x idle: {'met' if target and target >= 0.8 else 'NOT met'}")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "voice.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
