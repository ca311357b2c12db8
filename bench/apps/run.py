"""HTML5 app lessons: serve the app's files from its zip, or unpack it once into a cache folder?

An app of 300 files (280 scripts and styles of 8-40 KB, 19 pictures of 200 KB, one 5 MB sound)
is imported into a real `hub serve` on 127.0.0.1. Measured, medians of several rounds:

1. through the hub (httpx, one connection, every file of the app once a round): the files from
   /apps/<hash>/... (read from the zip, what the hub does), against the same bytes as plain lesson
   files from /media/<hash>/... (a FileResponse of a file on disk: what an unpacked cache would
   serve at best) — the baseline;
2. in-process, the work behind one request without HTTP: find + read in the opened zip, against
   reading the unpacked file from disk; and what unpacking once costs (time, disk).

    PYTHONPATH=. /work/main/.venv/bin/python bench/apps/run.py   (about 1 min)
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from content.appzip import AppZip
from hub.home import Hub
from hub.library import import_package
from tests.processes import serve

ROUNDS = 7


def app_files() -> dict[str, bytes]:
    rng = __import__("random").Random(15)
    words = [b"function", b"return", b"const", b"wash", b"hands", b"soap", b"{", b"}", b";", b"\n"]
    files = {"index.html": b"<!doctype html><title>Bench</title><p>Bench app</p>"}
    for n in range(280):
        size = rng.randint(8, 40) * 1024
        text = b" ".join(rng.choice(words) for _ in range(size // 5))[:size]
        files[f"js/part{n}.{'js' if n % 2 else 'css'}"] = text
    for n in range(19):
        files[f"img/pic{n}.png"] = os.urandom(200 * 1024)  # pictures do not compress
    files["sound/voice.ogg"] = os.urandom(5 * 1024 * 1024)
    return files


def app_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            kind = zipfile.ZIP_STORED if name.endswith((".png", ".ogg")) else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=kind)
    return out.getvalue()


def author_folder(root: Path, files: dict[str, bytes], data: bytes) -> Path:
    """One app lesson, and one pictures lesson per file of the app: the same bytes as lesson files."""
    (root / "media" / "app").mkdir(parents=True)
    (root / "course.toml").write_text(
        'id = "bench-app"\nversion = 1\ntitle = "Bench"\nlanguage = "en"\npublisher = "Bench"\n', "utf-8"
    )
    (root / "media" / "app.zip").write_bytes(data)
    lesson = '+++\ntitle = "App"\nkind = "html5"\nmedia = "media/app.zip"\n+++\nText.\n'
    (root / "01-app.md").write_text(lesson, "utf-8")
    images = []
    for n, (name, content) in enumerate(files.items()):
        # served as a picture: sent as it is
        path = root / "media" / "app" / f"{n}-{name.replace('/', '-')}.png"
        path.write_bytes(content)
        images.append(f'[[images]]\nfile = "{path.relative_to(root)}"\nalt = "x"\n')
    (root / "02-files.md").write_text('+++\ntitle = "Files"\nkind = "images"\n' + "".join(images) + "+++\n")
    return root


def timed_round(client: httpx.Client, urls: list[str]) -> float:
    start = time.perf_counter()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        _ = response.content
    return time.perf_counter() - start


def main() -> None:
    files = app_files()
    data = app_zip(files)
    total = sum(len(v) for v in files.values())
    print(f"app: {len(files)} files, {total / 1e6:.1f} MB unpacked, zip {len(data) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        hub = Hub(root / "home")
        import_package(hub.db, hub.blobs, author_folder(root / "course", files, data), allow_unverified=True)
        course = hub.course("bench-app")
        assert course is not None
        app_sha = course.lessons[0].media[0].sha256
        media = [f"/media/{i.file.sha256}/x.png" for i in course.lessons[1].images]
        apps = [f"/apps/{app_sha}/{name}" for name in files]
        server = serve(root / "home")
        try:
            # The hub gzips text answers (scripts, styles, pages) and not pictures: identity for both
            # compares the serving alone; a third series shows what gzip adds for the app's text.
            plain = {"Accept-Encoding": "identity"}
            with (
                httpx.Client(base_url=server.url, timeout=30, headers=plain) as client,
                httpx.Client(base_url=server.url, timeout=30) as gzipped,
            ):
                timed_round(client, apps + media)  # warm: the zip opened, pages cached by the OS
                zip_rounds, file_rounds, gzip_rounds = [], [], []
                for _ in range(ROUNDS):  # alternate, so the machine's load falls on all alike
                    zip_rounds.append(timed_round(client, apps))
                    file_rounds.append(timed_round(client, media))
                    gzip_rounds.append(timed_round(gzipped, apps))
        finally:
            server.stop()
        z, f, g = (statistics.median(r) for r in (zip_rounds, file_rounds, gzip_rounds))
        print(f"through the hub, {len(files)} files a round, median of {ROUNDS}:")
        print(f"  from the zip (/apps/)          {z * 1000:7.0f} ms  ({len(files) / z:5.0f} files/s)")
        print(f"  plain files (/media/) [base]   {f * 1000:7.0f} ms  ({len(files) / f:5.0f} files/s)")
        print(f"  ratio zip / files: {z / f:.2f}")
        print(f"  from the zip, gzipped as a phone asks {g * 1000:7.0f} ms")

        blob = hub.blobs.path(app_sha)
        unpacked = root / "unpacked"
        start = time.perf_counter()
        with zipfile.ZipFile(blob) as archive:
            archive.extractall(unpacked)
        unpack = time.perf_counter() - start
        names = list(files)
        app = AppZip(blob)

        def zip_work() -> None:
            for name in names:
                found = app.find(name)
                assert found is not None
                app.read(found.name)

        def disk_work() -> None:
            for name in names:
                (unpacked / name).read_bytes()

        zip_work(), disk_work()
        zip_times, disk_times = [], []
        for _ in range(ROUNDS):
            for work, times in ((zip_work, zip_times), (disk_work, disk_times)):
                start = time.perf_counter()
                work()
                times.append(time.perf_counter() - start)
        zt, dt = statistics.median(zip_times), statistics.median(disk_times)
        opened = time.perf_counter()
        AppZip(blob).close()
        opened = time.perf_counter() - opened
        print("in-process, every file once, median:")
        print(
            f"  read from the opened zip  {zt * 1000:6.1f} ms  (opening, checking it: {opened * 1000:.1f} ms)"
        )
        print(f"  read unpacked files       {dt * 1000:6.1f} ms  [baseline]")
        print(f"  unpacking once: {unpack * 1000:.0f} ms and {total / 1e6:.1f} MB more on the disk")
        shutil.rmtree(unpacked)


if __name__ == "__main__":
    main()
