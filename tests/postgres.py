"""A throw-away PostgreSQL cluster for the tests of a central server on PostgreSQL.

Given `HUB_TEST_POSTGRES` (a libpq URL of a server where the tests may create databases), the
tests use it; otherwise they start a cluster of their own with Debian's binaries
(`apt-get install postgresql`) in a temporary folder, listening on a Unix socket only, and stop
it at the end. As root (CI containers) the cluster runs as the `postgres` user, since PostgreSQL
refuses to run as root. Without either, the tests that need it are skipped, except in CI
(`CI=true`), where they fail, so a CI run cannot go green without PostgreSQL.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

URL_VARIABLE = "HUB_TEST_POSTGRES"  # postgresql://user@host/database (each test gets a database beside it)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def cluster() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on, for as long as it is open."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    binaries = _binaries()
    if binaries is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql), nor HUB_TEST_POSTGRES given"
        if _in_ci():
            pytest.fail(f"{reason}; CI is set, so the PostgreSQL tests must run", pytrace=False)
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "hub", "-A", "trust", "-E", "UTF8"]
    initdb.append("--no-sync")
    subprocess.run(_as_cluster_owner(initdb), check=True, capture_output=True)
    options = f"-k {folder} -c listen_addresses='' -c fsync=off -c max_connections=200"
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
    start += ["-w", "start"]
    subprocess.run(_as_cluster_owner(start), check=True, capture_output=True)
    try:
        yield f"postgresql:///postgres?host={quote(str(folder))}&user=hub"
    finally:
        subprocess.run(
            _as_cluster_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards; its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        base, mark, query = server_url.partition("?")
        yield f"{base.rsplit('/', 1)[0]}/{name}{mark}{query}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
