"""Kolibri channel benchmark: a generated channel of 1,000 nodes and 1 GB, imported with
`hub.imports.run_import`, against a plain `cp -r` of its `content/` folder on the same machine.

    PYTHONPATH=. /work/main/.venv/bin/python bench/import/kolibri.py            # 1 GB, 3 rounds
    PYTHONPATH=. /work/main/.venv/bin/python bench/import/kolibri.py --quick    # 50 MB, 1 round

The channel (generated once per run, beside a fresh HUB_HOME): the tables are copied from the
test fixture's database (tests/fixtures/kolibri, Kolibri 0.19.5's export schema), the rows written
with plain sqlite3: 10 top topics (courses) of 99 resources each — 20 videos (random bytes, so
nothing compresses or dedupes; about 5 MB each, 1 GB in all) with English subtitles, 30 audio
files of 100 KB, 29 one-page PDFs, 20 exercises of two questions — 1,000 nodes with the topics.
Files sit in content/storage named by their MD5, as Kolibri keeps them.

Each round, in the same run and on the same warm page cache, both after an `os.sync()`:

  cp       `cp -r content DEST`, and the same followed by `sync` (durable, as an import must be)
  import   `run_import` into a fresh HUB_HOME in a child process: read the database, plan, check
           every file against its MD5 while copying it into a package, hash it (SHA-256), copy it
           into the blob store, one transaction for the 10 courses and the pathway

Reported: medians of seconds and MB/s, the import's throughput against each copy's, and the
import process's peak RSS. Writes results/kolibri-<time>.json. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from timing import CHILD_PRELUDE, ROOT, timed_cp, timed_import

sys.path.insert(0, str(ROOT))

from tests.conftest import tiny_pdf

FIXTURE = ROOT / "tests" / "fixtures" / "kolibri" / "KOLIBRI_DATA" / "content" / "databases"
TOPICS, VIDEOS, AUDIOS, PDFS, EXERCISES = 10, 20, 30, 29, 20

CHILD = (
    CHILD_PRELUDE
    + """
start = time.perf_counter()
results = imports.run_import(hub, Path(sys.argv[1]), allow_unverified=True)
seconds = time.perf_counter() - start
lessons = hub.db.execute("SELECT count(*) FROM lessons").fetchone()[0]
print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": rss_mb("VmHWM"),
                  "courses": len(results), "lessons": lessons}))
"""
)


def _perseus(number: int) -> bytes:
    radio = {"question": {"content": f"Question {number}?\n\n[[☃ radio 1]]", "images": {}, "widgets": {
        "radio 1": {"type": "radio", "options": {"choices": [{"content": "Yes", "correct": True},
                                                             {"content": "No", "correct": False}]}}}},
             "hints": [{"content": "Yes."}]}  # fmt: skip
    numeric = {"question": {"content": "How many?\n\n[[☃ numeric-input 1]]", "images": {}, "widgets": {
        "numeric-input 1": {"type": "numeric-input", "options": {"answers": [{"value": number,
                                                                              "status": "correct"}]}}}},
               "hints": []}  # fmt: skip
    out = Path(tempfile.mkstemp()[1])
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("exercise.json", json.dumps({"all_assessment_items": ["q1", "q2"]}))
        archive.writestr("q1.json", json.dumps(radio))
        archive.writestr("q2.json", json.dumps(numeric))
    data = out.read_bytes()
    out.unlink()
    return data


class Writer:
    def __init__(self, root: Path) -> None:
        self.content = root / "content"
        (self.content / "databases").mkdir(parents=True)
        self.channel = uuid.uuid4().hex
        self.db = sqlite3.connect(self.content / "databases" / f"{self.channel}.sqlite3")
        fixture = sqlite3.connect(next(FIXTURE.glob("*.sqlite3")))
        for (sql,) in fixture.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                                      "'sqlite_%' ORDER BY type DESC"):  # fmt: skip
            self.db.execute(sql)
        fixture.close()
        self.db.execute("INSERT INTO content_language VALUES ('en', 'en', NULL, 'English', 'ltr')")
        self.lft, self.bytes = 0, 0

    def store(self, data: bytes, extension: str) -> str:
        checksum = hashlib.md5(data).hexdigest()
        target = self.content / "storage" / checksum[0] / checksum[1] / f"{checksum}.{extension}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.db.execute("INSERT OR IGNORE INTO content_localfile (id, extension, available, file_size)"
                        " VALUES (?, ?, 1, ?)", [checksum, extension, len(data)])  # fmt: skip
        self.bytes += len(data)
        return checksum

    def node(self, title: str, kind: str, parent: str | None, order: int, level: int) -> str:
        node_id = uuid.uuid4().hex
        self.lft += 1
        self.db.execute(
            "INSERT INTO content_contentnode (id, license_name, title, coach_content, content_id, channel_id,"
            " description, sort_order, license_owner, author, kind, available, options, lft, rght, tree_id,"
            " level, lang_id, parent_id) VALUES (?, 'CC BY', ?, 0, ?, ?, ?, ?, 'Bench', 'Bench', ?, 1, '{}',"
            " ?, ?, 1, ?, 'en', ?)",
            [node_id, title, uuid.uuid4().hex, self.channel, f"About {title}.", order, kind, self.lft,
             self.lft, level, parent],
        )  # fmt: skip
        return node_id

    def file(self, node: str, preset: str, data: bytes, extension: str, lang: str | None = None) -> None:
        checksum = self.store(data, extension)
        self.db.execute("INSERT INTO content_file (id, preset, supplementary, thumbnail, priority,"
                        " contentnode_id, lang_id, local_file_id) VALUES (?, ?, 0, 0, 1, ?, ?, ?)",
                        [uuid.uuid4().hex, preset, node, lang, checksum])  # fmt: skip


def make_channel(root: Path, megabytes: int) -> tuple[int, int]:
    """Write the channel below `root`; return (its bytes, its nodes)."""
    writer = Writer(root)
    video_bytes = max(megabytes * 1024**2 - TOPICS * AUDIOS * 100 * 1024, 0) // (TOPICS * VIDEOS)
    root_id = writer.node("Benchmark channel", "topic", None, 0, 0)
    nodes = 1
    for t in range(TOPICS):
        topic = writer.node(f"Topic {t}", "topic", root_id, t, 1)
        nodes += 1
        order = 0
        for v in range(VIDEOS):
            video = writer.node(f"Video {t}.{v}", "video", topic, order := order + 1, 2)
            writer.file(video, "low_res_video", os.urandom(video_bytes), "mp4")
            vtt = f"WEBVTT\n\n00:00.000 --> 00:01.000\nWords of video {t}.{v}.\n".encode()
            writer.file(video, "video_subtitle", vtt, "vtt", "en")
        for a in range(AUDIOS):
            audio = writer.node(f"Audio {t}.{a}", "audio", topic, order := order + 1, 2)
            writer.file(audio, "audio", os.urandom(100 * 1024), "mp3")
        for p in range(PDFS):
            document = writer.node(f"Leaflet {t}.{p}", "document", topic, order := order + 1, 2)
            writer.file(document, "document", tiny_pdf(f"Leaflet {t} {p}"), "pdf")
        for e in range(EXERCISES):
            exercise = writer.node(f"Exercise {t}.{e}", "exercise", topic, order := order + 1, 2)
            writer.file(exercise, "exercise", _perseus(t * 100 + e), "perseus")
        nodes += VIDEOS + AUDIOS + PDFS + EXERCISES
    writer.db.execute(
        "INSERT INTO content_channelmetadata (id, name, description, tagline, author, version, thumbnail,"
        " last_updated, min_schema_version, root_id) VALUES (?, 'Benchmark channel', '', '', 'Bench', 1, '',"
        " '', '5', ?)",
        [writer.channel, root_id],
    )  # fmt: skip
    writer.db.commit()
    writer.db.close()
    return writer.bytes, nodes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50 MB, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--megabytes", type=int, default=1024)
    args = parser.parse_args()
    megabytes, rounds = (50, 1) if args.quick else (args.megabytes, args.rounds)
    with tempfile.TemporaryDirectory(prefix="kolibri-bench-", dir=os.environ.get("BENCH_TMP")) as folder:
        work = Path(folder)
        size, nodes = make_channel(work / "KOLIBRI_DATA", megabytes)
        files = sum(1 for f in (work / "KOLIBRI_DATA").rglob("*") if f.is_file())
        print(f"channel: {nodes} nodes, {size / 1024**2:,.0f} MB in {files} files")
        results = []
        for number in range(rounds):
            cp_seconds, cp_sync_seconds = timed_cp(work / "KOLIBRI_DATA" / "content", work / "copy")
            shutil.rmtree(work / "copy")
            imported = timed_import(CHILD, work / "KOLIBRI_DATA", work / "home")
            shutil.rmtree(work / "home")
            results.append({"cp_seconds": cp_seconds, "cp_sync_seconds": cp_sync_seconds, **imported})
            print(f"round {number + 1}: cp {cp_seconds:.2f} s (with sync {cp_sync_seconds:.2f} s), "
                  f"import {imported['seconds']:.2f} s ({imported['courses']} courses, "
                  f"{imported['lessons']} lessons), peak RSS {imported['peak_rss_mb']:.0f} MB "
                  f"(before {imported['rss_before_mb']:.0f} MB)")  # fmt: skip
    cp_s = statistics.median(r["cp_seconds"] for r in results)
    cp_sync_s = statistics.median(r["cp_sync_seconds"] for r in results)
    import_s = statistics.median(r["seconds"] for r in results)
    peak = statistics.median(r["peak_rss_mb"] for r in results)
    mb = size / 1024**2
    print()
    print("| measure | cp -r | cp -r + sync | hub import |")
    print("|---|---|---|---|")
    print(f"| seconds (median of {rounds}) | {cp_s:.2f} | {cp_sync_s:.2f} | {import_s:.2f} |")
    print(f"| MB/s | {mb / cp_s:,.0f} | {mb / cp_sync_s:,.0f} | {mb / import_s:,.0f} |")
    print(f"| import / cp throughput | | | {cp_s / import_s:.2f} |")
    print(f"| import / (cp + sync) throughput | | | {cp_sync_s / import_s:.2f} |")
    print(f"| peak RSS of the import process | | | {peak:.0f} MB |")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"kolibri-{stamp}.json").write_text(json.dumps({
        "machine": platform.platform(), "cpus": os.cpu_count(), "channel_bytes": size, "nodes": nodes,
        "files": files, "rounds": results, "median_cp_seconds": cp_s, "median_cp_sync_seconds": cp_sync_s,
        "median_import_seconds": import_s,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
