"""What a killed import leaves (issue 17, finding 17): its half-copied blob and its work folder go
at the next start, not 24 hours later; what a running import (another process) writes stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from content.blobs import PART_SUFFIX
from hub import imports
from hub.app import create_app, manager_for
from hub.home import Hub
from tests.conftest import tiny_pdf
from tests.processes import REPO

# An import that has converted its PDF (a work folder) and is half-way through copying a blob.
IMPORTING = """
import sys, time
from pathlib import Path
from content.importers.pdf import PdfImporter
from fastapi.testclient import TestClient

from hub import imports
from hub.app import create_app, manager_for
from hub.home import Hub

hub, convert = Hub(Path(sys.argv[1])), PdfImporter.convert

def copying():
    yield b"the first megabyte of a long video"
    print("copying", flush=True)
    time.sleep(600)

def convert_then_copy(self, *args):
    convert(self, *args)
    with hub.blobs.batch() as batch:
        batch.add_stream(copying(), "0" * 64, 10**9)

PdfImporter.convert = convert_then_copy
imports.run_import(hub, Path(sys.argv[2]), allow_unverified=True)
"""


# A hub receiving an upload, half-way through it.
UPLOADING = """
import sys, time
from pathlib import Path
from content.writers import WriterClaim
from fastapi.testclient import TestClient

from hub import imports
from hub.app import create_app, manager_for
from hub.home import Hub

hub = Hub(Path(sys.argv[1]))
incoming = imports.upload_folder(hub) / imports.INCOMING_FOLDER
incoming.mkdir(parents=True)
with WriterClaim(hub.home) as writer:
    (incoming / f"{writer}.{'0' * 32}.part").write_bytes(b"the first megabyte of a ZIM")
    print("copying", flush=True)
    time.sleep(600)
"""


def start(script: str, *args: Path) -> subprocess.Popen[str]:
    """A script in its own process, back once it is half-way through copying."""
    command = [sys.executable, "-c", script, *map(str, args)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, cwd=REPO, text=True, stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stdout.readline() == "copying\n"
    return process


def leftovers(home: Path) -> list[Path]:
    parts = list(home.glob(f"blobs/sha256/*/*{PART_SUFFIX}"))
    work = home / imports.WORK_FOLDER
    return parts + (list(work.iterdir()) if work.is_dir() else [])


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_a_killed_imports_part_file_and_work_folder_go_at_the_next_start(tmp_path: Path):
    home, pdf = tmp_path / "home", tmp_path / "leaflet.pdf"
    pdf.write_bytes(tiny_pdf("Wash your hands"))
    Hub(home)
    killed = start(IMPORTING, home, pdf)
    kill(killed)
    assert len(leftovers(home)) == 2  # one blob part, one work folder: each a minute old, not a day
    Hub(home)
    assert leftovers(home) == []


def test_what_a_running_import_writes_stays_until_it_ends(tmp_path: Path):
    home, pdf = tmp_path / "home", tmp_path / "leaflet.pdf"
    pdf.write_bytes(tiny_pdf("Wash your hands"))
    running = start(IMPORTING, home, pdf)
    try:
        hub = Hub(home)  # the server starting beside a `hub content import`
        assert len(leftovers(home)) == 2
    finally:
        kill(running)
    hub.remove_leftovers()  # what the job runner does every hour
    assert leftovers(home) == []
    assert list((home / "writers").iterdir()) == []


def test_an_upload_a_killed_hub_was_receiving_goes_when_the_hub_starts_again(tmp_path: Path):
    home = tmp_path / "home"
    kill(start(UPLOADING, home))
    incoming = home / imports.UPLOAD_FOLDER / imports.INCOMING_FOLDER
    assert len(list(incoming.iterdir())) == 1
    hub = Hub(home)
    with TestClient(create_app(hub, manager_for(hub, load_entry_points=False))):  # the server starts
        assert list(incoming.iterdir()) == []
