"""Lesson files and ZIM pictures through nginx in front of the hub, against nginx alone (issue 21).

    /work/main/.venv/bin/python bench/nginx_media.py --rounds 3

Target: media through nginx >= 0.8x nginx alone. On one starter hub (`hub init`, plus a ZIM with
a picture), in one run, with wrk on loopback (20 connections):

- **through nginx**: `hub service install --with-nginx`'s config (hub/nginx.py) in front of a real
  `hub serve` with HUB_ACCEL_BLOBS set: the hub checks each request, nginx sends the bytes;
- **nginx alone**: the same nginx serving the same files from a plain static location, no hub;
- **hub alone**: `hub serve` sending the bytes itself (the hub without nginx).

For the starter video (800 KB, whole), a 64 KB Range of it, and the ZIM's picture (its copy, for
nginx alone). Rounds interleave the three; medians of the rounds. Writes
bench/results/nginx-media-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import run

from hub import nginx
from hub.home import Hub
from tests.importing import make_zim

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RANGE_LUA = 'wrk.headers["Range"] = "bytes=65536-131071"\n'


def wrk(url: str, seconds: float, script: Path | None = None) -> float:
    argv = ["wrk", "-t2", "-c20", f"-d{max(1, round(seconds))}s", url]
    if script:
        argv[1:1] = ["-s", str(script)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("Requests/sec:")).split()[1])


def start_nginx(config: Path, text: str) -> subprocess.Popen:
    config.write_text(text)
    extra = " user root;" if os.geteuid() == 0 else ""
    argv = [NGINX, "-c", str(config), "-g", f"daemon off;{extra}"]
    process = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process


def alone_config(home: Path, port: int, run_dir: Path) -> str:
    """nginx with no hub behind it: the blob folder and the ZIM copies as plain static files."""
    front = nginx.render_config(home, port, 9, run_dir, host="127.0.0.1")
    return (
        front.replace("internal;", "")
        .replace(nginx.INTERNAL_PREFIX, "/blobs/")
        .replace(nginx.ZIM_INTERNAL_PREFIX, "/zim-files/")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hub-nginx-media-"))
    # nginx's own files in memory, as the service keeps them (systemd's RuntimeDirectory, in /run)
    runtime = Path(tempfile.mkdtemp(prefix="hub-nginx-media-", dir="/dev/shm"))
    home = work / "home"
    init = [sys.executable, "-m", "hub", "init", "--home", str(home)]
    subprocess.run(init, check=True, capture_output=True)
    from hub import imports

    hub = Hub(home)
    imports.run_import(hub, make_zim(work / "wikimed.zim"), allow_unverified=True)
    video = hub.db.execute("SELECT sha256, name FROM files WHERE media_type = 'video/mp4'").fetchone()
    zim = hub.db.execute("SELECT sha256 FROM files WHERE media_type = 'application/x-zim'").fetchone()[0]
    del hub
    range_lua = work / "range.lua"
    range_lua.write_text(RANGE_LUA)
    processes: list = []
    try:
        behind = run.hub_server(home, run.free_port(), work / "logs", "behind")
        alone_hub = run.hub_server(home, run.free_port(), work / "logs", "alone")
        for server in (behind, alone_hub):
            if server is behind:
                os.environ[nginx.ACCEL_VARIABLE] = nginx.INTERNAL_PREFIX
            server.start()
            os.environ.pop(nginx.ACCEL_VARIABLE, None)
            processes.append(server)
            server.wait_ready()
        front_port, alone_port = run.free_port(), run.free_port()
        (runtime / "front").mkdir()
        (runtime / "alone").mkdir()
        front = nginx.render_config(home, front_port, behind.port, runtime / "front", host="127.0.0.1")
        processes.append(start_nginx(work / "front.conf", front))
        processes.append(start_nginx(work / "alone.conf", alone_config(home, alone_port, runtime / "alone")))
        media = f"/media/{video[0]}/{video[1]}"
        picture = f"/zim/{zim}/I/net.png"
        answer = httpx.get(f"http://127.0.0.1:{behind.port}{picture}")  # the hub makes the picture's copy
        copy = answer.headers["x-accel-redirect"].replace(nginx.ZIM_INTERNAL_PREFIX, "/zim-files/")
        blob = f"/blobs/sha256/{video[0][:2]}/{video[0]}"
        video_urls = {"through nginx": f"{front_port}{media}", "nginx alone": f"{alone_port}{blob}",
                      "hub alone": f"{alone_hub.port}{media}"}  # fmt: skip
        cases = {
            "video, whole": video_urls,
            "video, 64 KB range": video_urls,
            "ZIM picture": {"through nginx": f"{front_port}{picture}", "nginx alone": f"{alone_port}{copy}",
                            "hub alone": f"{alone_hub.port}{picture}"},
        }  # fmt: skip
        figures = {case: {who: [] for who in urls} for case, urls in cases.items()}
        for round_ in range(args.rounds):
            for case, urls in cases.items():
                order = list(urls.items())
                for who, address in order if round_ % 2 == 0 else reversed(order):
                    script = range_lua if "range" in case else None
                    figures[case][who].append(wrk(f"http://127.0.0.1:{address}", args.seconds, script))
            print("round", round_, json.dumps(figures), flush=True)
    finally:
        for process in processes:
            process.stop() if isinstance(process, run.Server) else process.terminate()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
    medians = {case: {who: round(statistics.median(v), 1) for who, v in rows.items()}
               for case, rows in figures.items()}  # fmt: skip
    for case, rows in medians.items():
        ratio = rows["through nginx"] / rows["nginx alone"]
        print(f"{case}: through nginx {rows['through nginx']} req/s, nginx alone {rows['nginx alone']}, "
              f"hub alone {rows['hub alone']}: through / alone = {ratio:.2f}x")  # fmt: skip
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS / f"nginx-media-{datetime.now().strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"medians": medians, "runs": figures}, indent=2) + "\n")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
