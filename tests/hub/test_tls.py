"""`hub serve --certfile --keyfile` serves HTTPS, and cookies are Secure over it (issue 17, finding 9)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from tests.conftest import run_hub
from tests.processes import REPO, free_port, wait_until

LOOPBACK = ipaddress.ip_address("127.0.0.1")
PROGRESS = {"course_id": "hand-hygiene-en", "lesson_id": "why-hands", "progress": 0.5}


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, as `openssl req -x509` would make."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(LOOPBACK)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    certfile, keyfile = folder / "hub.crt", folder / "hub.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip
    return certfile, keyfile


@pytest.fixture
def https_hub(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    certfile, keyfile = self_signed(tmp_path)
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--home", str(tmp_path / "home"), "--host", "127.0.0.1",
             "--port", str(port), "--certfile", str(certfile), "--keyfile", str(keyfile)],
            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url, process, log), "the hub to answer over HTTPS", 60)
        yield url, log
    finally:
        process.terminate()
        process.wait(15)


def _answers(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(url + "/", verify=False, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_with_a_certificate_speaks_https_and_its_cookies_are_secure(https_hub):
    url, log = https_hub
    printed = log.read_text()
    assert f"open: {url}/" in printed and "http://" not in printed
    with httpx.Client(base_url=url, verify=False) as phone:
        with pytest.raises(httpx.HTTPError):
            httpx.get(url.replace("https://", "http://") + "/", timeout=5)  # no plain HTTP on that port
        page = phone.get("/courses/hand-hygiene-en/why-hands")
        saved = phone.post(
            "/api/v1/progress", json=PROGRESS, headers={"X-CSRF-Token": phone.cookies["hub_csrf"]}
        )
        assert saved.status_code == 204
        language = phone.get("/language/fr", follow_redirects=False)
        cookies = [c for answer in (page, saved, language) for c in answer.headers.get_list("set-cookie")]
    assert {c.split("=")[0] for c in cookies} == {"hub_csrf", "hub_session", "hub_lang"}
    assert all("; secure" in c.lower() for c in cookies), cookies
    assert url + "/" in httpx.get(url + "/join", verify=False).text  # the address the QR code gives phones


def test_plain_http_cookies_are_not_secure(client: TestClient):
    page = client.get("/courses/sample-course/read-me")
    saved = client.post(
        "/api/v1/progress", json={**PROGRESS, "course_id": "sample-course", "lesson_id": "read-me"}
    )
    cookies = [*page.headers.get_list("set-cookie"), *saved.headers.get_list("set-cookie")]
    assert {c.split("=")[0] for c in cookies} == {"hub_csrf", "hub_session"}
    assert not any("secure" in c.lower() for c in cookies), cookies


def test_a_certificate_without_its_key_is_refused_before_serving(tmp_path: Path):
    certfile, _ = self_signed(tmp_path)
    alone = run_hub("serve", "--certfile", certfile, home=tmp_path / "home")
    assert alone.returncode == 1 and "both --certfile and --keyfile" in alone.stdout
    wrong = run_hub("serve", "--certfile", certfile, "--keyfile", certfile, home=tmp_path / "home")
    assert wrong.returncode == 1 and "cannot be used" in wrong.stdout
