"""Lighthouse (mobile: a mid-range phone, slow 4G simulated) on the pages a resident meets most.

    cd bench/lighthouse && npm ci && cd ../..
    PYTHONPATH=. python bench/lighthouse/run.py [--runs 3] [--before DIR]

Starts `python -m hub serve` in a fresh data folder (the starter courses) on 127.0.0.1 and runs
Lighthouse with Debian's Chromium (`CHROME_PATH=/usr/bin/chromium`, headless, no sandbox) on the
home page, a course, an article lesson, a video lesson and a search. Prints, per page, the median
performance and accessibility scores of `--runs` runs, the largest contentful paint, layout shift,
the HTML page's bytes (as sent and unpacked) and everything the page loads. `--before DIR` runs
the same on another checkout (e.g. `git worktree add /tmp/before main`) in the same run, as the
baseline. Targets (issue 20): performance >= 95, accessibility 100, HTML <= 30 KB before media.
JSON reports go to bench/results/lighthouse/ (ignored by git). The test suite never runs this.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = REPO / "bench" / "results" / "lighthouse"
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
PAGES = {
    "home": "/",
    "course": "/courses/hand-hygiene-en",
    "article": "/courses/hand-hygiene-en/why-hands",
    "video lesson": "/courses/hand-hygiene-en/how-to-wash",
    "search": "/search?q=hands",
}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_hub(checkout: Path, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--home", str(home),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as answer:
                if answer.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the hub in {checkout} did not start")


def lighthouse(url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
         "--only-categories=performance,accessibility", "--chrome-flags=--headless --no-sandbox"],
        env=env, check=True, timeout=300,
    )  # fmt: skip
    return json.loads(out.read_text())


def figures(report: dict) -> dict[str, float]:
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    document = next(r for r in requests if r.get("resourceType") == "Document")
    return {
        "performance": report["categories"]["performance"]["score"] * 100,
        "accessibility": report["categories"]["accessibility"]["score"] * 100,
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "html_sent_kb": document.get("transferSize", 0) / 1024,
        "html_kb": document.get("resourceSize", 0) / 1024,
        "all_sent_kb": sum(r.get("transferSize", 0) for r in requests) / 1024,
    }


def measure(checkout: Path, label: str, runs: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as home:
        server, url = start_hub(checkout, Path(home))
        try:
            for name, path in PAGES.items():
                seen = []
                for run in range(runs):
                    out = RESULTS / f"{label}-{name.replace(' ', '-')}-{run}.json"
                    seen.append(figures(lighthouse(url + path, out)))
                found[name] = {key: statistics.median(s[key] for s in seen) for key in seen[0]}
        finally:
            server.terminate()
            server.wait(timeout=20)
    return found


def show(label: str, found: dict[str, dict[str, float]]) -> None:
    print(f"\n{label}")
    columns = ("perf", "a11y", "LCP ms", "CLS", "HTML KB", "sent KB", "all KB")
    print(f"{'page':14} " + " ".join(f"{c:>7}" for c in columns))
    for name, f in found.items():
        good = f["performance"] >= 95 and f["accessibility"] == 100 and f["html_kb"] <= 30
        met = "met" if good else "MISSED"
        print(
            f"{name:14} {f['performance']:7.0f} {f['accessibility']:7.0f} {f['lcp_ms']:7.0f} {f['cls']:7.3f} "
            f"{f['html_kb']:7.1f} {f['html_sent_kb']:7.1f} {f['all_sent_kb']:7.1f}  {met}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout to measure as the baseline")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("run `npm ci` in bench/lighthouse first")
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {}
    if args.before:
        results["before"] = measure(args.before.resolve(), "before", args.runs)
    results["this checkout"] = measure(REPO, "after", args.runs)
    for label, found in results.items():
        show(f"{label} (median of {args.runs})", found)
    (RESULTS / "summary.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
