"""Where the server's resident memory goes: VmRSS after each import and each serving step.

    /work/venv/bin/python bench/memory.py

Runs, in one fresh interpreter, what `python -m hub.server` does (the process `hub serve`
becomes), one step at a time, and prints how much VmRSS each step added: the imports in
dependency order (each line counts only what the earlier lines had not loaded), the app,
uvicorn serving, then the first requests; for the steps after the imports it also names the
packages the step loaded (plugins import lazily). Interface-language names are asked for before the
first page so any Babel locale data they load shows on a line of its own (the shipped languages'
names come from a table, so none should). segno (QR codes) and cryptography load only when used. Writes
bench/results/memory-<timestamp>.json. Steps that no longer exist in the code are skipped.
"""

from __future__ import annotations

import gc
import http.client
import importlib
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"

IMPORTS = (
    ("uvloop, httptools", ("uvloop", "httptools")),
    ("uvicorn", ("uvicorn",)),
    ("fastapi (with pydantic, starlette, anyio)", ("fastapi", "fastapi.staticfiles", "fastapi.responses")),
    ("jinja2", ("jinja2", "jinja2.ext")),
    ("sqlite_utils", ("sqlite_utils",)),
    ("babel (core; the .po reader loads with the first translated page)", ("babel", "babel.core")),
    ("markdown_it, nh3", ("markdown_it", "nh3")),
    ("argon2", ("argon2",)),
    ("whoosh (search index)", ("whoosh", "whoosh.index", "whoosh.qparser")),
    ("pluggy, platformdirs", ("pluggy", "platformdirs")),
    ("hub and content modules (the rest of hub.app)", ("hub.app", "hub.home")),
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def threads() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def packages() -> set[str]:
    return {name.split(".")[0] for name in list(sys.modules)}


class Steps:
    """VmRSS after each step, and the top-level packages the step loaded."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.last = rss_mb()
        self.loaded = packages()
        first = {"step": "interpreter (python, site, this script)", "added_mb": 0.0}
        self.rows.append({**first, "rss_mb": round(self.last, 1), "new_packages": []})

    def mark(self, step: str) -> None:
        now, loaded = rss_mb(), packages()
        new = sorted(p for p in loaded - self.loaded if not p.startswith("_"))
        row = {"step": step, "added_mb": round(now - self.last, 1), "rss_mb": round(now, 1)}
        self.rows.append({**row, "new_packages": new})
        self.last, self.loaded = now, loaded


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


OTHER_PAGES = ("/admin/users", "/tutor", "/tutor/studio", "/search?q=soap", "/keep", "/join", "/offline")


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, list[tuple[str, str]]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, response.getheaders()


def main() -> int:
    steps = Steps()
    for label, modules in IMPORTS:
        try:
            for module in modules:
                importlib.import_module(module)
        except ImportError as error:
            steps.mark(f"{label} (skipped: {error})")
            continue
        steps.mark(f"import {label}")

    import uvicorn

    from hub import i18n
    from hub.app import create_app
    from hub.home import Hub

    home = Path(tempfile.mkdtemp(prefix="hub-memory-"))
    subprocess.run(
        [sys.executable, "-m", "hub", "init", "--home", str(home)], check=True, capture_output=True
    )
    steps.mark("(hub init ran in a child process)")
    hub = Hub(home)
    steps.mark("Hub(home): open the database")
    app = create_app(hub)
    steps.mark("create_app: plugins, template environment (routes: at their first request)")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    failures: list[str] = []

    def drive() -> None:
        try:
            while not server.started:
                time.sleep(0.01)
            steps.mark("uvicorn serving (event loop, socket)")
            languages = i18n.available_languages()
            for code in languages:
                i18n.language_name(code)
            steps.mark(f"language_name() for {', '.join(languages)}")
            get(port, "/")
            steps.mark("first GET / (its routes built, templates compiled)")
            for _ in range(50):
                get(port, "/")
            steps.mark("50 more GET /")
            _, headers = get(port, "/courses/hand-hygiene-en/why-hands")
            cookie = "; ".join(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie")
            for path in ("/courses/hand-hygiene-en", "/api/v1/courses"):
                get(port, path)
            get(port, "/courses/hand-hygiene-en/why-hands", cookie)
            get(port, "/", cookie)
            steps.mark("first course, lesson, API and learner pages")
            for path in OTHER_PAGES:
                get(port, path)
            steps.mark("staff and other plugins' pages (their routes built)")
            # Concurrency grows the thread pool; each worker thread opens its own SQLite connection.
            workers = [
                threading.Thread(target=lambda: [get(port, "/", cookie) for _ in range(25)])
                for _ in range(20)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            gc.collect()
            steps.mark(f"500 GET / from 20 concurrent clients (server threads now {threads() - 1})")
        except Exception as error:  # report, then stop the server
            failures.append(repr(error))
        finally:
            server.should_exit = True

    threading.Thread(target=drive, daemon=True).start()
    server.run()

    width = max(len(r["step"]) for r in steps.rows)
    print(f"{'step':<{width}} {'added MB':>9} {'VmRSS MB':>9}")
    print("-" * (width + 20))
    for row in steps.rows:
        print(f"{row['step']:<{width}} {row['added_mb']:>+9.1f} {row['rss_mb']:>9.1f}")
        if row["new_packages"] and not row["step"].startswith("import "):
            print(f"{'':<4}loaded: {', '.join(row['new_packages'])}")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"memory-{datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"steps": steps.rows, "failures": failures}, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(BENCH.parent)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
