"""Bytes on the wire of the HTTP sync, and the time to import a stick of progress (issue 6 targets).

    PYTHONPATH=. python bench/sync/run.py [--big-mb 200] [--rounds 3]

A real central server (`python -m hub serve --role central`) on loopback holds 50 signed
courses; hubs in this process sync with it through tests/sync/proxy.py, which counts every
byte either way (request and response heads included). Medians of `--rounds`, same run:

1. Incremental sync: the hub holds all 50 courses; the centre publishes a new version of one
   and the hub records 1,000 progress records; one sync. "Bytes that changed" = the files of
   the new version the hub lacks + its manifest and signature + the 1,000 change records as
   stored (their signed log lines, as a stick file holds them). Target: wire ≤ 1.1 × changed.
   Baseline: the same files plus the records as plain uncompressed JSON (what a naive sync
   would send, heads not counted).
2. A cut at 50% of a BIG-MB blob: the proxy closes the download half way; the next sync
   resumes from the .part file. Re-sent = bytes of that blob sent after the cut minus what
   was still missing (also shown: every other byte the resuming sync moved, heads, catalog,
   knowledge). Target: ≤ 2% of the blob. Baseline: a plain httpx download of the
   same blob (time, and the 50% a client without resume sends again).
3. Import of a stick of 10,000 progress records: bench/bundle/run.py (check + apply), run
   as it is. Target: ≤ 2 s. Baseline: json.loads of the same number of lines and a plain
   SQLite insert, no signature checks.

Prints the figures and writes bench/sync/results/<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from content.package import build_package
from content.signing import SecretKey
from hub import library, trust
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import central, client
from sync import protocol, store
from sync.merge import LessonState, lesson_change
from tests.sync.proxy import Fault, FaultProxy

REPO = Path(__file__).resolve().parents[2]
COURSES = 50
RECORDS = 1_000
SMALL_MEDIA = 256 * 1024
LESSON = """+++
title = "Lesson {n}"
kind = "video"
media = "media/clip.mp4"
+++
Words for lesson {n}, version {version}.
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _quiet(done: int, total: int, message: str) -> None:
    """Progress goes nowhere."""


def _author(folder: Path, course_id: str, version: int, media_bytes: int) -> Path:
    (folder / "media").mkdir(parents=True)
    (folder / "course.toml").write_text(
        f'id = "{course_id}"\nversion = {version}\ntitle = "Course {course_id}"\nsummary = "Bench."\n'
        'language = "en"\npublisher = "Bench"\nlicense = "CC BY 4.0"\n'
    )
    (folder / "01-lesson.md").write_text(LESSON.format(n=1, version=version))
    with (folder / "media" / "clip.mp4").open("wb") as media:
        for _ in range(max(1, media_bytes // 2**20)):
            media.write(os.urandom(min(media_bytes, 2**20)))
    return folder


def _publish(centre: Hub, key: SecretKey, work: Path, course_id: str, version: int, media_bytes: int) -> None:
    folder = _author(work / f"{course_id}-v{version}", course_id, version, media_bytes)
    build_package(folder, folder.with_suffix(".pkg"), key)
    library.import_package(centre.db, centre.blobs, folder.with_suffix(".pkg"))


def _serve_central(home: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--role", "central", "--home", str(home),
         "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server, port
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the central server did not start")


def _enrolled_hub(home: Path, centre: Hub, url: str, name: str) -> Hub:
    hub = Hub(home)
    hub.set_setting("starter_imported", True)
    client.enroll(hub, url, central.create_token(centre.db, name), name)
    return hub


def _log_line_bytes(hub: Hub, first: int) -> int:
    """The size of this hub's changes from counter `first` on, as signed log lines on a stick."""
    total = 0
    for logged in store.changes_above(hub.db, {hub.device.id: first - 1}, hub.device.id):
        line = protocol.change_line(logged.device, logged.counter, logged.change, logged.signature)
        total += len(json.dumps(line, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()) + 1
    return total


def incremental(
    centre: Hub, key: SecretKey, work: Path, proxy: FaultProxy, round_no: int
) -> dict[str, float]:
    """One round of measure 1 on a fresh hub that already holds the 50 courses."""
    hub = _enrolled_hub(
        work / f"hub-inc-{round_no}", centre, f"http://127.0.0.1:{proxy.port}", f"inc{round_no}"
    )
    client.sync_now(hub, _quiet)
    version = round_no + 2
    _publish(centre, key, work, "course-00", version, SMALL_MEDIA)
    manifest = library.stored_package(centre.db, centre.blobs, "course-00")
    assert manifest is not None
    new_files = sum(path.stat().st_size for sha, path in manifest.files.items() if not hub.blobs.has(sha))
    first = store.knowledge(hub.db).get(hub.device.id, 0) + 1
    with transaction(hub.db):
        for n in range(RECORDS):
            state = LessonState(0.5, None, "2026-05-01T10:00:00", ((hub.device.id, 30),))
            key = (f"learner-{n % 100}", f"course-{n % COURSES:02d}", f"lesson-{n}")
            store.record(hub.db, lesson_change(key, state, hub.device.id))
    raw_json = len(json.dumps([c.change for c in store.changes_above(hub.db, {hub.device.id: first - 1},
                                                                     hub.device.id)]).encode())  # fmt: skip
    before = proxy.wire_bytes
    result = client.sync_now(hub, _quiet)
    wire = proxy.wire_bytes - before
    assert result.pushed == RECORDS and result.courses == [f"course-00 v{version}"], result
    changed = (
        new_files + len(manifest.manifest_raw) + len(manifest.signature or b"") + _log_line_bytes(hub, first)
    )
    return {"wire": wire, "changed": changed, "ratio": wire / changed,
            "baseline": new_files + raw_json}  # fmt: skip


def _cut_round(hub: Hub, proxy: FaultProxy, sha256: str, size: int) -> dict[str, float]:
    proxy.faults.append(Fault(sha256.encode(), cut_after=size // 2))
    try:
        client.sync_now(hub, _quiet)
        raise SystemExit("the cut did not happen")
    except Exception as error:  # the cut download: http.Unreachable, said in plain words
        if "resumes from there" not in str(error):
            raise
    part = hub.home / client.PARTS_FOLDER / f"{sha256}.part"
    kept = part.stat().st_size
    proxy.count(sha256.encode())
    before, start = proxy.wire_bytes, time.perf_counter()
    client.sync_now(hub, _quiet)
    seconds = time.perf_counter() - start
    resent = proxy.body_bytes[sha256.encode()] - (size - kept)
    overhead = proxy.wire_bytes - before - (size - kept)  # everything else the resuming sync sent, heads too
    return {"kept": kept, "resent": resent, "resent_share": resent / size, "overhead": overhead,
            "overhead_share": overhead / size, "resume_seconds": seconds}  # fmt: skip


def plain_download(hub: Hub, port: int, sha256: str) -> dict[str, float]:
    """A plain httpx GET of the whole blob through the same proxy (signed, since the centre asks)."""
    target = f"{protocol.API}/blobs/{sha256}"
    headers = protocol.sign_request(hub.device, "GET", target, b"")
    received, start = 0, time.perf_counter()
    with httpx.stream("GET", f"http://127.0.0.1:{port}{target}", headers=headers, timeout=60) as response:
        for chunk in response.iter_raw(256 * 1024):
            received += len(chunk)
    return {"bytes": received, "seconds": time.perf_counter() - start}


def bundle_import(rounds: int) -> list[float]:
    """bench/bundle/run.py's import total for 10,000 records, once per round."""
    figures = []
    for _ in range(rounds):
        ran = subprocess.run(
            [sys.executable, str(REPO / "bench" / "bundle" / "run.py"), "10000", "1"],
            env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures.append(float(re.search(r"import total: ([\d.]+) s", ran.stdout)[1]))  # type: ignore[index]
    return figures


def plain_json_import(count: int = 10_000) -> float:
    """Baseline for 3: json.loads of `count` lines shaped like signed changes, one plain SQLite insert."""
    change = {"kind": "lesson", "learner": "x" * 36, "course": "course", "lesson": "l", "progress": 0.5,
              "completed_at": None, "opened_at": "2026-05-01T10:00:00", "seconds": 30}  # fmt: skip
    line = json.dumps({"change": change, "counter": 1, "device": "d" * 26, "sig": "s" * 88})
    text = "\n".join(line for _ in range(count))
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "plain.db", isolation_level=None)
        db.execute("CREATE TABLE changes (device TEXT, counter INTEGER, body TEXT, sig TEXT)")
        start = time.perf_counter()
        rows = [json.loads(raw) for raw in text.splitlines()]
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO changes VALUES (?, ?, ?, ?)",
            [(r["device"], n, json.dumps(r["change"]), r["sig"]) for n, r in enumerate(rows)],
        )
        db.execute("COMMIT")
        return time.perf_counter() - start


def _median(rounds: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def main(big_mb: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        centre = Hub(work / "central")
        centre.set_setting("hub_name", "Bench centre")
        centre.set_setting("starter_imported", True)
        key = trust.ensure_own_key(centre.home, centre.db, "Bench centre")
        for n in range(COURSES):
            _publish(centre, key, work, f"course-{n:02d}", 1, SMALL_MEDIA)
        server, port = _serve_central(centre.home)
        proxy = FaultProxy(port)
        try:
            inc = [incremental(centre, key, work, proxy, r) for r in range(rounds)]
            _publish(centre, key, work, "course-big", 1, big_mb * 2**20)
            big = library.stored_package(centre.db, centre.blobs, "course-big")
            assert big is not None
            sha256, path = max(big.files.items(), key=lambda item: item[1].stat().st_size)
            size = path.stat().st_size
            cuts, plain = [], []
            for r in range(rounds):
                hub = _enrolled_hub(
                    work / f"hub-cut-{r}", centre, f"http://127.0.0.1:{proxy.port}", f"cut{r}"
                )
                cuts.append(_cut_round(hub, proxy, sha256, size))
                plain.append(plain_download(hub, proxy.port, sha256))
        finally:
            proxy.close()
            server.terminate()
            server.wait(15)
    imports = bundle_import(rounds)
    baseline_import = statistics.median(plain_json_import() for _ in range(rounds))
    figures = {
        "incremental": {k: _median(inc, k) for k in ("wire", "changed", "ratio", "baseline")},
        "cut": {
            k: _median(cuts, k)
            for k in ("kept", "resent", "resent_share", "overhead", "overhead_share", "resume_seconds")
        },
        "plain_download": {k: _median(plain, k) for k in ("bytes", "seconds")},
        "bundle_import_seconds": statistics.median(imports),
        "plain_json_import_seconds": baseline_import,
        "rounds": rounds,
        "big_mb": big_mb,
    }
    _report(figures, size)
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (results / f"{stamp}.json").write_text(json.dumps(figures, indent=1))


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def _report(f: dict, size: int) -> None:
    inc, cut, plain, mb = f["incremental"], f["cut"], f["plain_download"], 2**20
    print(f"medians of {f['rounds']} rounds")
    print(f"1. sync after 1 changed course of {COURSES} and {RECORDS:,} records:")
    print(f"   {inc['wire']:,.0f} bytes on the wire, {inc['changed']:,.0f} bytes changed,")
    print(f"   ratio {inc['ratio']:.3f} (target <= 1.1: {_met(inc['ratio'] <= 1.1)})")
    print(f"   baseline: the files + the records as raw JSON {inc['baseline']:,.0f} bytes")
    print(f"2. cut at 50% of a {size / mb:,.0f} MB blob: {cut['kept'] / mb:,.1f} MB kept,")
    print(f"   {cut['resent']:,.0f} bytes re-sent = {cut['resent_share']:.4%} of the blob"
          f" (target <= 2%: {_met(cut['resent_share'] <= 0.02)})")  # fmt: skip
    print(f"   all other bytes of the resuming sync either way {cut['overhead']:,.0f}"
          f" = {cut['overhead_share']:.4%}; it took {cut['resume_seconds']:.2f} s")  # fmt: skip
    print(f"   baseline: plain httpx download of {plain['bytes'] / mb:,.0f} MB in {plain['seconds']:.2f} s;"
          " without resume 50% is sent again")  # fmt: skip
    print(f"3. import of a stick of 10,000 records: {f['bundle_import_seconds']:.2f} s"
          f" (target <= 2 s: {_met(f['bundle_import_seconds'] <= 2)})")  # fmt: skip
    print(f"   baseline: json.loads + plain SQLite insert {f['plain_json_import_seconds']:.3f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    main(arguments.big_mb, arguments.rounds)
