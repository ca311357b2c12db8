"""Interface languages an admin added travel to other hubs by stick and in the centre's catalog,
signed by the hub that made them; each hub takes only those signed by a key it trusts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub import interface_languages, trust
from hub.home import Hub
from hub.plugins.bundles import carry
from hub.plugins.bundles.languages import LANGUAGES_FILE
from tests.hub.test_interface_languages import SKIP, SKIP_PS, po_file
from tests.sync.conftest import Enrol
from tests.sync.states import sharing_ids
from tests.sync.test_http_api import _sync


def _make_pashto(hub: Hub) -> None:
    interface_languages.add(hub, "ps", "", "fr")
    interface_languages.upload(hub, "ps", po_file({SKIP: SKIP_PS}))


def _trusts(hub: Hub, maker: Hub, name: str) -> None:
    key = trust.own_key(maker.home)
    assert key is not None
    trust.trust_key(hub.db, key.public, name)


def test_a_language_goes_by_stick_to_a_hub_that_trusts_its_maker(tmp_path: Path) -> None:
    riverside, hilltop = sharing_ids(Hub(tmp_path / "riverside")), sharing_ids(Hub(tmp_path / "hilltop"))
    _make_pashto(riverside)
    stick = tmp_path / "stick"
    stick.mkdir()
    carry.export_to(riverside, stick)
    assert (stick / "commons-hub" / riverside.device.id / LANGUAGES_FILE).is_file()

    untrusted = carry.import_from(hilltop, stick, {riverside.device.id}, write_back=False)
    assert untrusted.languages == 0 and "does not trust" in untrusted.languages_refused[0]
    assert interface_languages.languages(hilltop.db) == []

    _trusts(hilltop, riverside, "Riverside library")
    taken = carry.import_from(hilltop, stick, set(), write_back=True)
    assert taken.languages == 1 and taken.languages_refused == []
    pashto = interface_languages.language(hilltop.db, "ps")
    assert pashto.enabled and pashto.translated == 1 and pashto.fallback == "fr"
    assert carry.import_from(hilltop, stick, set(), write_back=False).languages == 0  # once

    # Hilltop's answer on the stick carries it on, as Riverside signed it.
    written = json.loads((stick / "commons-hub" / hilltop.device.id / LANGUAGES_FILE).read_text())
    assert [d.encode() for d in written] == interface_languages.documents(riverside.db)


def test_a_damaged_languages_file_is_refused_and_the_rest_of_the_stick_comes_in(tmp_path: Path) -> None:
    riverside, hilltop = sharing_ids(Hub(tmp_path / "riverside")), sharing_ids(Hub(tmp_path / "hilltop"))
    _make_pashto(riverside)
    _trusts(hilltop, riverside, "Riverside library")
    stick = tmp_path / "stick"
    stick.mkdir()
    carry.export_to(riverside, stick)
    path = stick / "commons-hub" / riverside.device.id / LANGUAGES_FILE
    path.write_bytes(path.read_bytes()[:100])
    result = carry.import_from(hilltop, stick, {riverside.device.id}, write_back=False)
    assert result.hubs_read == 1 and "cannot be read" in result.languages_refused[0]
    assert interface_languages.languages(hilltop.db) == []


@pytest.fixture
def enrolled(enrol: Enrol, tmp_path: Path) -> Hub:
    return enrol(tmp_path / "riverside", "Riverside")


def test_a_language_the_centre_holds_reaches_its_hubs_at_the_next_sync(
    centre: Hub, enrolled: Hub, api: TestClient
) -> None:
    _sync(enrolled, api)
    _make_pashto(centre)
    _trusts(enrolled, centre, "City learning office")
    result = _sync(enrolled, api)
    assert result.languages == 1 and result.languages_refused == []
    assert interface_languages.language(enrolled.db, "ps").translated == 1
    assert _sync(enrolled, api).languages == 0
