"""The data folder's secrets are its owner's only (issue 17, finding 19)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hub.home import Hub

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_hub_is_its_owners_only_whatever_the_umask(tmp_path: Path):
    previous = os.umask(0o002)  # a loose but common umask
    try:
        hub = Hub(tmp_path / "home")
        hub.set_setting("touched", True)  # a write, so the -wal and -shm exist
    finally:
        os.umask(previous)
    home = tmp_path / "home"
    assert mode(home) == 0o700
    assert mode(home / "keys") == 0o700
    files = sorted(home.glob("hub.db*"))
    assert [f.name for f in files] == ["hub.db", "hub.db-shm", "hub.db-wal"]
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_hub_is_tightened_on_start(tmp_path: Path):
    home = tmp_path / "home"
    Hub(home).set_setting("touched", True)
    for path in (home, home / "keys"):
        path.chmod(0o755)
    for path in home.glob("hub.db*"):
        path.chmod(0o644)
    Hub(home)
    assert mode(home) == mode(home / "keys") == 0o700
    assert {mode(path) for path in home.glob("hub.db*")} == {0o600}
