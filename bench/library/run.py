"""Keeping the library: removing a 2 GB course of 10,000 lessons, and the storage view at 10 / 100 /
1,000 courses.

    PYTHONPATH=. /work/venv/bin/python bench/library/run.py            # 2 GB, 5 rounds (about 5 min)
    PYTHONPATH=. /work/venv/bin/python bench/library/run.py --quick    # 100 MB, 1 round, 10/100 courses

Removal. The course is generated as a real package (content/importers/writer.py) and imported with
`hub.library.import_package`, so its blobs are real files on the disk, every byte written: 200 video
lessons of 10 MB each (2,000 MB; each blob a unique 4 KB random head then one shared random 1 MB block
repeated: not sparse, nothing on the disk dedupes) and 9,800 article lessons, 2,000 of them with a
picture of 8 KB (2,000 small blobs), so 2,200 blobs and 10,000 lessons rows. A second small course
shares 10 of its videos. Each round imports a fresh hub, then times `hub.library_keep.remove_course`
(one transaction, then the blobs deleted in batches) against the baseline: deleting the same blob
files with `os.unlink` alone, file by file, in a second hub that imported the same package (so their
data is freed too), which is the floor any removal pays; both are followed by `os.sync()`. Then
checks nothing is left behind: no lessons, course_files, files or freed_blobs rows of it, its blobs
gone from the blob folder, the shared videos still there, no part files. The search index is not
built here (indexing 10,000 lessons is another benchmark's business).

Storage view. Hubs of 10, 100 and 1,000 small courses (5 lessons, a cover every course shares and a
clip of its own; imported through `import_package`), each served by a real `hub serve` on loopback;
median of 30 sequential GETs of /admin/library (first page, 50 courses) and of /admin (whose line on
storage reads the same kept columns), and in-process the median of 50 calls of
`library_keep.storage` (what the page reads, without HTTP). Baseline in the same run: working the
sizes out per request the way a hub without kept columns would (every course's manifest decoded,
every file's size summed, shared files found), timed in-process on the same hubs. The target is a
flat curve.
Writes results/<timestamp>.json beside this file. No assertion: the figures are reported.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from content.importers.writer import PackageWriter  # noqa: E402
from content.package import decode_manifest  # noqa: E402
from hub import learners, library_keep  # noqa: E402
from hub.home import STARTER_IMPORTED, Hub  # noqa: E402
from hub.learners import Role  # noqa: E402
from hub.library import import_package  # noqa: E402
from tests.processes import free_port, wait_until  # noqa: E402

BLOCK = os.urandom(1024**2)


def _video(size: int) -> bytes:
    head = os.urandom(4096)
    return head + BLOCK * ((size - len(head)) // len(BLOCK)) + BLOCK[: (size - len(head)) % len(BLOCK)]


def big_course(out: Path, videos: int, video_bytes: int, lessons: int) -> list[dict[str, object]]:
    """Write the big course's package; return the refs of its videos (to share some)."""
    writer = PackageWriter(out)
    items, refs = [], []
    for number in range(videos):
        ref = writer.add_bytes(_video(video_bytes), f"video-{number}.mp4", "video/mp4")
        refs.append(ref)
        items.append(
            {
                "id": f"video-{number}",
                "title": f"Video {number}",
                "kind": "video",
                "media": [ref],
                "text": "What the video shows, in words.",
            }
        )
    for number in range(lessons - videos):
        lesson = {
            "id": f"read-{number}",
            "title": f"Reading {number}",
            "kind": "article",
            "text": f"Lesson {number}. Wash your hands with soap for twenty seconds. " * 4,
        }
        if number < 2000:
            picture = writer.add_bytes(os.urandom(8 * 1024), f"p{number}.png", "image/png")
            lesson = {**lesson, "kind": "images", "images": [{"file": picture, "alt": "A picture"}]}
        items.append(lesson)
    writer.finish(
        {"id": "big-course", "version": 1, "title": "A big course", "language": "en", "publisher": "Bench"},
        items,
    )
    return refs


def small_course(out: Path, course_id: str, shared: list[dict[str, object]], own: bytes) -> None:
    writer = PackageWriter(out)
    for ref in shared:
        source = Path(str(ref["_path"]))
        writer.add_file(source, str(ref["name"]), "video/mp4")
    clip = writer.add_bytes(own, "clip.mp4", "video/mp4")
    lessons = [
        {
            "id": f"v{n}",
            "title": f"Video {n}",
            "kind": "video",
            "media": [{k: v for k, v in r.items() if k != "_path"}],
            "text": "Words.",
        }
        for n, r in enumerate(shared)
    ]
    lessons += [{"id": "own", "title": "Own clip", "kind": "video", "media": [clip], "text": "Words."}]
    lessons += [
        {"id": f"r{n}", "title": f"Reading {n}", "kind": "article", "text": "Text."} for n in range(3)
    ]
    writer.finish(
        {
            "id": course_id,
            "version": 1,
            "title": course_id.replace("-", " ").title(),
            "language": "en",
            "publisher": "Bench",
        },
        lessons,
    )


def blob_names(home: Path) -> set[str]:
    return {p.name for p in (home / "blobs" / "sha256").glob("*/*")}


def removal_round(work: Path, package: Path, partner: Path, baseline_first: bool) -> dict[str, object]:
    home, twin = work / "home", work / "twin"
    hub, other = Hub(home), Hub(twin)
    started = time.perf_counter()
    import_package(hub.db, hub.blobs, package, allow_unverified=True)
    imported = time.perf_counter() - started
    import_package(other.db, other.blobs, package, allow_unverified=True)  # for the baseline
    import_package(hub.db, hub.blobs, partner, allow_unverified=True)
    partner_blobs = set(decode_manifest((partner / "manifest.json").read_bytes()).files())
    big_blobs = set(decode_manifest((package / "manifest.json").read_bytes()).files())
    # Baseline: the same blob files, in a second hub that imported the same package, unlinked one by
    # one (their data freed too: nothing else links to them). Which goes first alternates by round.
    doomed = [other.blobs.path(sha256) for sha256 in sorted(big_blobs - partner_blobs)]

    def unlink_alone() -> float:
        os.sync()
        began = time.perf_counter()
        for path in doomed:
            os.unlink(path)
        os.sync()
        return time.perf_counter() - began

    sweep = {"s": 0.0}
    real_sweep = library_keep.sweep_freed

    def timed_sweep(*args: object, **kwargs: object) -> int:
        began = time.perf_counter()
        try:
            return real_sweep(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            sweep["s"] = time.perf_counter() - began

    def remove() -> tuple[float, library_keep.Removed | None]:
        os.sync()
        library_keep.sweep_freed = timed_sweep  # type: ignore[assignment]
        try:
            began = time.perf_counter()
            removed = library_keep.remove_course(hub.db, hub.blobs, "big-course")
            os.sync()
            return time.perf_counter() - began, removed
        finally:
            library_keep.sweep_freed = real_sweep  # type: ignore[assignment]

    if baseline_first:
        baseline = unlink_alone()
        removal, removed = remove()
    else:
        removal, removed = remove()
        baseline = unlink_alone()
    other.db.conn.close()
    shutil.rmtree(twin)
    assert removed is not None
    left = {
        table: hub.db.execute(f"SELECT count(*) FROM {table} WHERE {column} = 'big-course'").fetchone()[0]
        for table, column in (("lessons", "course_id"), ("course_files", "course_id"), ("courses", "id"))
    }
    on_disk = blob_names(home)
    checks = {
        "rows_left": left,
        "freed_blobs_left": hub.db.execute("SELECT count(*) FROM freed_blobs").fetchone()[0],
        "files_rows": hub.db.execute("SELECT count(*) FROM files").fetchone()[0],
        "blobs_left_on_disk": len(on_disk),
        "blobs_of_the_other_course": len(partner_blobs),
        "only_the_other_course_left": on_disk == partner_blobs,
        "part_files": len(list((home / "blobs").rglob("*.part"))),
    }
    hub.db.conn.close()
    shutil.rmtree(home)
    return {
        "import_s": imported,
        "remove_s": removal,
        "of_which_deleting_files_s": sweep["s"],
        "unlink_baseline_s": baseline,
        "freed_mb": removed.freed_bytes / 1024**2,
        "blobs_deleted": len(doomed),
        **checks,
    }


def bench_removal(megabytes: int, rounds: int) -> dict[str, object]:
    videos = 200
    with tempfile.TemporaryDirectory(prefix="library-bench-", dir=ROOT.parent) as folder:
        work = Path(folder)
        refs = big_course(work / "package", videos, megabytes * 1024**2 // videos, 10_000)
        for ref in refs[:10]:
            ref["_path"] = str(
                work / "package" / "blobs" / "sha256" / str(ref["sha256"])[:2] / str(ref["sha256"])
            )
        small_course(work / "partner", "partner-course", refs[:10], os.urandom(64 * 1024))
        size = sum(p.stat().st_size for p in (work / "package" / "blobs").rglob("*") if p.is_file())
        blobs = sum(1 for p in (work / "package" / "blobs").rglob("*") if p.is_file())
        print(f"course: {size / 1024**2:,.0f} MB in {blobs:,} blobs, 10,000 lessons")
        results = []
        for number in range(rounds):
            result = removal_round(work, work / "package", work / "partner", number % 2 == 0)
            results.append(result)
            print(
                f"round {number + 1}: import {result['import_s']:.1f} s, remove {result['remove_s']:.2f} s "
                f"(deleting the files {result['of_which_deleting_files_s']:.2f} s), "
                f"unlink alone {result['unlink_baseline_s']:.2f} s, freed {result['freed_mb']:,.0f} MB, "
                f"left behind: {result['rows_left']}, freed_blobs {result['freed_blobs_left']}, "
                f"blobs on disk {result['blobs_left_on_disk']} (the other course's: "
                f"{result['blobs_of_the_other_course']}; exactly those: "
                f"{result['only_the_other_course_left']}), "
                f"part files {result['part_files']}"
            )
    return {
        "course_mb": size / 1024**2,
        "rounds": results,
        "remove_s_median": statistics.median(float(r["remove_s"]) for r in results),  # type: ignore[arg-type]
        "unlink_baseline_s_median": statistics.median(float(r["unlink_baseline_s"]) for r in results),  # type: ignore[arg-type]
    }


# --- the storage view ---------------------------------------------------------------------------


def library_of(home: Path, count: int, work: Path) -> str:
    """A hub of `count` small courses sharing one cover; returns an admin session token."""
    hub = Hub(home)
    hub.set_setting(STARTER_IMPORTED, True)
    cover = os.urandom(20 * 1024)
    for number in range(count):
        out = work / f"c{count}-{number}"
        writer = PackageWriter(out)
        shared = writer.add_bytes(cover, "cover.png", "image/png")
        clip = writer.add_bytes(os.urandom(30 * 1024), "clip.mp4", "video/mp4")
        lessons = [{"id": "watch", "title": "Watch", "kind": "video", "media": [clip], "text": "Words."}]
        lessons += [
            {"id": f"r{n}", "title": f"Reading {n}", "kind": "article", "text": "Text."} for n in range(4)
        ]
        writer.finish(
            {
                "id": f"course-{number:04d}",
                "version": 1,
                "title": f"Course {number}",
                "language": "en",
                "publisher": "Bench",
                "cover": shared,
            },
            lessons,
        )
        import_package(hub.db, hub.blobs, out, allow_unverified=True)
        shutil.rmtree(out)
    admin = learners.create_account(hub.db, "Bench admin", Role.ADMIN, "a-long-password")
    token = learners.start_session(hub.db, admin.id, learners.STAFF_SESSION)
    hub.db.conn.close()
    return token


def per_request_sizes(home: Path) -> None:
    """The baseline: sizes worked out from the manifests at every request, as without kept columns."""
    hub = Hub(home)
    users: dict[str, int] = {}
    sizes = {}
    for course_id, raw in hub.db.execute("SELECT id, package_manifest FROM courses").fetchall():
        files = decode_manifest(raw).files()
        sizes[course_id] = files
        for sha256 in files:
            users[sha256] = users.get(sha256, 0) + 1
    rows = sorted(
        (
            (sum(f.size for f in files.values()), sum(f.size for s, f in files.items() if users[s] > 1), cid)
            for cid, files in sizes.items()
        ),
        reverse=True,
    )[:50]
    assert rows is not None
    hub.db.conn.close()


def serve(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
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
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, "the hub to start", 60)
    return process, url


def searchable(url: str) -> bool:
    """The hub built its search index (in the background after it starts)."""
    return not httpx.get(url + "/api/v1/search?q=course", timeout=10).json()["preparing"]


def timed_gets(url: str, path: str, token: str, count: int) -> float:
    with httpx.Client(base_url=url, cookies={"hub_session": token}, timeout=30) as client:
        assert client.get(path).status_code == 200
        times = []
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
    return statistics.median(times) * 1000


def bench_storage(sizes: list[int], requests: int) -> dict[str, object]:
    figures = {}
    with tempfile.TemporaryDirectory(prefix="storage-bench-", dir=ROOT.parent) as folder:
        work = Path(folder)
        for count in sizes:
            home = work / f"hub-{count}"
            started = time.perf_counter()
            token = library_of(home, count, work)
            built = time.perf_counter() - started
            process, url = serve(home)
            wait_until(
                lambda at=url: searchable(at),
                "the search index (it would share the CPU with the timings)",
                300,
            )
            try:
                library_ms = timed_gets(url, "/admin/library", token, requests)
                admin_ms = timed_gets(url, "/admin", token, requests)
            finally:
                process.terminate()
                process.wait(15)
            kept = Hub(home)
            reads = []
            for _ in range(50):
                started = time.perf_counter()
                library_keep.storage(kept.db, kept.home)
                reads.append(time.perf_counter() - started)
            kept.db.conn.close()
            storage_ms = statistics.median(reads) * 1000
            baseline = []
            for _ in range(5):
                started = time.perf_counter()
                per_request_sizes(home)
                baseline.append(time.perf_counter() - started)
            baseline_ms = statistics.median(baseline) * 1000
            figures[count] = {
                "library_ms": library_ms,
                "admin_ms": admin_ms,
                "per_request_sizes_ms": baseline_ms,
                "storage_function_ms": storage_ms,
                "built_s": built,
            }
            print(
                f"{count:>5} courses: /admin/library {library_ms:.1f} ms, /admin {admin_ms:.1f} ms "
                f"(median of {requests}); the page's figures read in-process {storage_ms:.2f} ms, "
                f"worked out per request instead {baseline_ms:.1f} ms "
                f"(built in {built:.0f} s)"
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 MB, one round, 10 and 100 courses")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=2000)
    parser.add_argument("--skip-removal", action="store_true")
    parser.add_argument("--skip-storage", action="store_true")
    args = parser.parse_args()
    megabytes, rounds, sizes = (
        (100, 1, [10, 100]) if args.quick else (args.megabytes, args.rounds, [10, 100, 1000])
    )
    report: dict[str, object] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpus": os.cpu_count()}
    if not args.skip_removal:
        report["removal"] = bench_removal(megabytes, rounds)
    if not args.skip_storage:
        report["storage_view"] = bench_storage(sizes, 30)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
