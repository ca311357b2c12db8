"""The device key's public half kept beside it, so opening a hub does not load `cryptography`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.device import KEY_FILE, PUBLIC_FILE, DeviceKeyError, device_id_for, load_or_create, verify


def _fingerprint_of_key_file(keys: Path) -> str:
    """The device id computed straight from the key file, the way every hub before the cache did."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key((keys / KEY_FILE).read_bytes(), password=None)
    return device_id_for(key.public_key().public_bytes_raw())


def test_the_id_is_the_key_files_fingerprint_with_and_without_the_cache(tmp_path: Path):
    made = load_or_create(tmp_path)
    assert (tmp_path / PUBLIC_FILE).exists()
    assert made.id == _fingerprint_of_key_file(tmp_path)
    cached = load_or_create(tmp_path)
    assert (cached.id, cached.public_key) == (made.id, made.public_key)
    assert verify(cached.public_key, b"data", cached.sign(b"data"))  # the lazily read key is the same key
    assert cached.pseudonym("L") == made.pseudonym("L")


def test_a_hub_from_before_the_cache_keeps_its_id(tmp_path: Path):
    first = load_or_create(tmp_path).id
    (tmp_path / PUBLIC_FILE).unlink()  # as an older hub left its keys folder
    assert load_or_create(tmp_path).id == first
    cached = json.loads((tmp_path / PUBLIC_FILE).read_text())
    assert cached["public_key"] == load_or_create(tmp_path).public_key


def test_a_key_restored_from_a_backup_is_not_named_by_the_stale_cache(tmp_path: Path):
    old = tmp_path / "old"
    load_or_create(old)
    new = load_or_create(tmp_path / "new")
    os.replace(old / KEY_FILE, tmp_path / "new" / KEY_FILE)  # the cache still describes the other key
    restored = load_or_create(tmp_path / "new")
    assert restored.id != new.id
    assert restored.id == _fingerprint_of_key_file(tmp_path / "new")


@pytest.mark.parametrize("garbled", [b"", b"not json", b"[1]", b'{"key_file_sha256": 1}', b"\xff\xfe"])
def test_a_garbled_cache_is_remade_from_the_key(tmp_path: Path, garbled: bytes):
    first = load_or_create(tmp_path).id
    (tmp_path / PUBLIC_FILE).write_bytes(garbled)
    assert load_or_create(tmp_path).id == first
    assert json.loads((tmp_path / PUBLIC_FILE).read_text())["public_key"]


def test_a_damaged_key_file_is_refused_even_with_a_cache(tmp_path: Path):
    load_or_create(tmp_path)
    (tmp_path / KEY_FILE).write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(DeviceKeyError, match="restore it from a backup"):
        load_or_create(tmp_path)


def test_a_key_replaced_while_the_hub_runs_does_not_sign_for_the_old_id(tmp_path: Path):
    load_or_create(tmp_path)
    device = load_or_create(tmp_path)  # as a hub opens: the private key is not read yet
    other = tmp_path / "other"
    load_or_create(other)
    os.replace(other / KEY_FILE, tmp_path / KEY_FILE)
    with pytest.raises(DeviceKeyError, match="restart the hub"):
        device.sign(b"data")


def test_opening_a_hub_and_serving_a_page_leave_cryptography_unloaded(tmp_path: Path):
    home = tmp_path / "home"
    init = [sys.executable, "-m", "hub", "init", "--home", str(home)]
    subprocess.run(init, check=True, capture_output=True)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fastapi.testclient import TestClient\n"
        "from hub.app import create_app\n"
        "from hub.home import Hub\n"
        f"with TestClient(create_app(Hub(Path({str(home)!r})))) as client:\n"
        "    assert client.get('/').status_code == 200\n"
        "print(sorted(name for name in sys.modules if name.startswith('cryptography')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert loaded.stdout.strip() == "[]"
