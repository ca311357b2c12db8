"""A learner follows her profile to another hub with her card (hub/follow.py): code and PIN on hub B,
the centre checks the PIN hash her own hub shared and hands her to B; both hubs then hold her."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from hub import learners, progress
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from hub.plugins.sync import client
from sync import share
from sync.codes import learner_code
from tests.conftest import BrowserClient
from tests.sync.conftest import Enrol
from tests.sync.states import stored_state
from tests.sync.test_http_api import _quiet, _via


def _browser(hub: Hub) -> BrowserClient:
    web = BrowserClient(
        create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    )
    web.get("/signin")  # the CSRF cookie, as a person's first look at the page gives it
    return web


def _sign_in(web: BrowserClient, name: str, pin: str) -> object:
    return web.post("/signin", data={"name": name, "pin": pin, "next": "/me"}, follow_redirects=False)


def _amina_at_home(home: Hub, api: TestClient) -> tuple[str, str]:
    amina = learners.create_account(home.db, "Amina Yusuf", Role.LEARNER, "4321")
    progress.record(home.db, amina.id, "c", "a", 1.0, seconds=120)
    client.sync_now(home, _quiet, _via(api))
    return amina.id, learner_code(amina.id)


def test_she_signs_in_on_another_hub_with_her_card_and_both_hubs_hold_her_progress(
    api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    home, visited = enrol(tmp_path / "home", "Home"), enrol(tmp_path / "visited", "Visited")
    amina, code = _amina_at_home(home, api)
    web = _browser(visited)

    asked = _sign_in(web, code.lower().replace("-", " "), "4321")  # typed as people type
    assert asked.status_code == 202 and "next sync" in asked.text
    result = client.sync_now(visited, _quiet, _via(api))
    assert result.profiles == 1 and result.pulled >= 3  # her name, her PIN hash, her lesson
    assert learners.get_account(visited.db, amina).name == "Amina Yusuf"
    assert _sign_in(web, code, "4321").status_code == 303
    assert _sign_in(_browser(visited), "Amina Yusuf", "4321").status_code == 303  # her name works too

    progress.record(visited.db, amina, "c", "b", 1.0, seconds=60)  # she learns on the visited hub
    assert client.sync_now(visited, _quiet, _via(api)).refused == 0
    assert client.sync_now(home, _quiet, _via(api)).pulled >= 2  # the centre's hand-over and her lesson
    assert progress.for_course(home.db, amina, "c")["b"].done
    mine = {k: v for k, v in stored_state(home).lessons.items() if k[0] == amina}
    assert mine == {k: v for k, v in stored_state(visited).lessons.items() if k[0] == amina}


def test_a_wrong_pin_brings_nobody_and_the_request_waits(
    api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    home, visited = enrol(tmp_path / "home", "Home"), enrol(tmp_path / "visited", "Visited")
    amina, code = _amina_at_home(home, api)
    assert _sign_in(_browser(visited), code, "9999").status_code == 202
    result = client.sync_now(visited, _quiet, _via(api))
    assert (result.profiles, result.pulled) == (0, 0)
    assert learners.get_account(visited.db, amina) is None
    assert visited.db.execute("SELECT last_answer FROM follow_requests").fetchone() == ("not found",)
    assert _sign_in(_browser(visited), code, "9999").status_code == 202  # still waiting, not signed in


def test_without_named_profiles_no_profile_follows_and_the_page_says_why(
    enrol: Enrol, tmp_path: Path
) -> None:
    visited = enrol(tmp_path / "visited", "Visited")
    visited.set_setting(share.SETTING, share.NOTHING_PERSONAL)
    refused = _sign_in(_browser(visited), learner_code("someone-elsewhere"), "4321")
    assert refused.status_code == 400 and "keeps its learners" in refused.text
    assert visited.db.execute("SELECT count(*) FROM follow_requests").fetchone() == (0,)


def test_a_code_that_is_not_a_card_is_an_ordinary_wrong_name(enrol: Enrol, tmp_path: Path) -> None:
    visited = enrol(tmp_path / "visited", "Visited")
    wrong = _sign_in(_browser(visited), "ABCD-EFGH-IJKL", "4321")  # I and L are never on a card
    assert wrong.status_code == 400 and "do not match" in wrong.text


def test_a_card_printed_today_follows_her_before_she_has_learnt_anything(
    api: TestClient, enrol: Enrol, tmp_path: Path
) -> None:
    home, visited = enrol(tmp_path / "home", "Home"), enrol(tmp_path / "visited", "Visited")
    amina = learners.create_account(home.db, "Amina Yusuf", Role.LEARNER, "4321")  # a card, no lesson yet
    learners.create_profile(home.db, "guest-without-card", "Bo Quiet", "")  # no card, no progress
    client.sync_now(home, _quiet, _via(api))
    web = _browser(visited)

    assert _sign_in(web, learner_code(amina.id), "4321").status_code == 202
    assert client.sync_now(visited, _quiet, _via(api)).profiles == 1
    assert _sign_in(web, learner_code(amina.id), "4321").status_code == 303
    assert "Bo Quiet" not in str(
        api.app.state.hub.sync_db.execute("SELECT name FROM learner_names").fetchall()
    )
