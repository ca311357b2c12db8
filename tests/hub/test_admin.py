"""First-run setup, the admin area and the account commands."""

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import first_run, learners
from hub.home import Hub
from hub.privacy import forget_old_guests
from tests.conftest import BrowserClient, run_hub


def browser(app: FastAPI) -> BrowserClient:
    client = BrowserClient(app, base_url="http://hub.test")
    client.cookies.set("hub_csrf", "t")
    return client


def test_first_run_setup_names_the_hub_and_makes_the_admin(app: FastAPI, hub: Hub):
    code = first_run.setup_code(hub.db)
    with browser(app) as client:
        assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/setup"
        page = client.get(f"/admin/setup?code={code.lower()}")
        assert f'value="{code}"' in page.text  # the address printed with the code fills it in
        form = {"code": code, "hub_name": "Library", "name": "Ada", "password": "short"}
        bad = client.post("/admin/setup", data=form)
        assert bad.status_code == 400
        assert "at least 8 characters" in bad.text
        assert learners.count_admins(hub.db) == 0
        done = client.post(
            "/admin/setup",
            data={
                "code": code.replace("-", " "),
                "hub_name": "Riverside Library",
                "default_language": "fr",
                "name": "Ada",
                "password": "long-password",
            },
            follow_redirects=False,
        )
        assert done.headers["location"] == "/admin"
        dashboard = client.get("/admin")
        assert "Riverside Library" in dashboard.text
        assert "Courses" in dashboard.text or "Cours" in dashboard.text
    assert first_run.setup_code(hub.db) is None
    with browser(app) as stranger:
        assert stranger.get("/admin/setup", follow_redirects=False).headers["location"] == "/admin"
        again = stranger.post(
            "/admin/setup", data={"code": code, "hub_name": "Mine", "name": "Eve", "password": "eve-password"}
        )
        assert again.status_code == 401 or "Eve" not in [a.name for a in learners.list_accounts(hub.db)]
        assert stranger.get("/admin").status_code == 401


SETUP = {"hub_name": "Mine", "default_language": "en", "name": "Eve", "password": "eve-password"}


def test_setup_needs_the_code_only_the_person_at_the_machine_has(app: FastAPI, hub: Hub):
    """Issue 17 #4: a script on the Wi-Fi could become admin seconds after the hub started."""
    first_run.setup_code(hub.db)
    with browser(app) as script:
        for code in ("", "AAAA-AAAA-AAAA", "x" * 5000):
            refused = script.post("/admin/setup", data={**SETUP, "code": code})
            assert refused.status_code == 403
            assert "setup code is not right" in refused.text
    assert learners.count_admins(hub.db) == 0
    assert learners.list_accounts(hub.db) == []


def test_setup_needs_a_token_from_its_own_page_even_from_a_cookie_less_script(app: FastAPI, hub: Hub):
    code = first_run.setup_code(hub.db)
    with TestClient(app, base_url="http://hub.test") as script:
        assert script.post("/admin/setup", data={**SETUP, "code": code}).status_code == 403
    with browser(app) as forged:  # a page on another site posting the hub's own form
        headers = {"origin": "http://evil.test"}
        assert forged.post("/admin/setup", data={**SETUP, "code": code}, headers=headers).status_code == 403
    assert learners.count_admins(hub.db) == 0
    assert first_run.setup_code(hub.db) == code  # still usable by the person at the machine


def test_ten_simultaneous_setups_make_exactly_one_admin(app: FastAPI, hub: Hub):
    code = first_run.setup_code(hub.db)
    start = threading.Barrier(10)

    def set_up(number: int) -> tuple[int, bool]:
        with browser(app) as client:
            start.wait()
            form = {**SETUP, "code": code, "name": f"Admin {number}"}
            answer = client.post("/admin/setup", data=form, follow_redirects=False)
            return answer.status_code, "hub_session" in answer.cookies

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(set_up, range(10)))
    # One is signed in as the admin; the others are refused, or, arriving once she exists, sent to
    # /admin without a session (which then refuses them): how many of each depends on timing.
    assert [status for status, signed_in in answers if signed_in] == [303]
    assert all(status in (303, 403) for status, signed_in in answers if not signed_in)
    assert learners.count_admins(hub.db) == 1


def test_admin_creates_a_tutor_who_signs_in_and_out(app: FastAPI, hub: Hub):
    admin = learners.create_account(hub.db, "Ada", learners.Role.ADMIN, "admin-password")
    with browser(app) as client:
        client.cookies.set("hub_session", learners.start_session(hub.db, admin.id))
        made = client.post("/admin/users", data={"name": "Tom", "role": "tutor", "secret": "tutor-password"})
        assert "Account Tom created" in made.text
    with browser(app) as tutor:
        tutor.post("/signin", data={"name": "Tom", "pin": "tutor-password", "next": "/tutor"})
        overview = tutor.get("/tutor")
        assert overview.status_code == 200
        assert "Quizzes passed" in overview.text
        assert tutor.get("/admin").status_code == 403
        tutor.post("/signout")
        assert tutor.get("/tutor").status_code == 401


def test_settings_turn_guest_learning_off_and_change_languages(app: FastAPI, hub: Hub):
    admin = learners.create_account(hub.db, "Ada", learners.Role.ADMIN, "admin-password")
    with browser(app) as client:
        client.cookies.set("hub_session", learners.start_session(hub.db, admin.id))
        saved = client.post(
            "/admin/settings",
            data={
                "hub_name": "Hub",
                "default_language": "es",
                "languages": ["es", "ar"],
                "guest_retention_days": "30",
            },
        )
        assert saved.status_code == 200
        bad = client.post("/admin/settings", data={"hub_name": "Hub", "guest_retention_days": "soon"})
        assert bad.status_code == 400
    with browser(app) as guest:
        assert '<html lang="es"' in guest.get("/").text
        assert guest.get("/courses/sample-course/read-me").status_code == 401
        guest.get("/language/fr")
        assert '<html lang="es"' in guest.get("/").text  # French is no longer offered


def test_learner_sees_downloads_and_deletes_their_data(client):
    client.post("/courses/sample-course/read-me/done")
    client.post("/me/profile", data={"name": "Sam", "pin": "4321"})
    page = client.get("/me/data")
    assert "Sam" in page.text and "Read me" in page.text and "Sample course" in page.text  # names, not ids
    assert ">read-me<" not in page.text and "JSON" not in page.text and "<table" not in page.text
    data = client.get("/me/data.json")
    assert data.headers["content-disposition"].startswith("attachment")
    assert data.json()["progress"][0]["lesson_id"] == "read-me"
    assert "pin_hash" not in data.text
    client.post("/me/delete")
    client.cookies.delete("hub_session")
    assert client.get("/me/data.json").json()["account"] is None


def test_old_guest_progress_is_forgotten_after_the_retention_period(hub: Hub):
    guest, _ = learners.create_guest(hub.db)
    named, _ = learners.create_guest(hub.db)
    learners.create_profile(hub.db, named.id, "Kim", "")
    hub.db.execute("UPDATE learners SET last_active_at = '2020-01-01T00:00:00+00:00'")
    hub.db.execute("INSERT INTO progress VALUES (?, 'c', 'l', 1, NULL, '2020-01-01')", [guest.id])
    assert forget_old_guests(hub.db, 0) == 0
    assert forget_old_guests(hub.db, 30) == 1
    assert hub.db.execute("SELECT count(*) FROM progress").fetchone()[0] == 0
    assert [a.name for a in learners.list_accounts(hub.db)] == ["Kim"]


def hub_cli(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_hub(*args, home=home, stdin=stdin)


def test_account_commands(tmp_path: Path):
    home = tmp_path / "home"
    init = hub_cli("init", home=home)
    code = first_run.setup_code(Hub(home).db)
    assert f"Setup code: {code}" in init.stdout
    assert code in hub_cli("admin", "setup-code", home=home).stdout
    made = hub_cli("admin", "create", "Ada", home=home, stdin="admin-password\nadmin-password\n")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "already has an admin" in hub_cli("admin", "setup-code", home=home).stdout
    assert first_run.claim(Hub(home).db, code) is False  # the terminal's admin ended first-run setup
    assert hub_cli("users", "add", "Tom", "--role", "tutor", "--secret", "short", home=home).returncode == 1
    assert (
        hub_cli("users", "add", "Tom", "--role", "tutor", "--secret", "tutor-password", home=home).returncode
        == 0
    )
    listing = hub_cli("users", "list", home=home).stdout
    assert "Ada" in listing and "admin" in listing and "Tom" in listing
    assert hub_cli("users", "disable", "Tom", home=home).returncode == 0
    assert "switched off" in hub_cli("users", "list", home=home).stdout
    last = hub_cli("users", "disable", "Ada", home=home)
    assert last.returncode == 1 and "last admin" in last.stdout
    for _ in range(6):  # locked out: `hub users reset` is how an admin gets back in
        with pytest.raises(learners.LearnerError):
            learners.check_sign_in(Hub(home).db, "Ada", "wrong-password")
    reset = hub_cli("users", "reset", "Ada", home=home, stdin="new-password\nnew-password\n")
    assert reset.returncode == 0
    assert learners.check_sign_in(Hub(home).db, "Ada", "new-password").name == "Ada"


def test_the_admin_chooses_whether_profiles_may_have_no_pin(app: FastAPI, hub: Hub):
    admin = learners.create_account(hub.db, "Ada", learners.Role.ADMIN, "admin-password")
    assert not app.state.settings.profiles_without_pin
    with browser(app) as client:
        client.cookies.set("hub_session", learners.start_session(hub.db, admin.id))
        assert "can open that profile, and see or delete its progress" in client.get("/admin/settings").text
        client.post("/admin/settings", data={"hub_name": "Hub", "profiles_without_pin": "on"})
    assert app.state.settings.profiles_without_pin
