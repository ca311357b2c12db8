"""What a killed import leaves (issue 17, finding 17): its half-copied blob and its work folder go
at the next start, not 24 hours later; what a running import (another process) writes stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from content.blobs import PART_SUFFIX
from hub import imports
from hub.home import Hub
from tests.conftest import tiny_pdf
from tests.processes import REPO

# An import that has converted its PDF (a work folder) and is half-way through copying a blob.
IMPORTING = """
import sys, time
from pathlib import Path
from content.importers.pdf import PdfImporter
from hub import imports
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


def start_import(home: Path, pdf: Path) -> subprocess.Popen[str]:
    """An import in its own process, back once it is half-way through copying."""
    command = [sys.executable, "-c", IMPORTING, str(home), str(pdf)]
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
    killed = start_import(home, pdf)
    kill(killed)
    assert len(leftovers(home)) == 2  # one blob part, one work folder: each a minute old, not a day
    Hub(home)
    assert leftovers(home) == []


def test_what_a_running_import_writes_stays_until_it_ends(tmp_path: Path):
    home, pdf = tmp_path / "home", tmp_path / "leaflet.pdf"
    pdf.write_bytes(tiny_pdf("Wash your hands"))
    running = start_import(home, pdf)
    try:
        hub = Hub(home)  # the server starting beside a `hub content import`
        assert len(leftovers(home)) == 2
    finally:
        kill(running)
    hub.remove_leftovers()  # what the job runner does every hour
    assert leftovers(home) == []
    assert list((home / "writers").iterdir()) == []
