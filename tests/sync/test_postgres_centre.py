"""A central server whose sync tables are in PostgreSQL (sync/storage.py): its tables match
SQLite's, several real worker processes serve hubs syncing at once, sessions are counted across
workers, a SQLite centre moves over keeping its hubs, and a database it cannot use is refused in
words with nothing changed. The merge rules themselves run on both engines in every test that
takes the `centre` fixture (tests/sync/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hub import progress
from hub.db import transaction
from hub.home import SYNC_DATABASE_SETTING, Hub
from hub.plugins.sync import central, client, overview
from hub.plugins.sync.pacing import Busy, SharedSessions
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import feed, share, storage, store
from tests.processes import REPO, serve
from tests.sync.states import sharing_ids
from tests.sync.test_http_api import _quiet

HUBS = 4
LEARNERS = 15


def _columns_sqlite(hub: Hub, table: str) -> list[str]:
    return [row[1] for row in hub.db.execute(f"PRAGMA table_info({table})")]


def _columns_postgres(db: storage.PgDatabase, table: str) -> list[str]:
    rows = db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in rows]


def _central_home(tmp_path: Path) -> Path:
    home = tmp_path / "central"
    centre = Hub(home)
    centre.set_setting(ROLE_SETTING, CENTRAL_ROLE)
    centre.set_setting("starter_imported", True)  # a faster start
    return home


def test_every_sync_table_has_the_same_columns_in_both_engines(tmp_path: Path, postgres_url: str) -> None:
    hub = Hub(tmp_path / "central")
    hub.use_sync_database(postgres_url)
    tables = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", storage.SCHEMA.read_text())
    assert len(tables) > 20
    for table in set(tables) - {"courses", "sync_sessions"}:  # a copy; the workers' shared sessions
        assert _columns_postgres(hub.sync_db, table) == _columns_sqlite(hub, table), table


def test_two_workers_on_postgres_take_hubs_syncing_at_once(tmp_path: Path, postgres_url: str) -> None:
    home = _central_home(tmp_path)
    server = serve(home, "--role", "central", "--database", postgres_url, "--workers", "2")
    try:
        workers = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
        assert len(workers.stdout.split()) >= 2, "uvicorn should run two worker processes"
        centre = Hub(home)
        hubs = []
        for number in range(HUBS):
            hub = sharing_ids(Hub(tmp_path / f"hub-{number}"))
            token = central.create_token(centre.sync_db, f"Hub {number}")
            client.enroll(hub, server.url, token, f"Hub {number}")
            for learner in range(LEARNERS):
                progress.record(hub.db, f"h{number}-l{learner}", "c", "a", 1.0, seconds=5)
            hubs.append(hub)

        with ThreadPoolExecutor(HUBS) as pool:
            results = list(pool.map(lambda h: client.sync_now(h, _quiet), hubs))

        assert [r.pushed for r in results] == [LEARNERS] * HUBS
        held = store.knowledge(centre.sync_db, [h.device.id for h in hubs])
        assert held == {h.device.id: LEARNERS for h in hubs}
        assert centre.sync_db.execute("SELECT count(*) FROM progress").fetchone()[0] == HUBS * LEARNERS
        listed = overview.per_hub(centre.sync_db_with_library(), centre.device.id).rows
        assert sorted((row.name, row.learners) for row in listed) == [
            (f"Hub {n}", LEARNERS) for n in range(HUBS)
        ]
        assert centre.db.execute("SELECT count(*) FROM changes").fetchone()[0] == 0  # nothing in SQLite
    finally:
        server.stop()


def test_sessions_are_counted_across_workers(tmp_path: Path, postgres_url: str) -> None:
    centre = Hub(tmp_path / "central")
    centre.use_sync_database(postgres_url)
    clock = [1000.0]
    first, second = (SharedSessions(lambda: centre.sync_db, 1, clock=lambda: clock[0]) for _ in range(2))

    assert first.enter("riverside") is True
    with pytest.raises(Busy):
        second.enter("hilltop")  # the other worker sees Riverside's session
    assert second.enter("riverside") is False  # Riverside's next request, at the other worker
    second.leave("riverside")
    first.leave("riverside", close=True)  # its sync is over
    assert second.enter("hilltop") is True
    assert first.open_count() == 1
    clock[0] += 60  # Hilltop went quiet with nothing in flight
    second.leave("hilltop")
    clock[0] += 60
    assert first.enter("riverside") is True


def test_a_sqlite_centre_moves_to_postgres_with_its_hubs_changes_and_feeds(
    tmp_path: Path, postgres_url: str
) -> None:
    from fastapi.testclient import TestClient

    from hub.app import create_app, manager_for
    from tests.sync.test_http_api import CENTRAL_URL, _via

    centre = sharing_ids(Hub(_central_home(tmp_path)))
    api = TestClient(create_app(centre, manager_for(centre, load_entry_points=False)), base_url=CENTRAL_URL)
    home, visited = (sharing_ids(Hub(tmp_path / name)) for name in ("home", "visited"))
    for hub, name in ((home, "Home"), (visited, "Visited")):
        client.enroll(hub, CENTRAL_URL, central.create_token(centre.sync_db, name), name, _via(api))
    progress.record(home.db, "ana", "c", "a", 0.5)
    client.sync_now(home, _quiet, _via(api))
    with transaction(centre.sync_db):
        feed.bring(centre.sync_db, "ana", visited.device.id, "2026-12-04T00:00:00+00:00")
    assert client.sync_now(visited, _quiet, _via(api)).pulled == 1
    before = store.knowledge(centre.sync_db)

    copied = centre.use_sync_database(postgres_url)

    assert copied > 0 and isinstance(centre.sync_db, storage.PgDatabase)
    assert store.knowledge(centre.sync_db) == before
    progress.record(home.db, "ana", "c", "b", 1.0)  # the hubs go on as if nothing happened
    assert client.sync_now(home, _quiet, _via(api)).pushed == 1
    assert client.sync_now(visited, _quiet, _via(api)).pulled == 1  # her feed goes on from where it was
    assert progress.for_course(visited.db, "ana", "c")["b"].done
    assert storage.move_sync_tables(centre.db, postgres_url) == 0  # never copied over what it holds


def _hub_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "hub", *arguments], capture_output=True, text=True, env=env)


def test_a_database_the_centre_cannot_use_is_refused_in_words(tmp_path: Path) -> None:
    home = _central_home(tmp_path)
    nowhere = f"postgresql://hub@/commons?host={tmp_path / 'no-server-here'}"
    answer = _hub_command("serve", "--home", str(home), "--role", "central", "--database", nowhere)
    assert answer.returncode == 1
    assert "cannot be used" in answer.stdout and "commons on" in answer.stdout
    assert Hub(home).setting(SYNC_DATABASE_SETTING) is None  # nothing changed

    answer = _hub_command("serve", "--home", str(home), "--database", "mysql://somewhere/db")
    assert answer.returncode == 1 and "PostgreSQL URL" in answer.stdout

    answer = _hub_command("serve", "--home", str(home), "--workers", "3")
    assert answer.returncode == 1 and "on PostgreSQL only" in answer.stdout

    hub_home = tmp_path / "hub"
    answer = _hub_command("serve", "--home", str(hub_home), "--role", "hub", "--database", nowhere)
    assert answer.returncode == 1 and "only a central server" in answer.stdout


def test_starting_again_with_the_same_database_keeps_what_it_holds(tmp_path: Path, postgres_url: str) -> None:
    centre = Hub(_central_home(tmp_path))
    centre.use_sync_database(postgres_url)
    central.create_token(centre.sync_db, "Riverside")
    centre.set_setting(share.SETTING, share.NAMED_PROFILES)

    assert Hub(centre.home).use_sync_database(postgres_url) == 0  # `hub serve --database` once more
    again = Hub(centre.home)
    assert again.sync_db.execute("SELECT count(*) FROM sync_tokens").fetchone()[0] == 1
    assert again.setting(share.SETTING) == share.NAMED_PROFILES
    held = again.sync_db.execute("SELECT key FROM settings").fetchall()
    assert (SYNC_DATABASE_SETTING,) not in held  # the URL, and any password in it, stays in hub.db


def test_a_password_in_a_broken_url_is_never_repeated() -> None:
    for url in ("postgresql://hub:s3cr%zzet@db.example/commons", "postgresql://hub:s3cret@[::1/commons"):
        with pytest.raises(storage.DatabaseError) as refused:
            storage.check_reachable(url)
        assert "s3cr" not in str(refused.value)
