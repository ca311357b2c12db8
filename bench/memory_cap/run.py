"""Memory-cap benchmark: the hub under a 20-connection load, held within 256 MB, against no cap.

    /work/venv/bin/python bench/memory_cap/run.py            # 3 runs of every mode, about 3 minutes
    /work/venv/bin/python bench/memory_cap/run.py --quick    # 1 short run of every mode (smoke only)

A Raspberry Pi with 1 GB shares its memory with the OS, so the hub must serve a room full of phones
inside a fixed budget. Every mode starts the hub as a user does (`python -m hub serve --home <tmp>
--host 127.0.0.1 --port <free>`, which execs the server, keeping the PID) and loads it with
`wrk -t2 -c20 -d10s` and load.lua: pages, the JSON API and media files in rotation, a progress
save every tenth request, all as a returning learner (cookie + CSRF token). Modes:

  uncapped         no limit
  cgroup           a 256 MB memory cgroup: `systemd-run --scope -p MemoryMax=256M -p MemorySwapMax=0`
                   where systemd runs (cgroup v2, as on Raspberry Pi OS), else a child of this
                   process's cgroup v1 memory controller (memory.limit_in_bytes)
  prlimit          a 256 MB address-space cap, tuned: `MALLOC_ARENA_MAX=2 prlimit --as=256M --stack=2M`
  prlimit-as-only  `prlimit --as=256M` alone, to show why the tuning is needed

Reported per mode, medians of the runs (modes interleave, so drift hits each alike): req/s,
p50/p95 latency (wrk), errors (connect, read, write, timeout and non-2xx/3xx, summed over runs;
they must be 0), the server's peak RSS (VmHWM), the cgroup's peak (which counts page cache too)
and how often the cgroup hit its limit. Prints a table and writes JSON to results/<timestamp>.json.
No assertion: the figures are reported. See README.md next to this file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LUA = HERE / "load.lua"
RESULTS = HERE / "results"
MB = 1024 * 1024
LIMIT = 256 * MB  # --limit-mb changes it
CONNECTIONS, THREADS = 20, 2
START_SECONDS = 30.0


# --------------------------------------------------------------------------- the hub


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(
    port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_until_serving(process: subprocess.Popen[bytes], port: int) -> str | None:
    """None once GET / answers 200, else why not."""
    deadline, status, failing_since = time.monotonic() + START_SECONDS, None, None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with {process.returncode} before serving"
        try:
            status = request(port, "GET", "/")[0]
            if status == 200:
                return None
        except OSError:
            pass
        if status is not None and status >= 500:  # up but failing: give it 5 s, not the full wait
            failing_since = failing_since or time.monotonic()
            if time.monotonic() - failing_since > 5:
                return f"answered GET / with {status} for 5 s"
        time.sleep(0.1)
    return f"did not answer GET / with 200 within {START_SECONDS:.0f} s (last answer: {status})"


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, VmSize, VmPeak in bytes, and Threads, from /proc/<pid>/status."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "VmSize", "VmPeak"):
                values[key] = int(rest.split()[0]) * 1024
            elif key == "Threads":
                values[key] = int(rest)
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


# --------------------------------------------------------------------------- memory caps


class Cap:
    """How a mode limits the server: a command prefix, environment, work in the child, readings."""

    name = "uncapped"
    how = "no limit"

    def prefix(self) -> list[str]:
        return []

    def env(self) -> dict[str, str]:
        return {}

    def in_child(self) -> Callable[[], None] | None:
        return None

    def started(self, pid: int) -> None:
        """Called with the server's PID once it serves."""

    def readings(self) -> dict[str, object]:
        return {}

    def close(self) -> None:
        """Remove whatever the cap created."""


class SystemdScope(Cap):
    """cgroup v2 through systemd: the way a Raspberry Pi OS admin would cap the service too."""

    name = "cgroup"
    how = "systemd-run --scope -p MemoryMax=<limit> -p MemorySwapMax=0 (cgroup v2)"

    def __init__(self) -> None:
        self.path: Path | None = None

    @staticmethod
    def available() -> bool:
        return Path("/run/systemd/system").is_dir() and shutil.which("systemd-run") is not None

    def prefix(self) -> list[str]:
        return ["systemd-run", "--scope", "--quiet", "--collect",
                "-p", f"MemoryMax={LIMIT}", "-p", "MemorySwapMax=0", "--"]  # fmt: skip

    def started(self, pid: int) -> None:
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                self.path = Path("/sys/fs/cgroup") / line[3:].lstrip("/")

    def readings(self) -> dict[str, object]:
        if self.path is None:
            return {}
        found: dict[str, object] = {}
        peak = self.path / "memory.peak"  # kernel 5.19 and later
        if peak.exists():
            found["cgroup_peak_bytes"] = int(peak.read_text())
        events = self.path / "memory.events"
        if events.exists():
            counts = dict(line.split() for line in events.read_text().splitlines())
            found["cgroup_limit_hits"] = int(counts.get("max", 0))
            found["cgroup_oom_kills"] = int(counts.get("oom_kill", 0))
        return found


class CgroupV1(Cap):
    """A child of this process's own cgroup v1 memory group (nothing outside it is touched)."""

    name = "cgroup"
    how = "cgroup v1 memory.limit_in_bytes=<limit> (child of this process's memory cgroup)"

    def __init__(self) -> None:
        self.path = self.own() / f"commons-hub-bench-{os.getpid()}-{time.monotonic_ns()}"
        self.path.mkdir()
        (self.path / "memory.limit_in_bytes").write_text(str(LIMIT))
        swap = self.path / "memory.memsw.limit_in_bytes"  # with swap accounting: no swap either
        if swap.exists():
            swap.write_text(str(LIMIT))

    @staticmethod
    def own() -> Path:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
        raise FileNotFoundError("no cgroup v1 memory controller")

    @staticmethod
    def available() -> bool:
        try:
            own = CgroupV1.own()
        except (FileNotFoundError, ValueError):
            return False
        return (own / "memory.limit_in_bytes").exists() and os.access(own, os.W_OK)

    def in_child(self) -> Callable[[], None]:
        procs = str(self.path / "cgroup.procs")

        def join() -> None:  # runs in the child between fork and exec: only the write
            with open(procs, "w") as out:
                out.write(str(os.getpid()))

        return join

    def readings(self) -> dict[str, object]:
        oom = dict(line.split() for line in (self.path / "memory.oom_control").read_text().splitlines())
        return {
            "cgroup_peak_bytes": int((self.path / "memory.max_usage_in_bytes").read_text()),
            "cgroup_limit_hits": int((self.path / "memory.failcnt").read_text()),
            "cgroup_oom_kills": int(oom.get("oom_kill", 0)),
        }

    def close(self) -> None:
        try:
            self.path.rmdir()
        except OSError as error:
            print(f"  (could not remove {self.path}: {error})", file=sys.stderr)


class AddressSpace(Cap):
    """RLIMIT_AS through prlimit: caps virtual memory, which Python's threads reserve lavishly."""

    def __init__(self, tuned: bool) -> None:
        self.tuned = tuned
        self.name = "prlimit" if tuned else "prlimit-as-only"
        self.how = (
            "MALLOC_ARENA_MAX=2 prlimit --as=<limit> --stack=2M"
            if tuned
            else "prlimit --as=<limit> (no tuning)"
        )

    def prefix(self) -> list[str]:
        stack = [f"--stack={2 * MB}"] if self.tuned else []
        return ["prlimit", f"--as={LIMIT}", *stack, "--"]

    def env(self) -> dict[str, str]:
        return {"MALLOC_ARENA_MAX": "2"} if self.tuned else {}


def cgroup_cap() -> Callable[[], Cap] | None:
    if SystemdScope.available():
        return SystemdScope
    if CgroupV1.available():
        return CgroupV1
    return None


# --------------------------------------------------------------------------- load


def learner(port: int, course: str, lesson: str) -> tuple[str, str, str]:
    """A returning learner: (Cookie header, CSRF token, progress body) from a first progress save."""
    body = json.dumps({"course_id": course, "lesson_id": lesson, "progress": 0.5})
    status, headers, _ = request(port, "POST", "/api/v1/progress", body, {"Content-Type": "application/json"})
    if status != 204:
        raise SystemExit(f"the first progress save answered {status}")
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("set-cookie") or []:
        jar.load(value)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
    return cookie, jar["hub_csrf"].value, body


def load_paths(port: int, cookie: str) -> list[str]:
    """Pages, API answers and media files of a few starter courses, each checked to answer 200."""
    headers = {"Cookie": cookie}
    courses = json.loads(request(port, "GET", "/api/v1/courses")[2])
    by_language: dict[str, dict] = {}
    for course in courses:
        by_language.setdefault(course["language"], course)
    paths = ["/", "/courses", "/join", "/api/v1/courses", "/courses?q=hands"]
    media: list[str] = []
    for course in list(by_language.values())[:4]:
        paths += [f"/courses/{course['id']}", f"/api/v1/courses/{course['id']}"]
        detail = json.loads(request(port, "GET", f"/api/v1/courses/{course['id']}")[2])
        for lesson in detail["lessons"][:2]:
            paths.append(f"/courses/{course['id']}/{lesson['id']}")
            api = f"/api/v1/courses/{course['id']}/lessons/{lesson['id']}"
            paths.append(api)
            found = json.loads(request(port, "GET", api)[2])
            media += [f["url"] for kind in ("media", "images", "captions") for f in found.get(kind, [])]
    for course in courses:  # media files (blobs) from wherever the starter courses have them
        detail = json.loads(request(port, "GET", f"/api/v1/courses/{course['id']}")[2])
        for lesson in detail["lessons"]:
            if len(media) >= 4:
                break
            found = json.loads(
                request(port, "GET", f"/api/v1/courses/{course['id']}/lessons/{lesson['id']}")[2]
            )
            media += [f["url"] for kind in ("media", "images", "captions") for f in found.get(kind, [])]
    paths += sorted(set(media))[:4]
    return [path for path in paths if request(port, "GET", path, headers=headers)[0] == 200]


def wrk(port: int, seconds: int, env: dict[str, str]) -> dict:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(LUA),
               f"http://127.0.0.1:{port}"]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, timeout=seconds + 60
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    raise RuntimeError(f"wrk printed no summary:\n{result.stdout}\n{result.stderr}")


def one_run(cap: Cap, home: Path, load_env: dict[str, str], seconds: int, log: Path) -> dict:
    """Start the hub under `cap`, warm it up, load it, read its memory; return the figures."""
    port = free_port()
    command = [*cap.prefix(), sys.executable, "-m", "hub", "serve", "--home", str(home),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **cap.env()}
    env.pop("HUB_HOME", None)
    with log.open("ab") as out:
        out.write(f"\n=== {cap.name}: {' '.join(command)}\n".encode())
        out.flush()
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=cap.in_child()
        )
    try:
        failure = wait_until_serving(server, port)
        if failure:
            return {"failed": f"the hub {failure}", "server_exceptions": server_exceptions(log)}
        cap.started(server.pid)
        idle = proc_status(server.pid)
        wrk(port, 2, load_env)  # warm-up: first renders, caches, the threadpool
        peak_rss, threads, sampling = 0, 0, threading.Event()

        def sample() -> None:
            nonlocal peak_rss, threads
            while not sampling.wait(0.2):
                status = proc_status(server.pid)
                peak_rss = max(peak_rss, status.get("VmRSS", 0))
                threads = max(threads, status.get("Threads", 0))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            summary = wrk(port, seconds, load_env)
        finally:
            sampling.set()
            sampler.join()
        after = proc_status(server.pid)
        if not summary["requests"]:
            return {"failed": "no request completed", "server_exceptions": server_exceptions(log)}
        errors = summary["errors"]
        return {
            "server_exceptions": server_exceptions(log),
            "rps": summary["requests"] / (summary["duration_us"] / 1e6),
            "p50_ms": summary["latency_us"]["p50"] / 1000,
            "p95_ms": summary["latency_us"]["p95"] / 1000,
            "p99_ms": summary["latency_us"]["p99"] / 1000,
            "requests": summary["requests"],
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "idle_rss_bytes": idle.get("VmRSS", 0),
            "peak_rss_bytes": max(after.get("VmHWM", 0), peak_rss),
            "peak_vm_bytes": after.get("VmPeak", 0),
            "max_threads": threads,
            "alive_after": server.poll() is None,
            **cap.readings(),
        }
    finally:
        stop(server)


def server_exceptions(log: Path) -> dict[str, int]:
    """The last line of every traceback in a server's log (what failed), counted."""
    found: dict[str, int] = {}
    lines = log.read_text(errors="replace").splitlines()
    for before, line in zip(lines, [*lines[1:], ""], strict=True):
        if before.startswith(("Traceback", "  ", "    ")) or not before:
            continue
        if re.match(r"^[\w.]+(Error|Exception|Exit)\b", before) and not line.startswith("  "):
            found[before[:160]] = found.get(before[:160], 0) + 1
    return found


# --------------------------------------------------------------------------- report


def mb(value: object) -> str:
    return f"{value / MB:.0f}" if isinstance(value, int | float) and value else "-"


def summarise(runs: list[dict]) -> dict:
    good = [run for run in runs if "failed" not in run]
    if not good:
        return {"runs": len(runs), "failed": [run["failed"] for run in runs]}

    def median(key: str) -> float | None:
        values = [run[key] for run in good if key in run]
        return statistics.median(values) if values else None

    return {
        "runs": len(runs),
        "failed_runs": len(runs) - len(good),
        "rps": median("rps"),
        "p50_ms": median("p50_ms"),
        "p95_ms": median("p95_ms"),
        "errors": sum(run["errors"] for run in good),
        "idle_rss_bytes": median("idle_rss_bytes"),
        "peak_rss_bytes": median("peak_rss_bytes"),
        "max_peak_rss_bytes": max(run["peak_rss_bytes"] for run in good),
        "peak_vm_bytes": median("peak_vm_bytes"),
        "cgroup_peak_bytes": median("cgroup_peak_bytes"),
        "cgroup_limit_hits": median("cgroup_limit_hits"),
        "cgroup_oom_kills": sum(run.get("cgroup_oom_kills", 0) for run in good),
        "alive_after": all(run["alive_after"] for run in good),
    }


def print_table(modes: dict[str, dict], hows: dict[str, str]) -> None:
    print()
    header = (f"{'mode':<16} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>7} {'RSS idle':>9} "
              f"{'RSS peak':>9} {'VM peak':>8} {'cg peak':>8} {'cg hits':>8}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for name, figures in modes.items():
        if "rps" not in figures:
            print(f"{name:<16} failed: {figures.get('failed', ['?'])[0]}")
            continue
        hits = figures["cgroup_limit_hits"]
        print(
            f"{name:<16} {figures['rps']:>7.0f} {figures['p50_ms']:>7.1f} {figures['p95_ms']:>7.1f} "
            f"{figures['errors']:>7} {mb(figures['idle_rss_bytes']):>9} {mb(figures['peak_rss_bytes']):>9} "
            f"{mb(figures['peak_vm_bytes']):>8} {mb(figures['cgroup_peak_bytes']):>8} "
            f"{'-' if hits is None else f'{hits:.0f}':>8}"
        )
    print("(memory in MB; medians of the runs; errors summed over the runs)")
    for name, how in hows.items():
        print(f"  {name}: {how.replace('<limit>', f'{LIMIT // MB}M')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 3 s per mode: a smoke test")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--limit-mb", type=int, default=256, help="the cap (default 256)")
    parser.add_argument("--label", default="", help="a note kept in the JSON (what was special)")
    args = parser.parse_args()
    global LIMIT
    LIMIT = args.limit_mb * MB
    runs, seconds = (1, 3) if args.quick else (args.runs, args.seconds)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt install wrk)")

    cgroup = cgroup_cap()
    makers: dict[str, Callable[[], Cap]] = {"uncapped": Cap}
    if cgroup is not None:
        makers["cgroup"] = cgroup
    if shutil.which("prlimit"):
        makers["prlimit"] = lambda: AddressSpace(tuned=True)
        makers["prlimit-as-only"] = lambda: AddressSpace(tuned=False)

    with tempfile.TemporaryDirectory(prefix="hub-memcap-") as tmp:
        home, logs = Path(tmp) / "home", Path(tmp)
        subprocess.run([sys.executable, "-m", "hub", "init", "--home", str(home)], check=True,
                       capture_output=True, cwd=ROOT)  # fmt: skip
        # Find the paths and the learner with a plain server, then stop it.
        port = free_port()
        setup = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--home", str(home), "--host",
                                  "127.0.0.1", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.STDOUT)  # fmt: skip
        try:
            if failure := wait_until_serving(setup, port):
                raise SystemExit(f"the hub {failure}")
            courses = json.loads(request(port, "GET", "/api/v1/courses")[2])
            first = json.loads(request(port, "GET", f"/api/v1/courses/{courses[0]['id']}")[2])
            cookie, csrf, body = learner(port, first["id"], first["lessons"][0]["id"])
            paths = load_paths(port, cookie)
        finally:
            stop(setup)
        load_env = {"BENCH_PATHS": " ".join(paths), "BENCH_COOKIE": cookie, "BENCH_CSRF": csrf,
                    "BENCH_PROGRESS_BODY": body, "BENCH_POST_EVERY": "10"}  # fmt: skip
        print(f"{len(paths)} paths in rotation, a progress save every 10th request; "
              f"wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s; {runs} run(s) per mode")  # fmt: skip

        results: dict[str, list[dict]] = {name: [] for name in makers}
        hows: dict[str, str] = {}
        for number in range(1, runs + 1):
            for name, make in makers.items():  # interleaved, so drift hits every mode alike
                cap = make()
                hows[name] = cap.how
                try:
                    figures = one_run(cap, home, load_env, seconds, logs / f"{name}-{number}.log")
                finally:
                    cap.close()
                results[name].append(figures)
                shown = figures.get("failed") or (
                    f"{figures['rps']:.0f} req/s, p95 {figures['p95_ms']:.1f} ms, "
                    f"errors {figures['errors']}, peak RSS {mb(figures['peak_rss_bytes'])} MB"
                )
                print(f"  run {number} {name:<16} {shown}", flush=True)
                for exception, count in figures.get("server_exceptions", {}).items():
                    print(f"      server log: {count} x {exception}")

    modes = {name: summarise(figures) for name, figures in results.items()}
    print_table(modes, hows)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now():%Y%m%dT%H%M%S}.json"
    record = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        },
        "load": {"wrk": f"-t{THREADS} -c{CONNECTIONS} -d{seconds}s", "paths": paths, "post_every": 10},
        "limit_bytes": LIMIT,
        "label": args.label,
        "modes": {
            name: {
                "how": hows.get(name, "").replace("<limit>", f"{LIMIT // MB}M"),
                **modes[name],
                "runs_detail": results[name],
            }
            for name in modes
        },
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
