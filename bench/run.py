"""Commons Hub benchmark runner: throughput, latency, memory and start time, against a baseline.

    /work/venv/bin/python bench/run.py            # full run, about 4 minutes
    /work/venv/bin/python bench/run.py --quick    # smoke run, about 1 minute (not for figures)

Everything runs on 127.0.0.1 with servers started as subprocesses exactly as a user starts
them (`python -m hub serve --home <fresh tmp dir> --host 127.0.0.1 --port <free port>`).
Load comes from wrk (bench/report.lua prints the percentiles). Prints a table and writes
JSON to bench/results/<timestamp>.json. See bench/README.md for what each number means.
No assertion fails: targets are reported as met or missed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "report.lua"
RESULTS = BENCH / "results"
SESSION_COOKIE = "hub_session"
CLK_TCK = os.sysconf("SC_CLK_TCK")

COURSE = "/courses/hand-hygiene-en"
LESSON = "/courses/hand-hygiene-en/why-hands"

# (key, label, path, send the returning learner's cookie?)
HUB_ENDPOINTS: tuple[tuple[str, str, str, bool], ...] = (
    ("home", "home /", "/", False),
    ("home_learner", "home / (learner cookie)", "/", True),
    ("course", f"course {COURSE}", COURSE, False),
    ("lesson", "lesson .../why-hands (learner cookie)", LESSON, True),
    ("api_courses", "API /api/v1/courses", "/api/v1/courses", False),
)

TARGETS = {
    "home_rps_min": 600.0,
    "home_p95_ms_max": 60.0,
    "cold_start_s_max": 2.0,
    "warm_start_s_max": 1.0,
    "idle_rss_mb_max": 60.0,
}

# Reference only: Kolibri 0.19.5 measured by the project on the same kind of 2-core machine.
KOLIBRI_REFERENCE = {
    "version": "0.19.5",
    "landing_page_rps": 32,
    "landing_page_p95_ms": 949,
    "json_api_rps": "123-143",
    "idle_rss_mb": "110-130",
    "rss_after_load_mb": 212,
    "cold_start_s": 4.5,
    "warm_start_s": 1.8,
}


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(port: int, path: str, cookie: str | None = None, timeout: float = 5.0):
    """(status, headers, body) of one GET on loopback."""
    return http_request(port, "GET", path, {"Cookie": cookie} if cookie else {}, timeout=timeout)


def http_request(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"",
                 timeout: float = 5.0):  # fmt: skip
    """(status, headers, body) of one request on loopback."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


@dataclass
class Server:
    """One server subprocess: its command, pid, readiness and /proc readings."""

    name: str
    argv: list[str]
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    phases: dict = field(default_factory=dict)
    launched_at: float = 0.0
    ready_after_s: float | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("wb")
        self.launched_at = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        out.close()

    def wait_ready(self, path: str = "/", timeout: float = 60.0) -> float:
        """Seconds from launch to the first HTTP 200 on `path` (polled every 5 ms).

        On the way it notes (in `phases`) when the process replaced itself with another
        program (exec, as `hub serve` did before issue 21) and when the port first
        accepted a connection; the time from there to the 200 is the first request.
        """
        deadline = self.launched_at + timeout
        # Right after the launch /proc may still show the runner's own command line (the
        # child has not exec'd Python yet): the exec that counts is the one away from argv.
        own = "\0".join(self.argv).encode() + b"\0"
        seen_own = False
        self.phases = {}
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            if "exec_s" not in self.phases:
                cmdline = self.cmdline()
                if cmdline == own:
                    seen_own = True
                elif seen_own and cmdline:
                    self.phases["exec_s"] = round(time.perf_counter() - self.launched_at, 4)
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5.0)
                try:
                    conn.connect()
                    self.phases.setdefault("listening_s", round(time.perf_counter() - self.launched_at, 4))
                    conn.request("GET", path)
                    status = conn.getresponse().status
                finally:
                    conn.close()
                if status == 200:
                    self.ready_after_s = time.perf_counter() - self.launched_at
                    self.phases["first_200_s"] = round(self.ready_after_s, 4)
                    return self.ready_after_s
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} gave no 200 on {path} within {timeout} s; see {self.log}")

    def cmdline(self) -> bytes:
        try:
            return Path(f"/proc/{self.proc.pid}/cmdline").read_bytes()
        except OSError:
            return b""

    def status_kb(self, key: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def rss_mb(self) -> float:
        return self.status_kb("VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        return self.status_kb("VmHWM") / 1024

    def memory_mb(self) -> dict[str, float]:
        """VmRSS split into anonymous (heap) and file-backed (mapped code and libraries) pages."""
        return {k: round(self.status_kb(k) / 1024, 1) for k in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process (all its threads)."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def wait_idle(self, limit_s: float = 30.0, window_s: float = 0.5, threshold: float = 0.05) -> float:
        """Wait until the server uses under `threshold` of a core over a window (startup work
        such as a search-index build can run after the first 200); return the seconds waited."""
        started = time.perf_counter()
        while time.perf_counter() - started < limit_s:
            before = self.cpu_s()
            time.sleep(window_s)
            if (self.cpu_s() - before) / window_s < threshold:
                break
        return time.perf_counter() - started

    def threads(self) -> int:
        return self.status_kb("Threads")

    def native_modules(self) -> dict[str, bool]:
        """Whether uvloop and httptools are loaded (they are picked by uvicorn's "auto")."""
        maps = Path(f"/proc/{self.proc.pid}/maps").read_text()
        return {"uvloop": "uvloop" in maps, "httptools": "httptools" in maps}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # what Ctrl+C does
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def hub_server(home: Path, port: int, logs: Path, tag: str) -> Server:
    argv = [
        sys.executable,
        "-m",
        "hub",
        "serve",
        "--home",
        str(home),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return Server(f"hub-{tag}", argv, port, logs / f"hub-{tag}.log")


def baseline_server(port: int, logs: Path, tag: str) -> Server:
    argv = [sys.executable, str(BENCH / "baseline_app.py"), "--host", "127.0.0.1", "--port", str(port)]
    return Server(f"baseline-{tag}", argv, port, logs / f"baseline-{tag}.log")


# --------------------------------------------------------------------------- machine load


def cpu_counters() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return (total - fields[3] - fields[4]) / CLK_TCK, total / CLK_TCK


def machine_busy_cores(seconds: float) -> float:
    busy0, _ = cpu_counters()
    time.sleep(seconds)
    busy1, _ = cpu_counters()
    return (busy1 - busy0) / seconds


def wait_for_quiet(limit_s: float, threshold_cores: float = 0.3) -> dict:
    """Wait (at most `limit_s`) until other work on the machine uses under `threshold_cores`.

    Other processes on the same CPUs (other users, CI jobs) skew every figure; this only
    waits for a quiet moment, it cannot stop them. Returns what it saw.
    """
    if limit_s <= 0:
        return {"busy_cores": None, "waited_s": 0.0, "quiet": None}
    started = time.perf_counter()
    busy = machine_busy_cores(1.0)
    while busy > threshold_cores and time.perf_counter() - started < limit_s:
        busy = machine_busy_cores(1.0)
    return {
        "busy_cores": round(busy, 2),
        "waited_s": round(time.perf_counter() - started, 1),
        "quiet": busy <= threshold_cores,
    }


# --------------------------------------------------------------------------- start time


def measure_starts(make, runs: int, settle_s: float, quiet_s: float) -> dict:
    """Launch-to-first-200 for `runs` fresh launches, with idle RSS after `settle_s`."""
    times, rss, quiet, idle_after, phases = [], [], [], [], []
    for i in range(runs):
        quiet.append(wait_for_quiet(quiet_s)["busy_cores"])
        server = make(i)
        server.start()
        try:
            times.append(server.wait_ready())
            phases.append(server.phases)
            idle_after.append(server.wait_idle())
            time.sleep(settle_s)
            rss.append(server.rss_mb())
        finally:
            server.stop()
    return {
        "runs_s": [round(t, 4) for t in times],
        "median_s": round(statistics.median(times), 4),
        "idle_rss_mb_runs": [round(r, 1) for r in rss],
        "idle_rss_mb_median": round(statistics.median(rss), 1),
        "machine_busy_cores_before": quiet,
        "server_busy_after_ready_s": [round(t, 1) for t in idle_after],
        "phases": phases,
        "phases_median_s": {
            key: round(statistics.median(p[key] for p in phases), 3)
            for key in ("exec_s", "listening_s", "first_200_s")
            if all(key in p for p in phases)
        },
    }


# --------------------------------------------------------------------------- load


def run_wrk(port: int, path: str, args: argparse.Namespace, duration: float, cookie: str | None) -> dict:
    env = {**os.environ, "BENCH_COOKIE": cookie or ""}
    argv = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        f"--timeout={args.wrk_timeout:g}s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / seconds
    result["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["error_count"] = sum(result["errors"].values())
    return result


def timed_run(server: Server, path: str, cookie: str | None, args) -> dict:
    """One timed wrk run, with the CPU the server, wrk and everything else used meanwhile."""
    before = wait_for_quiet(args.quiet_wait)
    cpu0, t0, (busy0, _) = server.cpu_s(), time.perf_counter(), cpu_counters()
    result = run_wrk(server.port, path, args, args.duration, cookie)
    wall = time.perf_counter() - t0
    busy1, _ = cpu_counters()
    result["server_cpu_share"] = (server.cpu_s() - cpu0) / wall  # 1.0 = one core busy
    result["wrk_cpu_share"] = result["wrk_cpu_s"] / wall
    # Whatever else kept the CPUs busy meanwhile (other users of the machine, the runner).
    result["other_cpu_share"] = max(
        0.0, (busy1 - busy0) / wall - result["server_cpu_share"] - result["wrk_cpu_share"]
    )
    result["machine_before"] = before
    return result


def measure_endpoint(server: Server, key: str, label: str, path: str, cookie: str | None, args) -> dict:
    """Warm up once, then `repeats` timed wrk runs; medians of req/s and of each percentile.

    A run during which the rest of the machine kept more than --noisy cores busy is done
    again (at most --retries extra runs per endpoint); the medians are taken over the
    `repeats` quietest runs, and every run, kept or not, is in the JSON.
    """
    print(f"  {label}: warm-up {args.warmup:g} s", end="", flush=True)
    run_wrk(server.port, path, args, args.warmup, cookie)
    runs: list[dict] = []
    while True:
        clean = [r for r in runs if r["other_cpu_share"] <= args.noisy]
        if len(clean) >= args.repeats or len(runs) >= args.repeats + args.retries:
            break
        result = timed_run(server, path, cookie, args)
        runs.append(result)
        noisy = result["other_cpu_share"] > args.noisy
        print(f", {result['rps']:.0f} req/s{' (noisy)' if noisy else ''}", end="", flush=True)
    print()
    kept = sorted(runs, key=lambda r: r["other_cpu_share"])[: args.repeats]
    for r in runs:
        r["kept"] = any(r is k for k in kept)

    def med(get) -> float:
        return statistics.median(get(r) for r in kept)

    requests = sum(r["requests"] for r in kept)
    non_2xx = sum(r["errors"]["status"] for r in kept)
    return {
        "key": key,
        "label": label,
        "path": path,
        "cookie": bool(cookie),
        "rps_median": round(med(lambda r: r["rps"]), 1),
        "p50_ms_median": round(med(lambda r: r["latency_us"]["p50"]) / 1000, 2),
        "p95_ms_median": round(med(lambda r: r["latency_us"]["p95"]) / 1000, 2),
        "p99_ms_median": round(med(lambda r: r["latency_us"]["p99"]) / 1000, 2),
        "server_cpu_share_median": round(med(lambda r: r["server_cpu_share"]), 2),
        "wrk_cpu_share_median": round(med(lambda r: r["wrk_cpu_share"]), 2),
        "other_cpu_share_median": round(med(lambda r: r["other_cpu_share"]), 2),
        "noisy": any(r["other_cpu_share"] > args.noisy for r in kept),
        "requests_total": requests,
        "non_2xx_total": non_2xx,
        "non_2xx_percent": round(100 * non_2xx / max(requests, 1), 2),
        "socket_errors_total": sum(
            r["errors"]["connect"] + r["errors"]["read"] + r["errors"]["write"] + r["errors"]["timeout"]
            for r in kept
        ),
        "bytes_per_response": round(kept[-1]["bytes"] / max(kept[-1]["requests"], 1)),
        "runs": runs,
    }


def learner_cookie(port: int) -> str:
    """The cookies a browser holds after a first lesson visit and its first save: one guest,
    reused for all load.

    A page view keeps nothing (issue 17): the guest is made when the lesson page's script saves
    progress, as a phone's does. Every cookie the hub sets (the session, the CSRF token) is kept
    and sent back, as a returning learner's browser does.
    """
    jar = SimpleCookie()

    def visit(path: str, save: dict[str, object] | None = None) -> tuple[int, list[str], bytes]:
        headers = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in jar.items())} if jar else {}
        if save is None:
            status, answer, body = http_request(port, "GET", path, headers)
        else:
            headers |= {"Content-Type": "application/json", "X-CSRF-Token": jar["hub_csrf"].value}
            status, answer, body = http_request(port, "POST", path, headers, json.dumps(save).encode())
        new = [v for n, v in answer if n.lower() == "set-cookie"]
        for value in new:
            jar.load(value)
        return status, new, body

    status, _, _ = visit(LESSON)
    if status != 200:
        raise RuntimeError(f"GET {LESSON} gave {status}")
    course, lesson = LESSON.split("/")[2:4]
    status, _, _ = visit("/api/v1/progress", {"course_id": course, "lesson_id": lesson, "progress": 0.1})
    if status != 204 or SESSION_COOKIE not in jar:
        raise RuntimeError(f"the first progress save gave {status} and no {SESSION_COOKIE} cookie")
    visit("/")  # pick up anything the home page adds
    # A returning learner gets no new cookie, and the home page shows "continue learning".
    status, new, _ = visit(LESSON)
    if status != 200 or new:
        raise RuntimeError(f"the learner's cookies were not accepted: the lesson page set {new}")
    status, _, body = visit("/")
    if status != 200 or b'id="continue"' not in body:
        raise RuntimeError("the home page with the learner's cookie shows no 'continue learning'")
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


def count_learners(home: Path) -> int | None:
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(f"file:{home / 'hub.db'}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM learners").fetchone()[0]
        finally:
            conn.close()
    return None


def check_endpoints(port: int, endpoints, cookie: str) -> dict:
    sizes = {}
    for key, _, path, with_cookie in endpoints:
        status, _, body = http_get(port, path, cookie if with_cookie else None)
        if status != 200:
            raise RuntimeError(f"GET {path} gave {status}")
        sizes[key] = len(body)
    return sizes


# --------------------------------------------------------------------------- environment


def git_head() -> str | None:
    """The commit the working tree is on, read from .git (the tree may hold uncommitted edits)."""
    try:
        head = (ROOT / ".git" / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head.removeprefix("ref: ")
        loose = ROOT / ".git" / ref
        if loose.is_file():
            return loose.read_text().strip()
        for line in (ROOT / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return None


def environment() -> dict:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.machine(),
    )
    mem = next(
        ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu_model": cpu,
        "cpus_online": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "mem_total_mb": round(int(mem) / 1024),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_head": git_head(),
        "python_executable": sys.executable,
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else None,
        "packages": {
            n: version(n)
            for n in (
                "commons-hub",
                "fastapi",
                "starlette",
                "uvicorn",
                "uvloop",
                "httptools",
                "jinja2",
                "pydantic",
                "sqlite-utils",
            )
        },
    }


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def targets_report(result: dict) -> list[dict]:
    hub, starts = result["hub"], result["starts"]
    load = {e["key"]: e for e in hub.get("endpoints", [])}
    rows = []

    def row(target: str, value: str, met: bool) -> None:
        rows.append({"target": target, "value": value, "met": met})

    for key in ("home", "home_learner"):
        if key in load:
            e = load[key]
            row(
                f"{e['label']}: >= {TARGETS['home_rps_min']:.0f} req/s",
                f"{e['rps_median']:.0f} req/s",
                e["rps_median"] >= TARGETS["home_rps_min"],
            )
            row(
                f"{e['label']}: p95 <= {TARGETS['home_p95_ms_max']:.0f} ms",
                f"{e['p95_ms_median']:.1f} ms",
                e["p95_ms_median"] <= TARGETS["home_p95_ms_max"],
            )
    if "hub_cold" in starts:
        cold = starts["hub_cold"]["median_s"]
        row(
            f"cold start <= {TARGETS['cold_start_s_max']:g} s",
            f"{cold:.2f} s",
            cold <= TARGETS["cold_start_s_max"],
        )
    if "hub_warm" in starts:
        warm, idle = starts["hub_warm"]["median_s"], starts["hub_warm"]["idle_rss_mb_median"]
        row(
            f"warm start <= {TARGETS['warm_start_s_max']:g} s",
            f"{warm:.2f} s",
            warm <= TARGETS["warm_start_s_max"],
        )
        row(
            f"idle RSS <= {TARGETS['idle_rss_mb_max']:g} MB (warm start)",
            f"{idle:.1f} MB",
            idle <= TARGETS["idle_rss_mb_max"],
        )
    if "idle_rss_mb" in hub:
        row(
            f"idle RSS <= {TARGETS['idle_rss_mb_max']:g} MB (load server, fresh home)",
            f"{hub['idle_rss_mb']:.1f} MB",
            hub["idle_rss_mb"] <= TARGETS["idle_rss_mb_max"],
        )
    return rows


def phase_rows(starts: dict) -> list[tuple]:
    """Where a warm start's time goes: the CLI until it execs the server (hub only), the
    server's imports and app until it listens, then the first page."""

    def spans(kind: str) -> dict[str, float]:
        phases = starts.get(kind, {}).get("phases_median_s", {})
        if "listening_s" not in phases:
            return {}
        start = phases.get("exec_s", 0.0)
        out = {
            "listen": phases["listening_s"] - start,
            "first": phases["first_200_s"] - phases["listening_s"],
        }
        if "exec_s" in phases:
            out["cli"] = phases["exec_s"]
        return out

    hub, base = spans("hub_warm"), spans("baseline")
    labels = (
        ("cli", "  of which: `hub serve` CLI until it execs the server"),
        ("listen", "  of which: server imports and app, until listening"),
        ("first", "  of which: first GET / once listening"),
    )
    return [
        (label, hub.get(key), base.get(key), None, ".2f")
        for key, label in labels
        if key in hub or key in base
    ]


def print_report(result: dict) -> None:
    s = result["settings"]
    env = result["environment"]
    print()
    print(
        f"Commons Hub benchmark, {env['date']}, {env['cpus_usable']} CPUs ({env['cpu_model']}), "
        f"Python {env['python']}"
    )
    print(
        f"wrk -t{s['threads']} -c{s['connections']} -d{s['duration_s']:g}s, {s['repeats']} runs after a "
        f"{s['warmup_s']:g} s warm-up, medians; wrk and the server share the same CPUs."
    )
    print()
    head = (
        f"{'endpoint':<44} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'srv CPU':>7} "
        f"{'other':>6} {'non-2xx':>8}"
    )
    print(head)
    print("-" * len(head))
    rows = list(result["hub"].get("endpoints", []))
    rows += [{**e, "label": f"baseline {e['label']}"} for e in result["baseline"].get("endpoints", [])]
    for e in rows:
        print(
            f"{e['label']:<44} {e['rps_median']:>7.0f} {e['p50_ms_median']:>7.1f} {e['p95_ms_median']:>7.1f} "
            f"{e['p99_ms_median']:>7.1f} {e['server_cpu_share_median']:>7.2f} "
            f"{e['other_cpu_share_median']:>6.2f} {e['non_2xx_percent']:>7.1f}%"
            + ("  noisy" if e.get("noisy") else "")
        )
    print()
    starts, hub, base, k = result["starts"], result["hub"], result["baseline"], KOLIBRI_REFERENCE

    def get(d: dict, *keys: str) -> object:
        for key in keys:
            d = d.get(key) if isinstance(d, dict) else None
        return d

    n = s["start_runs"]
    table = [
        (f"cold start, fresh empty home, s (median of {n})", get(starts, "hub_cold", "median_s"), None,
         k["cold_start_s"], ".2f"),
        (f"warm start, initialised home, s (median of {n})", get(starts, "hub_warm", "median_s"),
         get(starts, "baseline", "median_s"), k["warm_start_s"], ".2f"),
        *phase_rows(starts),
        ("idle RSS after a warm start, MB (median)", get(starts, "hub_warm", "idle_rss_mb_median"),
         get(starts, "baseline", "idle_rss_mb_median"), k["idle_rss_mb"], ".1f"),
        ("idle RSS after a cold start, MB (median)", get(starts, "hub_cold", "idle_rss_mb_median"), None,
         None, ".1f"),
        ("idle RSS of the load server before load, MB", get(hub, "idle_rss_mb"), get(base, "idle_rss_mb"),
         None, ".1f"),
        ("RSS right after the load runs, MB", get(hub, "after_load_rss_mb"), get(base, "after_load_rss_mb"),
         k["rss_after_load_mb"], ".1f"),
        ("peak RSS (VmHWM) after the load runs, MB", get(hub, "after_load_peak_rss_mb"),
         get(base, "after_load_peak_rss_mb"), None, ".1f"),
    ]  # fmt: skip
    head = f"{'start and memory':<52} {'hub':>10} {'baseline':>10} {'Kolibri*':>10}"
    print(head)
    print("-" * len(head))
    for label, ours, floor, kolibri, fmt in table:
        cells = [format(v, fmt) if isinstance(v, float | int) else (v or "-") for v in (ours, floor, kolibri)]
        print(f"{label:<52} {cells[0]:>10} {cells[1]:>10} {cells[2]:>10}")
    print()
    head = f"{'target':<62} {'today':>12} {'':>7}"
    print(head)
    print("-" * len(head))
    for row in result["targets"]:
        print(f"{row['target']:<62} {row['value']:>12} {verdict(row['met']):>7}")
    print()
    print(
        f"* Reference only: Kolibri {k['version']}, measured by the project on the same kind of machine: "
        f"landing page {k['landing_page_rps']} req/s (p95 {k['landing_page_p95_ms']} ms), "
        f"JSON API {k['json_api_rps']} req/s."
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark Commons Hub against a minimal FastAPI baseline.")
    p.add_argument("--duration", type=float, default=10, help="seconds per timed wrk run (default 10)")
    p.add_argument("--warmup", type=float, default=3, help="seconds of untimed wrk per endpoint (default 3)")
    p.add_argument("--repeats", type=int, default=3, help="timed wrk runs per endpoint (default 3)")
    p.add_argument("--connections", type=int, default=20, help="wrk -c (default 20)")
    p.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    p.add_argument("--wrk-timeout", type=float, default=5, help="wrk --timeout in seconds (default 5)")
    p.add_argument("--start-runs", type=int, default=5, help="launches per start-time figure (default 5)")
    p.add_argument(
        "--settle", type=float, default=1.0, help="seconds after the server is idle, before idle RSS"
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=10,
        help="before each timed run or launch, wait up to this many seconds for the machine "
        "to be quiet (other processes under 0.3 of a core); 0 to not wait (default 10)",
    )
    p.add_argument(
        "--noisy",
        type=float,
        default=0.3,
        help="a run during which other processes used more than this many cores is noisy and is "
        "done again (default 0.3)",
    )
    p.add_argument(
        "--retries", type=int, default=3, help="extra runs per endpoint to replace noisy ones (default 3)"
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["starts", "hub", "baseline"],
        help="leave a part out (repeatable)",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 3 s runs, 1 repeat, 2 launches")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON (default bench/results)")
    p.add_argument("--keep", action="store_true", help="keep the temporary hub homes and logs")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.repeats, args.start_runs, args.retries = 3, 1, 1, 2, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    logs = work / "logs"
    result: dict = {
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "repeats": args.repeats,
            "connections": args.connections,
            "threads": args.threads,
            "wrk_timeout_s": args.wrk_timeout,
            "start_runs": args.start_runs,
            "idle_settle_s": args.settle,
            "quick": args.quick,
        },
        "environment": environment(),
        "notes": [
            "wrk and the server run on the same machine and share its CPUs (loopback only).",
            "Latencies in ms; medians over the repeated wrk runs of req/s and of each percentile.",
            "server_cpu_share: server CPU seconds per wall second during a run (1.0 = one core busy).",
            "other_cpu_share: CPU the rest of the machine used during a run (other users, other jobs); "
            "well above 0 means the figures are skewed by work the runner does not control.",
        ],
        "targets_defined": TARGETS,
        "kolibri_reference": KOLIBRI_REFERENCE,
        "starts": {},
        "hub": {},
        "baseline": {},
    }
    started = time.perf_counter()
    running: list[Server] = []
    try:
        if "starts" not in args.skip:
            print(f"Start time, {args.start_runs} launches each")
            homes = [work / f"home-cold-{i}" for i in range(args.start_runs)]
            for home in homes:
                home.mkdir()
            cold = measure_starts(
                lambda i: hub_server(homes[i], free_port(), logs, f"cold{i}"),
                args.start_runs,
                args.settle,
                args.quiet_wait,
            )
            print(f"  hub cold: {cold['runs_s']}")
            warm_home = homes[-1]
            warm = measure_starts(
                lambda i: hub_server(warm_home, free_port(), logs, f"warm{i}"),
                args.start_runs,
                args.settle,
                args.quiet_wait,
            )
            print(f"  hub warm: {warm['runs_s']}")
            base = measure_starts(
                lambda i: baseline_server(free_port(), logs, f"start{i}"),
                args.start_runs,
                args.settle,
                args.quiet_wait,
            )
            print(f"  baseline: {base['runs_s']}")
            result["starts"] = {"hub_cold": cold, "hub_warm": warm, "baseline": base}

        if "hub" not in args.skip:
            print("Hub under load")
            home = work / "home-load"
            home.mkdir()
            server = hub_server(home, free_port(), logs, "load")
            running.append(server)
            server.start()
            ready = server.wait_ready()
            busy_after_ready = server.wait_idle()
            time.sleep(args.settle)
            hub = {
                "ready_after_s": round(ready, 3),
                "server_busy_after_ready_s": round(busy_after_ready, 1),
                "idle_rss_mb": round(server.rss_mb(), 1),
                "idle_memory_mb": server.memory_mb(),
                "native": server.native_modules(),
            }
            cookie = learner_cookie(server.port)
            hub["response_bytes"] = check_endpoints(server.port, HUB_ENDPOINTS, cookie)
            learners_before = count_learners(home)
            hub["endpoints"] = [
                measure_endpoint(server, key, label, path, cookie if with_cookie else None, args)
                for key, label, path, with_cookie in HUB_ENDPOINTS
            ]
            hub["after_load_rss_mb"] = round(server.rss_mb(), 1)
            hub["after_load_peak_rss_mb"] = round(server.peak_rss_mb(), 1)
            hub["after_load_memory_mb"] = server.memory_mb()
            hub["threads_after_load"] = server.threads()
            hub["learners_created_during_load"] = (
                None if learners_before is None else count_learners(home) - learners_before
            )
            server.stop()
            result["hub"] = hub

        if "baseline" not in args.skip:
            print("Baseline (minimal FastAPI app, same uvicorn settings) under load")
            server = baseline_server(free_port(), logs, "load")
            running.append(server)
            server.start()
            ready = server.wait_ready()
            busy_after_ready = server.wait_idle()
            time.sleep(args.settle)
            base = {
                "ready_after_s": round(ready, 3),
                "server_busy_after_ready_s": round(busy_after_ready, 1),
                "idle_rss_mb": round(server.rss_mb(), 1),
                "idle_memory_mb": server.memory_mb(),
                "native": server.native_modules(),
            }
            base["endpoints"] = [measure_endpoint(server, "baseline", "/ (FastAPI floor)", "/", None, args)]
            base["after_load_rss_mb"] = round(server.rss_mb(), 1)
            base["after_load_peak_rss_mb"] = round(server.peak_rss_mb(), 1)
            base["after_load_memory_mb"] = server.memory_mb()
            server.stop()
            result["baseline"] = base
    finally:
        for server in running:
            server.stop()
        if args.keep:
            print(f"Kept homes and logs in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["targets"] = targets_report(result)
    print_report(result)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nWrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
        f"({result['elapsed_s']:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
