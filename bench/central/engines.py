"""The two kinds of centre the bench compares side by side, started as a user starts them:

- sqlite: `hub serve --role central` (one process, the sync tables in hub.db);
- postgresql: `hub serve --role central --database postgresql://… --workers N` (the sync tables in
  a PostgreSQL database of a throw-away cluster, tests/postgres.py; N worker processes).

What a centre costs is counted over all its processes: the server's process tree and, for
PostgreSQL, the cluster's processes (the database works for the centre: its CPU is the centre's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hub.home import Hub
from tests import postgres
from tests.processes import Server, serve

ENGINES = ("sqlite", "postgresql")


@dataclass
class Centre:
    engine: str
    server: Server
    cluster_folder: Path | None  # the PostgreSQL cluster's socket folder

    def cpu_seconds(self) -> float:
        """User + system CPU of every process working for the centre, so far."""
        return sum(_cpu(pid) for pid in self._pids())

    def rss_mb(self) -> float:
        """The memory the centre's processes hold, shared pages counted once (the sum of their PSS:
        PostgreSQL's shared buffers and the workers' shared libraries would count N times in RSS)."""
        return sum(_pss_kb(pid) for pid in self._pids()) / 1024

    def hwm_mb(self) -> float:
        return sum(_status(pid).get("VmHWM", 0) for pid in self._pids()) / 1024

    def db_mb(self, home: Path, url: str | None) -> float:
        if url is None:
            return sum(path.stat().st_size for path in home.glob("hub.db*")) / 2**20
        row = Hub(home).sync_db.execute("SELECT pg_database_size(current_database())").fetchone()
        return row[0] / 2**20 + sum(path.stat().st_size for path in home.glob("hub.db*")) / 2**20

    def _pids(self) -> list[int]:
        pids = _tree(self.server.process.pid)
        if self.cluster_folder is not None:
            pids += _cluster(self.cluster_folder)
        return pids


@contextmanager
def cluster(engines: list[str]) -> Iterator[str | None]:
    """A PostgreSQL server for the run, if any engine needs one."""
    if "postgresql" not in engines:
        yield None
        return
    with postgres.cluster() as url:
        yield url


@contextmanager
def database(server_url: str | None, engine: str, name: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database for one centre (None for a SQLite centre)."""
    if engine == "sqlite" or server_url is None:
        yield None
        return
    with postgres.fresh_database(server_url, name) as url:
        yield url


def start(home: Path, engine: str, url: str | None, workers: int) -> Centre:
    """Serve the centre at `home` (its sync tables already moved to `url`, if PostgreSQL)."""
    if engine == "sqlite":
        return Centre(engine, serve(home, "--role", "central"), None)
    assert url is not None
    server = serve(home, "--role", "central", "--workers", str(workers))
    return Centre(engine, server, Path(url.split("host=", 1)[1].split("&", 1)[0]))


def _tree(root: int) -> list[int]:
    """`root` and every process under it."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cluster(folder: Path) -> list[int]:
    """The processes of the PostgreSQL cluster whose data folder is under `folder`."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder) in cmdline.read_bytes().decode(errors="replace") or _is_backend(
                cmdline.parent, folder
            ):
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def _is_backend(proc: Path, folder: Path) -> bool:
    """A PostgreSQL backend names only itself in its command line; its working folder is the data folder."""
    try:
        return os.readlink(proc / "cwd").startswith(str(folder))
    except OSError:
        return False


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pss_kb(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("Pss:")), 0)


def _status(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {line.split(":")[0]: int(line.split()[1]) for line in lines if line.startswith("Vm")}
