"""The hub as a systemd service (a Raspberry Pi, or any systemd Linux): `hub service install|uninstall`.

`install` creates the hub's own system user and data folder, writes a hardened unit to
/etc/systemd/system/commons-hub.service and starts it now and at every boot; `--dry-run` prints
each step (and the unit) without doing anything. `uninstall` stops and removes the unit and keeps
the data. Every step is a shell command a person can read in the dry run, except writing the
unit file, which honours `root` so tests can install into a temporary folder.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hub import nginx

SERVICE = "commons-hub"
UNIT_NAME = f"{SERVICE}.service"
UNIT_DIR = Path("etc/systemd/system")
DEFAULT_USER = "commons-hub"
DEFAULT_HOME = Path("/var/lib/commons-hub")
DEFAULT_PORT = 8080
# ProtectHome=true hides these from the service: nothing it needs may live there.
HIDDEN_FROM_SERVICE = (Path("/home"), Path("/root"), Path("/run/user"))
_USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*$")  # nothing systemd or a shell would reinterpret


class ServiceError(Exception):
    """The service cannot be installed or removed; the message says what to do."""


@dataclass(frozen=True)
class ServiceConfig:
    user: str = DEFAULT_USER
    home: Path = DEFAULT_HOME
    port: int = DEFAULT_PORT
    python: Path = Path(os.path.abspath(sys.executable))  # the venv's python, not what it links to
    host: str = "0.0.0.0"
    with_nginx: bool = False  # nginx on `port` in front, the hub on loopback behind it (hub/nginx.py)

    def check(self) -> None:
        if not _USER_NAME.match(self.user):
            raise ServiceError(
                f"{self.user!r} is not a valid user name (lower-case letters, digits, - and _)"
            )
        if not 0 < self.port < 65536:
            raise ServiceError(f"port {self.port} is not between 1 and 65535")
        for what, path in (("data folder", self.home), ("Python", self.python)):
            if not path.is_absolute() or not _PLAIN_PATH.match(str(path)) or ".." in path.parts:
                raise ServiceError(
                    f"the {what} {path} must be an absolute path of letters, digits, . _ - + /"
                )

    def hidden_paths(self) -> list[str]:
        """What the service needs but would not see, behind ProtectHome=true."""
        found = []
        for what, path in [("data folder", self.home), ("Python", self.python), *installed_at()]:
            hidden = next((h for h in HIDDEN_FROM_SERVICE if path == h or h in path.parents), None)
            if hidden is not None:
                found.append(
                    f"the {what} is in {hidden} ({path}), which the service cannot see (ProtectHome=true): "
                    "install the hub in /opt/commons-hub, its data in /var/lib (see docs/raspberry-pi.md)."
                )
        return found


def installed_at() -> list[tuple[str, Path]]:
    """Where this hub's virtual environment and code are, which the service must be able to read."""
    return [("virtual environment", Path(sys.prefix)), ("hub's code", Path(__file__).resolve().parent)]


def render_unit(config: ServiceConfig) -> str:
    """The systemd unit: its own user, a read-only system but for the data folder, the journal."""
    config.check()
    host, port = (
        ("127.0.0.1", nginx.backend_port(config.port)) if config.with_nginx else (config.host, config.port)
    )
    low_port = port < 1024
    command = shlex.join(
        [str(config.python), "-m", "hub", "serve", "--home", str(config.home),
         "--host", host, "--port", str(port)]
    )  # fmt: skip
    capabilities = "CAP_NET_BIND_SERVICE" if low_port else ""
    lines = [
        "# Written by `hub service install`; `hub service uninstall` removes it.",
        "[Unit]",
        "Description=Commons Hub, an offline learning hub",
        "After=network.target",
        "# Never give up restarting: an appliance with no one watching must come back by itself.",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        f"User={config.user}",
        f"Group={config.user}",
        f"Environment=HUB_HOME={config.home}",
        "Environment=PYTHONUNBUFFERED=1",
        *([f"Environment={nginx.ACCEL_VARIABLE}={nginx.INTERNAL_PREFIX}"] if config.with_nginx else []),
        f"WorkingDirectory={config.home}",
        f"ExecStart={command}",
        "Restart=on-failure",
        "RestartSec=3",
        "TimeoutStopSec=20",
        "# Logs: stdout and stderr go to the journal (journalctl -u commons-hub).",
        "StandardOutput=journal",
        "StandardError=journal",
        f"SyslogIdentifier={SERVICE}",
        "UMask=0027",
        "",
        "# Hardening: the hub writes only its data folder and can gain no privilege.",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        f"ReadWritePaths={config.home}",
        "ProtectHome=true",
        "PrivateTmp=true",
        "PrivateDevices=true",
        "ProtectKernelTunables=true",
        "ProtectKernelModules=true",
        "ProtectKernelLogs=true",
        "ProtectControlGroups=true",
        "ProtectClock=true",
        "ProtectHostname=true",
        "RestrictNamespaces=true",
        "RestrictRealtime=true",
        "RestrictSUIDSGID=true",
        "LockPersonality=true",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallArchitectures=native",
        f"CapabilityBoundingSet={capabilities}",
    ]
    if low_port:
        lines += [f"# Port {port} is below 1024: allowed to bind it, and nothing else.",
                  "AmbientCapabilities=CAP_NET_BIND_SERVICE"]  # fmt: skip
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Step:
    """One thing install or uninstall does: run a command, or write (or remove) a file."""

    command: tuple[str, ...] = ()
    write: tuple[Path, str] | None = None
    remove: Path | None = None

    def shown(self) -> str:
        if self.write:
            return f"write {self.write[0]}"
        if self.remove:
            return f"rm -f {self.remove}"
        return shlex.join(self.command)


Runner = Callable[[Sequence[str]], None]


def run_command(command: Sequence[str]) -> None:
    result = subprocess.run(list(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise ServiceError(f"`{shlex.join(command)}` failed ({result.returncode}): {detail}")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def unit_path(root: Path = Path("/")) -> Path:
    return root / UNIT_DIR / UNIT_NAME


def install_steps(config: ServiceConfig, root: Path = Path("/")) -> list[Step]:
    owner = f"{config.user}:{config.user}"
    steps = []
    if not _user_exists(config.user):
        steps.append(Step(("useradd", "--system", "--user-group", "--home-dir", str(config.home),
                           "--no-create-home", "--shell", "/usr/sbin/nologin", config.user)))  # fmt: skip
    steps += [
        Step(("install", "-d", "-o", config.user, "-g", config.user, "-m", "0750", str(config.home))),
        # Files an admin made as root (`sudo hub init`) must become the service's, or it cannot write.
        Step(("chown", "-R", owner, str(config.home))),
        Step(write=(unit_path(root), render_unit(config))),
    ]
    if config.with_nginx:
        conf = nginx.render_config(config.home, config.port, nginx.backend_port(config.port), nginx.RUN_DIR)
        unit = nginx.render_unit(config.user, config.port, Path("/") / nginx.CONFIG_PATH)
        steps += [Step(write=(root / nginx.CONFIG_PATH, conf)), Step(write=(nginx_unit_path(root), unit))]
    steps += [
        Step(("systemctl", "daemon-reload")),
        Step(("systemctl", "enable", "--now", UNIT_NAME)),
    ]
    if config.with_nginx:
        steps.append(Step(("systemctl", "enable", "--now", nginx.SERVICE + ".service")))
    return steps


def nginx_unit_path(root: Path = Path("/")) -> Path:
    return root / UNIT_DIR / f"{nginx.SERVICE}.service"


def uninstall_steps(root: Path = Path("/")) -> list[Step]:
    steps = []
    if nginx_unit_path(root).exists():
        steps += [Step(("systemctl", "disable", "--now", f"{nginx.SERVICE}.service")),
                  Step(remove=nginx_unit_path(root)), Step(remove=root / nginx.CONFIG_PATH)]  # fmt: skip
    return [
        *steps,
        Step(("systemctl", "disable", "--now", UNIT_NAME)),
        Step(remove=unit_path(root)),
        Step(("systemctl", "daemon-reload")),
    ]


def problems(root: Path = Path("/")) -> list[str]:
    """Why this machine cannot install or remove a service now (empty when it can)."""
    found = []
    if not (root / "run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        found.append(
            "systemd is not running here (no /run/systemd/system or no systemctl), so the hub cannot be "
            "installed as a service. Start it with `hub serve` instead, e.g. from your init system."
        )
    if os.geteuid() != 0:
        found.append(
            f"this needs root: run `sudo {shlex.join(sys.argv)}` (or `--dry-run` to see what it would do)"
        )
    return found


def perform(steps: list[Step], *, dry_run: bool, root: Path, echo: Callable[[str], None],
            run: Runner = run_command, found: Sequence[str] = ()) -> None:  # fmt: skip
    """Check the machine, then do each step (or only print it, for a dry run)."""
    found = [*problems(root), *found]
    if found and not dry_run:
        raise ServiceError(" ".join(found))
    for problem in found:
        echo(f"# note: done for real, this would stop here: {problem}")
    for step in steps:
        echo(("would run: " if dry_run else "+ ") + step.shown())
        if step.write and dry_run:
            echo("".join(f"    {line}\n" for line in step.write[1].splitlines()).rstrip("\n"))
        if dry_run:
            continue
        if step.write:
            path, text = step.write
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            part.write_text(text, encoding="utf-8")
            part.chmod(0o644)
            os.replace(part, path)
        elif step.remove:
            step.remove.unlink(missing_ok=True)
        else:
            run(step.command)


def install(config: ServiceConfig, *, dry_run: bool = False, root: Path = Path("/"),
            echo: Callable[[str], None] = print, run: Runner = run_command) -> None:  # fmt: skip
    config.check()
    steps = install_steps(config, root)
    found = config.hidden_paths()
    if config.with_nginx and not (root / "usr/sbin/nginx").exists():
        found.append("nginx is not installed: `sudo apt-get install nginx-light`, then install again.")
    perform(steps, dry_run=dry_run, root=root, echo=echo, run=run, found=found)
    if not dry_run:
        behind = " (nginx in front sends lesson files)" if config.with_nginx else ""
        echo(f"Commons Hub runs as a service on port {config.port}{behind} and starts at every boot.")
        echo(f"Check it: systemctl status {SERVICE}; its log: journalctl -u {SERVICE} -f")


def uninstall(*, dry_run: bool = False, root: Path = Path("/"), echo: Callable[[str], None] = print,
              run: Runner = run_command) -> None:  # fmt: skip
    if not unit_path(root).exists() and not dry_run:
        echo(f"{unit_path(root)} does not exist: the service is not installed.")
        return
    perform(uninstall_steps(root), dry_run=dry_run, root=root, echo=echo, run=run)
    if not dry_run:
        echo("The service is removed; the hub's data and its user are kept "
             "(remove them with `userdel` and `rm -r` if you no longer need them).")  # fmt: skip


service_app = typer.Typer(
    help="Run the hub as a systemd service (Raspberry Pi, Linux).", no_args_is_help=True
)
DryRun = Annotated[bool, typer.Option("--dry-run", help="Only print what would be done.")]


def _fail(error: ServiceError) -> typer.Exit:
    typer.secho(f"Error: {error}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


@service_app.command("install")
def install_command(
    user: Annotated[str, typer.Option(help="The system user the hub runs as (created if missing).")] = (
        DEFAULT_USER
    ),
    home: Annotated[Path, typer.Option(help="The hub's data folder.")] = DEFAULT_HOME,
    port: Annotated[int, typer.Option(help="Port: 80 lets phones open http://<address>/ directly.")] = (
        DEFAULT_PORT
    ),
    with_nginx: Annotated[
        bool,
        typer.Option("--with-nginx", help="Put nginx (nginx-light) in front to send lesson files (a Pi)."),
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Install and start the hub as a service that starts at every boot (needs sudo)."""
    try:
        config = ServiceConfig(user=user, home=Path(os.path.abspath(home)), port=port, with_nginx=with_nginx)
        install(config, dry_run=dry_run, echo=typer.echo)
    except ServiceError as error:
        raise _fail(error) from None


@service_app.command("uninstall")
def uninstall_command(dry_run: DryRun = False) -> None:
    """Stop the service and remove it; the data folder is kept."""
    try:
        uninstall(dry_run=dry_run, echo=typer.echo)
    except ServiceError as error:
        raise _fail(error) from None
