"""nginx in front of the hub (issue 21): lesson files sent by nginx after the hub's own checks, and
`hub service install --with-nginx`. The end-to-end test runs Debian's nginx (nginx-light) as this
user with the config the service writes, in front of a real `hub serve`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from content.zim import ZIM_MEDIA_TYPE
from hub import imports, nginx, service
from hub.home import Hub
from hub.library import import_package
from hub.service import ServiceConfig, install, render_unit, uninstall
from tests.conftest import write_course
from tests.hub.test_service import HOME, PYTHON, Recorder, systemd_root  # noqa: F401 (a fixture)
from tests.importing import PNG, make_zim
from tests.processes import Server, free_port, serve, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
needs_nginx = pytest.mark.skipif(
    not Path(NGINX).exists() and not os.environ.get("CI"), reason="nginx (nginx-light) is not installed"
)


@pytest.fixture
def hub_behind_nginx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, str]]:
    home = tmp_path / "home"
    hub = Hub(home)
    import_package(
        hub.db, hub.blobs, write_course(tmp_path / "author" / "sample-course"), allow_unverified=True
    )
    imports.run_import(hub, make_zim(tmp_path / "wikimed.zim"), allow_unverified=True)
    del hub
    monkeypatch.setenv(nginx.ACCEL_VARIABLE, nginx.INTERNAL_PREFIX)
    server = serve(home)
    run = tmp_path / "nginx-run"
    run.mkdir()
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(nginx.render_config(home.resolve(), port, server.port, run, host="127.0.0.1"))
    extra = " user root;" if os.geteuid() == 0 else ""  # as root, workers would be `nobody` otherwise
    front = subprocess.Popen([NGINX, "-c", str(config), "-g", f"daemon off;{extra}"], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url), "nginx to answer", 60)
        yield server, url
    finally:
        front.terminate()
        front.wait(10)
        server.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@needs_nginx
def test_nginx_sends_lesson_files_after_the_hub_checked_them(hub_behind_nginx: tuple[Server, str]):
    server, url = hub_behind_nginx
    page = httpx.get(url + "/courses/sample-course/watch").text
    video = re.search(r'<source src="(/media/([0-9a-f]{64})/clip.mp4)"', page)
    assert video
    path, sha256 = video.groups()
    stored = (server.home / "blobs/sha256" / sha256[:2] / sha256).read_bytes()

    from_hub = httpx.get(server.url + path)  # the hub itself answers with no body, only where to look
    assert from_hub.content == b""
    assert from_hub.headers["x-accel-redirect"] == f"{nginx.INTERNAL_PREFIX}sha256/{sha256[:2]}/{sha256}"

    whole = httpx.get(url + path)
    assert whole.status_code == 200 and whole.content == stored
    assert whole.headers["content-type"] == "video/mp4"
    assert "immutable" in whole.headers["cache-control"]
    assert whole.headers["content-security-policy"].startswith("sandbox")
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert "inline" in whole.headers["content-disposition"]
    part = httpx.get(url + path, headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.content == b"ftyp"
    assert part.headers["content-range"] == f"bytes 4-7/{len(stored)}"


@needs_nginx
def test_nginx_serves_no_file_the_hub_did_not_let_through(hub_behind_nginx: tuple[Server, str]):
    server, url = hub_behind_nginx
    sha256 = next((server.home / "blobs/sha256").glob("*/*")).name
    direct = httpx.get(f"{url}{nginx.INTERNAL_PREFIX}sha256/{sha256[:2]}/{sha256}")
    assert (
        direct.status_code == 404
        and direct.content != (server.home / "blobs/sha256" / sha256[:2] / sha256).read_bytes()
    )
    unknown = httpx.get(f"{url}/media/{'0' * 64}/clip.mp4")
    assert unknown.status_code == 404 and "x-accel-redirect" not in unknown.headers
    escape = httpx.get(f"{url}/media/..%2f..%2fhub.db/x")
    assert escape.status_code in (400, 404)  # nginx or the hub refuses it; nothing is read
    assert httpx.get(url + "/courses/sample-course").status_code == 200  # pages pass through


@needs_nginx
def test_nginx_keeps_the_hubs_yes_to_a_file_for_a_few_seconds(hub_behind_nginx: tuple[Server, str]):
    """A video's many Range requests cost the hub one answer: with the hub stopped, nginx still sends
    the file it said yes to (for CHECK_SECONDS), and nothing it did not."""
    server, url = hub_behind_nginx
    page = httpx.get(url + "/courses/sample-course/watch").text
    path = re.search(r'<source src="(/media/[0-9a-f]{64}/clip.mp4)"', page)[1]  # type: ignore[index]
    first = httpx.get(url + path)
    assert first.status_code == 200
    server.stop()
    again = httpx.get(url + path, headers={"Range": "bytes=4-7"})
    assert again.status_code == 206 and again.content == b"ftyp"
    assert again.headers["content-type"] == "video/mp4"
    assert again.headers["content-security-policy"].startswith("sandbox")
    assert httpx.get(url + path + "?download=1").status_code >= 500  # never asked: the hub must say
    assert nginx.CHECK_SECONDS <= 10


def _zim_sha256(home: Path) -> str:
    hub = Hub(home)
    return hub.db.execute("SELECT sha256 FROM files WHERE media_type = ?", [ZIM_MEDIA_TYPE]).fetchone()[0]


@needs_nginx
def test_nginx_sends_zim_pictures_from_a_copy_after_the_hub_checked_them(
    hub_behind_nginx: tuple[Server, str],
):
    server, url = hub_behind_nginx
    path = f"/zim/{_zim_sha256(server.home)}/I/net.png"

    from_hub = httpx.get(server.url + path)  # the hub copies the entry once and says where it is
    location = from_hub.headers["x-accel-redirect"]
    assert from_hub.content == b"" and location.startswith(nginx.ZIM_INTERNAL_PREFIX)
    copy = server.home / nginx.ZIM_COPIES / location.removeprefix(nginx.ZIM_INTERNAL_PREFIX)
    assert copy.read_bytes() == PNG

    picture = httpx.get(url + path)
    assert picture.status_code == 200 and picture.content == PNG
    assert picture.headers["content-type"] == "image/png"
    assert "immutable" in picture.headers["cache-control"]
    assert picture.headers["x-content-type-options"] == "nosniff"
    part = httpx.get(url + path, headers={"Range": "bytes=1-3"})
    assert part.status_code == 206 and part.content == PNG[1:4]

    article = httpx.get(url + f"/zim/{_zim_sha256(server.home)}/Home")  # articles stay with the hub
    assert article.status_code == 200 and "x-accel-redirect" not in article.headers
    assert httpx.get(url + location).status_code == 404  # never straight from nginx
    assert httpx.get(url + f"/zim/{'0' * 64}/I/net.png").status_code == 404


def test_install_with_nginx_puts_the_hub_behind_it(systemd_root: Path):  # noqa: F811
    (systemd_root / "usr/sbin").mkdir(parents=True)
    (systemd_root / "usr/sbin/nginx").touch()
    config = ServiceConfig(user="commons-hub-test-nobody", home=HOME, python=PYTHON, port=80, with_nginx=True)
    recorder, said = Recorder(), []
    install(config, root=systemd_root, run=recorder, echo=said.append)

    unit = (systemd_root / "etc/systemd/system/commons-hub.service").read_text()
    assert unit == render_unit(config)
    assert "--host 127.0.0.1 --port 8081" in unit and f"{nginx.ACCEL_VARIABLE}=/_hub_blobs/" in unit
    assert "CAP_NET_BIND_SERVICE" not in unit  # nginx binds port 80, the hub a high loopback port
    front = (systemd_root / "etc/systemd/system/commons-hub-nginx.service").read_text()
    assert "User=commons-hub-test-nobody" in front and "AmbientCapabilities=CAP_NET_BIND_SERVICE" in front
    conf = (systemd_root / "etc/commons-hub/nginx.conf").read_text()
    assert "listen 80;" in conf and "server 127.0.0.1:8081" in conf and f"alias {HOME}/blobs/;" in conf
    assert ["systemctl", "enable", "--now", "commons-hub-nginx.service"] in recorder.commands

    recorder.commands.clear()
    uninstall(root=systemd_root, run=recorder, echo=said.append)
    assert not (systemd_root / "etc/systemd/system/commons-hub-nginx.service").exists()
    assert not (systemd_root / "etc/commons-hub/nginx.conf").exists()
    assert recorder.commands[0] == ["systemctl", "disable", "--now", "commons-hub-nginx.service"]


def test_install_with_nginx_says_to_install_nginx_first(systemd_root: Path):  # noqa: F811
    config = ServiceConfig(home=HOME, python=PYTHON, with_nginx=True)
    with pytest.raises(service.ServiceError, match="apt-get install nginx-light"):
        install(config, root=systemd_root, run=Recorder(), echo=print)
