"""`hub service`: the rendered systemd unit, an install into a temporary root, and the dry run.

Nothing here installs a service on the machine running the tests: commands are recorded, the unit
is written below a temporary folder, and the CLI is only run with --dry-run (or where it must fail).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from hub import service
from hub.service import ServiceConfig, ServiceError, install, render_unit, uninstall
from tests.conftest import run_hub

PYTHON = Path("/opt/commons-hub/venv/bin/python")
HOME = Path("/srv/hub-data")


def unit_lines(**options: object) -> list[str]:
    config = ServiceConfig(**{"home": HOME, "python": PYTHON, **options})  # type: ignore[arg-type]
    return render_unit(config).splitlines()


def test_unit_runs_the_hub_hardened_as_its_own_user():
    lines = unit_lines(user="hubuser", port=8080)
    for line in (
        "User=hubuser",
        "Group=hubuser",
        f"ExecStart={PYTHON} -m hub serve --home {HOME} --host 0.0.0.0 --port 8080",
        f"Environment=HUB_HOME={HOME}",
        f"WorkingDirectory={HOME}",
        "Restart=on-failure",
        "StartLimitIntervalSec=0",
        "StandardOutput=journal",
        "StandardError=journal",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        f"ReadWritePaths={HOME}",
        "ProtectHome=true",
        "PrivateTmp=true",
        "CapabilityBoundingSet=",
        "WantedBy=multi-user.target",
    ):
        assert line in lines, line
    assert not [line for line in lines if line.startswith("AmbientCapabilities")]


def test_a_port_below_1024_gets_the_bind_capability_and_nothing_else():
    lines = unit_lines(port=80)
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in lines
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in lines
    assert f"ExecStart={PYTHON} -m hub serve --home {HOME} --host 0.0.0.0 --port 80" in lines


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"user": "Hub User"}, "not a valid user name"),
        ({"port": 0}, "between 1 and 65535"),
        ({"port": 70000}, "between 1 and 65535"),
        ({"home": Path("relative/data")}, "absolute path"),
        ({"home": Path("/srv/my hub")}, "absolute path"),
        ({"home": Path("/srv/%h")}, "absolute path"),
    ],
)
def test_values_a_unit_cannot_carry_are_refused(options: dict[str, object], message: str):
    with pytest.raises(ServiceError, match=message):
        unit_lines(**options)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("port", [80, 8080])
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path, port: int):
    # verify checks that ExecStart's program exists, so the unit names this test's own Python.
    unit = tmp_path / service.UNIT_NAME
    unit.write_text(
        render_unit(ServiceConfig(home=tmp_path / "data", python=Path(sys.executable), port=port))
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if service.UNIT_NAME in line]
    assert not complaints, complaints


class Recorder:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str]) -> None:
        self.commands.append(list(command))


@pytest.fixture
def systemd_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary root where systemd seems to run, with the tests seemingly run as root."""
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    monkeypatch.setattr(service.os, "geteuid", lambda: 0)
    monkeypatch.setattr(service.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(service, "installed_at", list)  # wherever this checkout is, even below /home
    return tmp_path


def test_install_then_uninstall_in_a_temporary_root(systemd_root: Path):
    config = ServiceConfig(user="commons-hub-test-nobody", home=HOME, python=PYTHON, port=80)
    recorder, said = Recorder(), []
    install(config, root=systemd_root, run=recorder, echo=said.append)

    unit = systemd_root / "etc/systemd/system/commons-hub.service"
    assert unit.read_text() == render_unit(config)
    assert unit.stat().st_mode & 0o777 == 0o644
    user, home = config.user, str(HOME)
    assert recorder.commands == [
        ["useradd", "--system", "--user-group", "--home-dir", home, "--no-create-home",
         "--shell", "/usr/sbin/nologin", user],
        ["install", "-d", "-o", user, "-g", user, "-m", "0750", home],
        ["chown", "-R", f"{user}:{user}", home],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "commons-hub.service"],
    ]  # fmt: skip
    assert any("journalctl -u commons-hub" in line for line in said)

    recorder.commands.clear()
    uninstall(root=systemd_root, run=recorder, echo=said.append)
    assert not unit.exists()
    assert recorder.commands == [
        ["systemctl", "disable", "--now", "commons-hub.service"],
        ["systemctl", "daemon-reload"],
    ]


def test_an_existing_user_is_not_created_again(systemd_root: Path):
    recorder = Recorder()
    install(ServiceConfig(user="root", home=HOME, python=PYTHON), root=systemd_root, run=recorder, echo=print)
    assert not [command for command in recorder.commands if command[0] == "useradd"]


def test_a_failing_command_stops_the_install_with_its_message(systemd_root: Path):
    def fail(command: Sequence[str]) -> None:
        if command[0] == "useradd":
            raise ServiceError("`useradd` failed (9): useradd: user already exists")
        raise AssertionError("nothing may run after a failed step")

    with pytest.raises(ServiceError, match="useradd"):
        install(ServiceConfig(user="commons-hub-test-nobody", home=HOME, python=PYTHON), root=systemd_root,
                run=fail, echo=print)  # fmt: skip
    assert not (systemd_root / "etc/systemd/system/commons-hub.service").exists()


def test_without_root_or_systemd_nothing_is_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(service.os, "geteuid", lambda: 1000)
    recorder = Recorder()
    with pytest.raises(ServiceError) as refused:
        install(ServiceConfig(home=HOME, python=PYTHON), root=tmp_path, run=recorder, echo=print)
    assert "systemd is not running" in str(refused.value)
    assert "needs root" in str(refused.value) and "sudo" in str(refused.value)
    assert recorder.commands == [] and not (tmp_path / "etc").exists()


def test_paths_behind_protect_home_are_refused(systemd_root: Path):
    config = ServiceConfig(home=Path("/home/pi/hub-data"), python=PYTHON)
    with pytest.raises(ServiceError, match="ProtectHome"):
        install(config, root=systemd_root, run=Recorder(), echo=print)


def test_cli_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path):
    home = tmp_path / "data"
    result = run_hub("service", "install", "--dry-run", "--user", "hubuser", "--home", home, "--port", "80")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"would run: install -d -o hubuser -g hubuser -m 0750 {home}" in out
    assert "would run: write /etc/systemd/system/commons-hub.service" in out
    assert f"ExecStart={sys.executable} -m hub serve --home {home} --host 0.0.0.0 --port 80" in out
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in out
    assert "would run: systemctl enable --now commons-hub.service" in out
    assert not home.exists()

    removal = run_hub("service", "uninstall", "--dry-run")
    assert removal.returncode == 0, removal.stdout + removal.stderr
    assert "would run: systemctl disable --now commons-hub.service" in removal.stdout


def test_cli_install_says_why_it_cannot_run_here():
    if not service.problems():
        pytest.skip("this machine could really install the service; only the dry run is tested here")
    result = run_hub("service", "install", "--home", "/srv/never-created")
    assert result.returncode == 1
    assert "Error:" in result.stderr and "Traceback" not in result.stderr
    assert not Path("/srv/never-created").exists()
