"""A central server in process for the sync tests, and a way to enrol hubs with it.

Every test that takes `centre` (or `api`, `enrol`) runs twice: with the centre's sync tables in its
own SQLite file, and in PostgreSQL (sync/storage.py; tests/postgres.py starts the server). Tests
look at what the centre holds through `centre.sync_db`, which is either.

Some modules (test_http_api, test_share, test_overview) keep fixtures of their own by these names,
on both engines too (central_hub)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app, manager_for
from hub.home import SYNC_DATABASE_SETTING, Hub
from hub.plugins.sync import central, client
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from tests.sync.states import sharing_ids
from tests.sync.test_http_api import CENTRAL_URL, _via

Enrol = Callable[[Path, str], Hub]


ENGINES = ["sqlite", "postgresql"]


def central_hub(home: Path, request: pytest.FixtureRequest) -> Hub:
    """A central server at `home`, its sync tables in the engine the test is parametrized with."""
    if request.param == "postgresql":
        Hub(home).set_setting(SYNC_DATABASE_SETTING, request.getfixturevalue("postgres_url"))
    hub = Hub(home)
    hub.set_setting(ROLE_SETTING, CENTRAL_ROLE)
    return hub


@pytest.fixture(params=ENGINES)
def centre(tmp_path: Path, request: pytest.FixtureRequest) -> Hub:
    return sharing_ids(central_hub(tmp_path / "central", request))


@pytest.fixture
def api(centre: Hub) -> TestClient:
    return TestClient(create_app(centre, manager_for(centre, load_entry_points=False)), base_url=CENTRAL_URL)


@pytest.fixture
def enrol(centre: Hub, api: TestClient) -> Enrol:
    """Make a hub (sharing its learners' ids) at `home` and enrol it with the centre as `name`."""

    def enrolled(home: Path, name: str) -> Hub:
        hub = sharing_ids(Hub(home))
        client.enroll(hub, CENTRAL_URL, central.create_token(centre.sync_db, name), name, _via(api))
        return hub

    return enrolled
