"""Power cuts: SIGKILL a real hub, and the import running beside it, in the middle of writes.

Each round starts `python -m hub serve` on loopback (it execs the server, keeping its PID), drives
progress saves and quiz attempts over HTTP from three phones (threads, each with its own cookies,
echoing the CSRF cookie as the hub's scripts do), runs `python -m hub content import` of ever newer
versions of a course beside it, and then kills the server and the running import with SIGKILL at a
moment drawn from a seeded random generator (`HUB_POWER_CUT_SEED` picks another sequence). In some
rounds the import is killed the instant its blob part file appears, mid-copy. After every kill:

- `PRAGMA integrity_check` is ok and no foreign key dangles;
- the course is at the version of the last import that exited 0, or a newer one that was started,
  and whole: its lessons, lesson count and manifest are exactly that version's;
- every write the hub acknowledged (a 2xx the client received), in every round so far, is stored:
  progress at least the acknowledged value (progress is max-merged), and each quiz attempt's row;
- every blob under a real name hashes to its name, every blob the database lists exists, part
  files are never listed, and the ones a killed copy left behind are swept;
- the restarted hub answers GET / with 200 and serves the acknowledged progress and the course.

SIGKILL is what a power cut does to the processes. What it does to the disk's write cache is the job
of `synchronous=FULL` and the fsyncs in the blob store (see docs/raspberry-pi.md), which a test on
a running machine cannot pull the plug on.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from content import blobs as blobs_module
from content.blobs import CHUNK, PART_SUFFIX, BlobStore, hash_file
from content.errors import ContentError
from content.package import build_package
from tests.conftest import SAMPLE_COURSE, run_hub, write_course
from tests.processes import free_port

SEED = int(os.environ.get("HUB_POWER_CUT_SEED", "20240607"))
ROUNDS = 15
MIN_ROUNDS = 6  # a slow machine may run out of budget; fewer rounds than this proves too little
BUDGET_SECONDS = 40.0  # no new round starts after this
START_SECONDS = 20.0
KILL_AFTER = (0.2, 1.6)  # seconds of writes before the cut
PHONES = 3
COURSE = "sample-course"
QUIZ = "check"
PROGRESS_LESSONS = ("read-me", "watch")  # in every version; the quiz lesson is set to 1.0 when passed
MEDIA_BYTES = 2 * 1024 * 1024
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fsync of folders are POSIX")


@dataclass(frozen=True)
class Version:
    number: int
    package: Path
    lessons: tuple[str, ...]
    manifest_sha256: str
    media_sha256: str


def author_folder(root: Path, number: int) -> Path:
    """The sample course at version `number`: its own 2 MB video, and a fourth lesson when even."""
    media = random.Random(SEED * 1000 + number).randbytes(MEDIA_BYTES)
    files: dict[str, str | bytes] = {
        **SAMPLE_COURSE,
        "course.toml": SAMPLE_COURSE["course.toml"].replace("version = 1", f"version = {number}"),
        "media/clip.mp4": media,
    }
    if number % 2 == 0:
        files["04-more.md"] = f'+++\ntitle = "More"\nkind = "article"\n+++\nVersion {number} adds a lesson.\n'
    return write_course(root / f"author-v{number}", files)


class Versions:
    """Packages of the sample course, built on first use: v1 with `hub content build`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[int, Version] = {}

    def __getitem__(self, number: int) -> Version:
        if number not in self.built:
            source, package = author_folder(self.root, number), self.root / f"sample-v{number}.zip"
            if number == 1:
                built = run_hub("content", "build", source, "-o", package)
                assert built.returncode == 0, built.stdout + built.stderr
            else:
                build_package(source, package)
            with zipfile.ZipFile(package) as archive:
                manifest = json.loads(raw := archive.read("manifest.json"))
            media = hashlib.sha256((source / "media/clip.mp4").read_bytes()).hexdigest()
            lessons = tuple(lesson["id"] for lesson in manifest["lessons"])
            self.built[number] = Version(number, package, lessons, hashlib.sha256(raw).hexdigest(), media)
        return self.built[number]


@dataclass
class Ledger:
    """What the hub acknowledged, and what the test did, across every round."""

    progress: dict[tuple[str, str], float] = field(default_factory=dict)  # (session, lesson) -> value
    quizzes: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))  # session -> marks
    refused: list[str] = field(default_factory=list)  # non-2xx answers (see test_writes_are_not_refused…)
    early_errors: list[str] = field(default_factory=list)  # transport errors before the cut
    last_imported: int = 1  # the newest version whose import exited 0
    started: set[int] = field(default_factory=lambda: {1})
    imports_ok: int = 0
    imports_killed: int = 0
    parts_swept: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack_progress(self, session: str, lesson: str, value: float) -> None:
        with self.lock:
            key = (session, lesson)
            self.progress[key] = max(value, self.progress.get(key, 0.0))

    def ack_quiz(self, session: str, mark: float) -> None:
        with self.lock:
            self.quizzes[session].add(mark)


class Phone:
    """A browser on the hub's Wi-Fi: keeps cookies, echoes the CSRF cookie in X-CSRF-Token."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.client = httpx.Client(timeout=5, trust_env=False)
        self.sent = 0

    def post(self, url: str, payload: object) -> httpx.Response:
        token = self.client.cookies.get("hub_csrf")
        return self.client.post(url, json=payload, headers={"X-CSRF-Token": token} if token else {})

    def write_until(self, base: str, cut: threading.Event, ledger: Ledger) -> None:
        while not cut.is_set():
            self.sent += 1
            try:
                if self.sent % 3 == 0:
                    # Every attempt carries its own numeric answer, so its stored row can be found.
                    mark = float(self.number * 1_000_000 + self.sent)
                    answers = {"0": ["1"], "1": ["0", "2"], "2": ["true"], "3": [str(mark)]}
                    url = f"{base}/api/v1/courses/{COURSE}/lessons/{QUIZ}/quiz"
                    response = self.post(url, {"answers": answers})
                    if response.status_code == 200:
                        ledger.ack_quiz(self.client.cookies["hub_session"], mark)
                else:
                    lesson = PROGRESS_LESSONS[self.sent % 2]
                    value = min(1.0, self.sent / 100_000)  # ever higher, so a lost write shows
                    body = {"course_id": COURSE, "lesson_id": lesson, "progress": value}
                    response = self.post(f"{base}/api/v1/progress", body)
                    if response.status_code == 204:
                        ledger.ack_progress(self.client.cookies["hub_session"], lesson, value)
                if not response.is_success:
                    ledger.refused.append(
                        f"{response.request.url.path}: {response.status_code} {response.text}"
                    )
                    # uvicorn closes the connection after an error: start afresh, keeping the cookies.
                    old, self.client = (
                        self.client,
                        httpx.Client(timeout=5, trust_env=False, cookies=self.client.cookies),
                    )
                    old.close()
            except httpx.TransportError as error:
                if not cut.is_set():
                    # The cut is set before the kill, so an error with it unset came before the kill.
                    ledger.early_errors.append(repr(error))
                return


class Processes:
    """Every process the test starts, so none outlives it."""

    def __init__(self) -> None:
        self.all: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=ENV)
        self.all.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.all:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    try:
        yield started
    finally:
        started.stop_all()


def start_hub(processes: Processes, home: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`hub serve` on a free loopback port; returns once GET / answers 200."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = processes.start(
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
        log,
    )
    deadline, status = time.monotonic() + START_SECONDS, None
    with httpx.Client(timeout=2, trust_env=False) as client:
        while status != 200:
            if server.poll() is not None:
                pytest.fail(f"`hub serve` exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer GET / with 200 in {START_SECONDS} s (last: {status})")
            try:
                status = client.get(base + "/").status_code
            except httpx.TransportError:
                time.sleep(0.02)
    return server, base


def part_visible(home: Path, sha256: str) -> bool:
    folder = home / "blobs" / "sha256" / sha256[:2]
    try:
        return any(name.startswith(sha256) and name.endswith(PART_SUFFIX) for name in os.listdir(folder))
    except FileNotFoundError:
        return False


POWER_CUT, MID_COPY, SERVER_ONLY = "power cut", "import killed mid-copy", "server killed, import finishes"


def power_cut_round(
    processes: Processes,
    server: subprocess.Popen[bytes],
    base: str,
    home: Path,
    log: Path,
    phones: list[Phone],
    versions: Versions,
    ledger: Ledger,
    rng: random.Random,
) -> str:
    """Writes and imports until a random moment, then SIGKILL the server (and the import).

    POWER_CUT kills the running import with the server; MID_COPY kills each import the instant
    its blob part file appears, and lets the one running at the cut finish; SERVER_ONLY kills the
    server alone and lets the import finish. Returns the strategy used.
    """
    kill_after = rng.uniform(*KILL_AFTER)
    strategy = rng.choice((POWER_CUT, MID_COPY, SERVER_ONLY))
    cut = threading.Event()
    writers = [threading.Thread(target=phone.write_until, args=(base, cut, ledger)) for phone in phones]
    for writer in writers:
        writer.start()
    started = time.monotonic()
    importer: subprocess.Popen[bytes] | None = None
    version = versions[ledger.last_imported]
    while time.monotonic() - started < kill_after:
        if importer is None:
            version = versions[max(ledger.started) + 1]
            ledger.started.add(version.number)
            importer = processes.start(
                [
                    sys.executable,
                    "-m",
                    "hub",
                    "content",
                    "import",
                    str(version.package),
                    "--allow-unverified",
                    "--home",
                    str(home),
                ],
                log,
            )
        elif importer.poll() is not None:
            assert importer.returncode == 0, f"import of v{version.number} failed:\n{log.read_text()[-3000:]}"
            ledger.last_imported, ledger.imports_ok, importer = version.number, ledger.imports_ok + 1, None
            continue
        elif strategy == MID_COPY and part_visible(home, version.media_sha256):
            importer.send_signal(signal.SIGKILL)
            importer.wait()
            ledger.imports_killed, importer = ledger.imports_killed + 1, None
        time.sleep(0.001)
    cut.set()
    server.send_signal(signal.SIGKILL)
    if strategy == POWER_CUT and importer is not None and importer.poll() is None:
        importer.send_signal(signal.SIGKILL)
        ledger.imports_killed += 1
    server.wait(timeout=10)
    if importer is not None and importer.wait(timeout=START_SECONDS) == 0:  # finished, not cut
        ledger.last_imported, ledger.imports_ok = version.number, ledger.imports_ok + 1
    for writer in writers:
        writer.join(timeout=10)
        assert not writer.is_alive()
    return strategy


def session_learner(db: sqlite3.Connection, session: str) -> str:
    token_hash = hashlib.sha256(session.encode()).hexdigest()
    row = db.execute("SELECT learner_id FROM sessions WHERE token_hash = ?", [token_hash]).fetchone()
    assert row, "an acknowledged guest's session was lost"
    return row[0]


def check_after_cut(home: Path, versions: Versions, ledger: Ledger) -> int:
    """Everything a power cut must not break, read from the files the killed hub left; the version."""
    # A refused write is not acknowledged, so it does not break durability; but only the known
    # "database is locked" 500 is tolerated here (see test_writes_are_not_refused_during_an_import).
    assert all(": 500 " in refusal for refusal in ledger.refused), ledger.refused[:5]
    assert not ledger.early_errors, ledger.early_errors[:5]
    db = sqlite3.connect(home / "hub.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []

        number, lesson_count, manifest_sha256 = db.execute(
            "SELECT version, lesson_count, manifest_sha256 FROM courses WHERE id = ?", [COURSE]
        ).fetchone()
        assert number >= ledger.last_imported, f"v{number} is older than v{ledger.last_imported}, imported"
        assert number in ledger.started
        version = versions[number]
        lessons = db.execute(
            "SELECT id FROM lessons WHERE course_id = ? ORDER BY position", [COURSE]
        ).fetchall()
        assert tuple(lesson for (lesson,) in lessons) == version.lessons, "a half-imported course"
        assert lesson_count == len(version.lessons)
        assert manifest_sha256 == version.manifest_sha256

        for (session, lesson), value in ledger.progress.items():
            stored = db.execute(
                "SELECT progress FROM progress WHERE learner_id = ? AND course_id = ? AND lesson_id = ?",
                [session_learner(db, session), COURSE, lesson],
            ).fetchone()
            assert stored is not None and stored[0] >= value, f"acknowledged progress {value} lost: {stored}"
        for session, marks in ledger.quizzes.items():
            rows = db.execute(
                "SELECT answers FROM quiz_attempts WHERE learner_id = ? AND lesson_id = ?",
                [session_learner(db, session), QUIZ],
            ).fetchall()
            missing = marks - {json.loads(answers)[3] for (answers,) in rows}
            assert not missing, f"{len(missing)} acknowledged quiz attempts lost"

        listed = dict(db.execute("SELECT sha256, size FROM files").fetchall())
    finally:
        db.close()

    store, parts, real = BlobStore(home), [], set()
    for path in (home / "blobs" / "sha256").glob("*/*"):
        if path.name.endswith(PART_SUFFIX):
            parts.append(path)
            continue
        assert SHA256_NAME.match(path.name), f"a stray file in the blob store: {path}"
        assert hash_file(path)[0] == path.name, f"blob {path.name} does not hash to its name"
        real.add(path.name)
    assert set(listed) <= real, f"blobs the database lists are missing: {set(listed) - real}"
    assert all(store.path(sha256).stat().st_size == size for sha256, size in listed.items())
    assert store.remove_stale_parts(older_than=0) == len(parts)
    ledger.parts_swept += len(parts)
    return number


def check_served(base: str, phones: list[Phone], versions: Versions, number: int, ledger: Ledger) -> None:
    """The restarted hub serves the course as stored and each phone's acknowledged progress."""
    with httpx.Client(timeout=5, trust_env=False) as client:
        course = client.get(f"{base}/api/v1/courses/{COURSE}").json()
    assert course["version"] == number
    assert [lesson["id"] for lesson in course["lessons"]] == list(versions[number].lessons)
    for phone in phones:
        session = phone.client.cookies.get("hub_session")
        if session is None:
            continue
        response = phone.client.get(f"{base}/api/v1/progress", params={"course_id": COURSE})
        assert response.status_code == 200
        served = {row["lesson_id"]: row["progress"] for row in response.json()}
        for lesson in PROGRESS_LESSONS:
            acknowledged = ledger.progress.get((session, lesson))
            if acknowledged is not None:
                assert served[lesson] >= acknowledged


def test_power_cuts_lose_nothing_acknowledged(tmp_path: Path, processes: Processes) -> None:
    rng = random.Random(SEED)
    home, log = tmp_path / "home", tmp_path / "hub.log"
    versions, ledger = Versions(tmp_path), Ledger()
    assert run_hub("init", home=home).returncode == 0
    first = run_hub("content", "import", versions[1].package, "--allow-unverified", home=home)
    assert first.returncode == 0, first.stdout + first.stderr

    phones = [Phone(number) for number in range(PHONES)]
    deadline, rounds, strategies = time.monotonic() + BUDGET_SECONDS, 0, Counter[str]()
    server, base = start_hub(processes, home, log)
    try:
        while rounds < ROUNDS and time.monotonic() < deadline:
            strategies[
                power_cut_round(processes, server, base, home, log, phones, versions, ledger, rng)
            ] += 1
            rounds += 1
            number = check_after_cut(home, versions, ledger)
            server, base = start_hub(processes, home, log)  # GET / answers 200
            check_served(base, phones, versions, number, ledger)
    finally:
        for phone in phones:
            phone.client.close()
        server.terminate()
        server.wait(timeout=10)

    print(
        f"seed {SEED}: {rounds} cuts {dict(strategies)}; "
        f"acknowledged {len(ledger.progress)} progress keys and "
        f"{sum(map(len, ledger.quizzes.values()))} quiz attempts; imports: {ledger.imports_ok} exited 0, "
        f"{ledger.imports_killed} killed; {ledger.parts_swept} part files swept; "
        f"{len(ledger.refused)} writes refused with 500; "
        f"course at v{number} (last import that exited 0: v{ledger.last_imported})"
    )
    assert rounds >= MIN_ROUNDS
    assert ledger.progress and ledger.quizzes, "no write was acknowledged: the test proved nothing"
    assert ledger.imports_ok and ledger.imports_killed, "no import finished, or none was cut"


def test_writes_are_not_refused_during_an_import(tmp_path: Path, processes: Processes) -> None:
    """Phones saving progress while new versions of their course import: every write is acknowledged."""
    home, log = tmp_path / "home", tmp_path / "hub.log"
    versions, ledger = Versions(tmp_path), Ledger()
    assert run_hub("init", home=home).returncode == 0
    assert run_hub("content", "import", versions[1].package, "--allow-unverified", home=home).returncode == 0
    server, base = start_hub(processes, home, log)
    phones = [Phone(number) for number in range(PHONES)]
    cut = threading.Event()
    writers = [threading.Thread(target=phone.write_until, args=(base, cut, ledger)) for phone in phones]
    for writer in writers:
        writer.start()
    try:
        for number in range(2, 5):
            command = ["content", "import", versions[number].package, "--allow-unverified"]
            assert run_hub(*command, home=home).returncode == 0
    finally:
        cut.set()
        for writer in writers:
            writer.join(timeout=10)
        for phone in phones:
            phone.client.close()
        server.terminate()
        server.wait(timeout=10)
    assert ledger.progress and not ledger.early_errors
    assert not ledger.refused, f"{len(ledger.refused)} writes refused: {ledger.refused[:3]}"


def test_two_writers_of_one_blob_never_publish_a_partial_file(tmp_path: Path, monkeypatch) -> None:
    """Two imports sharing a blob: the first rename must not publish the second's half-copy.

    With one shared `<hash>.part`, writer B's open truncated the file writer A had just verified,
    A's rename then put B's half-written file under the real name (for good, had B been killed),
    and B's own rename failed with FileNotFoundError.
    """
    store = BlobStore(tmp_path)
    data = random.Random(SEED).randbytes(3 * CHUNK)
    sha256 = hashlib.sha256(data).hexdigest()
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    b_writing, b_may_finish = threading.Event(), threading.Event()
    real_replace = os.replace

    def replace(source: Path, target: Path) -> None:
        if threading.current_thread().name == "A":
            assert b_writing.wait(5)  # A renames only once B is mid-copy
        real_replace(source, target)

    def b_chunks() -> Iterator[bytes]:
        yield chunks[0]
        b_writing.set()
        assert b_may_finish.wait(5)
        yield from chunks[1:]

    monkeypatch.setattr(blobs_module.os, "replace", replace)
    errors: list[BaseException] = []

    def put(stream: Iterator[bytes]) -> None:
        try:
            store.put_stream(stream, sha256, len(data))
        except BaseException as error:
            errors.append(error)

    a = threading.Thread(target=put, args=(iter(chunks),), name="A")
    b = threading.Thread(target=put, args=(b_chunks(),), name="B")
    a.start()
    deadline = time.monotonic() + 5
    while not list(tmp_path.glob(f"blobs/sha256/*/*{PART_SUFFIX}")):  # A has opened its part file
        assert time.monotonic() < deadline and a.is_alive(), errors
        time.sleep(0.001)
    b.start()
    a.join(10)
    try:
        assert hash_file(store.path(sha256)) == (sha256, len(data))  # while B is still writing
    finally:
        b_may_finish.set()
        b.join(10)
    assert not errors
    assert hash_file(store.path(sha256)) == (sha256, len(data))
    assert not list(tmp_path.glob(f"blobs/sha256/*/*{PART_SUFFIX}"))


def test_a_refused_blob_publishes_none_of_its_batch(tmp_path: Path) -> None:
    """An import's blobs become real names together, after all are verified, or not at all."""
    store, good = BlobStore(tmp_path), b"a verified picture"
    sha256 = hashlib.sha256(good).hexdigest()
    with pytest.raises(ContentError, match="does not match its hash"), store.batch() as batch:
        batch.add_stream([good], sha256, len(good))
        batch.add_stream([b"damaged!"], "ab" * 32, 8)
        batch.publish()
    assert not store.has(sha256)
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
