"""Who may call what: every route against the table, and every refusal the issue names."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub import learners, sign_in_limits
from hub.access import required_role
from hub.app import create_app
from hub.home import Hub
from hub.learners import Role
from hub.plugins import manager_for
from hub.route_index import every_route
from hub.routes_table import markdown_table, route_roles
from tests.conftest import BrowserClient, hub_with_accounts

ROLES = (Role.GUEST, Role.LEARNER, Role.TUTOR, Role.ADMIN)
ACCOUNTS = {
    Role.LEARNER: ("Lena", "1234"),
    Role.TUTOR: ("Tom Tutor", "tutor-pass"),
    Role.ADMIN: ("Ada Admin", "admin-pass"),
}


@pytest.fixture(scope="module")
def template_home() -> Iterator[Path]:
    """A hub with the sample course and one account per role, copied for each test."""
    with tempfile.TemporaryDirectory() as folder:
        hub = hub_with_accounts(Path(folder) / "home", ACCOUNTS)
        hub.db.conn.close()
        yield hub.home


@pytest.fixture
def staffed(template_home: Path, tmp_path: Path) -> tuple[Hub, FastAPI]:
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    hub = Hub(home)
    return hub, create_app(hub, manager_for(hub, load_entry_points=False))


def signed_in(app: FastAPI, hub: Hub, role: Role) -> TestClient:
    client = BrowserClient(app, base_url="http://hub.test")
    client.cookies.set("hub_csrf", "test-csrf-token")
    if role != Role.GUEST:
        account = next(a for a in learners.list_accounts(hub.db) if a.name == ACCOUNTS[role][0])
        client.cookies.set("hub_session", learners.start_session(hub.db, account.id))
    return client


def fill(path: str, hub: Hub) -> str:
    learner = next(a for a in learners.list_accounts(hub.db) if a.role == Role.LEARNER)
    sha = hub.db.execute("SELECT sha256 FROM files LIMIT 1").fetchone()[0]
    values = {"course_id": "sample-course", "lesson_id": "check" if path.endswith("quiz") else "read-me",
              "learner_id": learner.id, "sha256": sha, "name": "x", "code": "fr"}  # fmt: skip
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    return path


def _table() -> list[tuple[str, str, Role | None, Role | None]]:
    with tempfile.TemporaryDirectory() as folder:
        hub = Hub(Path(folder))
        return route_roles(create_app(hub, manager_for(hub, load_entry_points=False)))


ROUTES = _table()


@pytest.mark.parametrize(
    ("method", "path", "role", "_stricter"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_each_role_gets_exactly_what_the_table_says(staffed, method, path, role, _stricter):
    hub, app = staffed
    assert role is not None, f"{method} {path} declares no permission"
    if path == "/admin/setup":
        role = Role.GUEST  # open until the first admin exists, then it only redirects
    url = fill(path, hub)
    for who in ROLES:
        with signed_in(app, hub, who) as client:
            response = client.request(method, url, follow_redirects=False)
        allowed = who.rank >= role.rank
        if allowed:
            assert response.status_code not in (401, 403), f"{who} refused on {method} {path}"
        else:
            assert response.status_code == (401 if who == Role.GUEST else 403), (
                f"{who} let into {method} {path}"
            )


def test_every_route_declares_who_may_call_it():
    for method, path, role, _ in ROUTES:
        assert role is not None, f"{method} {path} has no ANYONE/LEARNER/TUTOR/ADMIN dependency"


def test_docs_route_table_is_current():
    assert Path("docs/routes.md").read_text(encoding="utf-8") == markdown_table(), (
        "run: hub routes -o docs/routes.md"
    )


def test_required_role_reads_the_declaration():
    hub = Hub(Path(tempfile.mkdtemp()))
    app = create_app(hub, manager_for(hub, load_entry_points=False))
    admin_routes = [r for r in every_route(app) if getattr(r, "path", "") == "/admin"]
    assert required_role(admin_routes[0]) == Role.ADMIN


# --- refusals: clear message, nothing changed ---------------------------------------------


def account_names(hub: Hub) -> list[str]:
    return [a.name or "" for a in learners.list_accounts(hub.db)]


def test_missing_or_forged_csrf_token_is_refused_and_nothing_changes(staffed):
    hub, app = staffed
    admin = signed_in(app, hub, Role.ADMIN)
    before = account_names(hub)
    with TestClient(app, base_url="http://hub.test", cookies=dict(admin.cookies)) as raw:
        missing = raw.post("/admin/users", data={"name": "Eve", "role": "admin", "secret": "eve-password"})
        forged = raw.post(
            "/admin/users",
            data={"name": "Eve", "role": "admin", "secret": "eve-password", "csrf_token": "guess"},
        )
        progress = {"course_id": "sample-course", "lesson_id": "read-me", "progress": 1}
        header = raw.post("/api/v1/progress", json=progress, headers={"X-CSRF-Token": "wrong"})
    for response in (missing, forged, header):
        assert response.status_code == 403
        assert "did not come from this hub" in response.text
    assert account_names(hub) == before
    assert hub.db.execute("SELECT count(*) FROM progress").fetchone()[0] == 0


def test_another_site_cannot_sign_a_cookieless_browser_into_its_own_account(staffed):
    """Login CSRF: a page elsewhere posts the attacker's name and PIN from the visitor's browser
    (which sends no cookies to the hub on a cross-site POST); she would then learn as him."""
    _, app = staffed
    with TestClient(app, base_url="http://hub.test") as visitor:
        signed = visitor.post("/signin", data={"name": "Lena", "pin": "1234"}, follow_redirects=False)
        profile = visitor.post("/me/profile", data={"name": "Mallory", "pin": "1234"}, follow_redirects=False)
    for response in (signed, profile):
        assert response.status_code == 403
        assert "did not come from this hub" in response.text
        assert "hub_session" not in response.headers.get("set-cookie", "")


def test_the_sign_in_form_carries_its_token_without_javascript(staffed):
    _, app = staffed
    with TestClient(app, base_url="http://hub.test") as browser:
        form = browser.get("/signin").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed = browser.post(
            "/signin", data={"name": "Lena", "pin": "1234", "csrf_token": token}, follow_redirects=False
        )
    assert signed.status_code == 303
    assert "hub_session" in signed.headers["set-cookie"]


def test_a_stranger_is_refused_before_the_hub_reads_the_form_body(staffed, monkeypatch):
    """A guest posting an upload to a tutor route gets 401 without the body being parsed."""
    _, app = staffed
    read_forms = []
    monkeypatch.setattr("starlette.requests.Request.form", lambda self, **kw: read_forms.append(1))
    with TestClient(app, base_url="http://hub.test", cookies={"hub_csrf": "x"}) as guest:
        refused = guest.post("/tutor/import/upload", files={"file": ("big.zip", b"PK" * 1000)})
    assert refused.status_code == 401 and read_forms == []


def test_the_right_csrf_token_in_the_form_is_accepted(staffed):
    hub, app = staffed
    admin = signed_in(app, hub, Role.ADMIN)
    with TestClient(app, base_url="http://hub.test", cookies=dict(admin.cookies)) as raw:
        page = raw.get("/admin/users")
        assert 'name="csrf_token" value="test-csrf-token"' in page.text
        made = raw.post(
            "/admin/users",
            data={"name": "Eve", "role": "tutor", "secret": "eve-password", "csrf_token": "test-csrf-token"},
        )
    assert made.status_code == 200
    assert "Eve" in account_names(hub)


def test_tampered_or_expired_session_is_refused_with_a_clear_message(staffed):
    hub, app = staffed
    admin = signed_in(app, hub, Role.ADMIN)
    token = admin.cookies.get("hub_session")
    admin.cookies.set("hub_session", token[:-2] + "xx")
    tampered = admin.get("/admin", follow_redirects=False)
    assert tampered.status_code == 401
    assert "session has ended or is not valid" in tampered.text

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    hub.db.execute("UPDATE sessions SET expires_at = ?", [past])
    admin.cookies.set("hub_session", token)
    expired = admin.get("/admin")
    assert expired.status_code == 401
    assert "Please sign in again" in expired.text
    assert admin.get("/api/v1/progress").json() == []


def test_pin_guessing_beyond_the_limit_locks_the_account_even_with_the_right_pin(staffed):
    _, app = staffed
    with BrowserClient(app, base_url="http://hub.test") as client:
        client.get("/signin")
        for _ in range(sign_in_limits.PAIR_FREE):
            assert "do not match" in client.post("/signin", data={"name": "Lena", "pin": "0000"}).text
        locked = client.post("/signin", data={"name": "Lena", "pin": "1234"})
    assert locked.status_code == 400
    assert "Too many wrong tries" in locked.text
    assert "hub_session" not in locked.headers.get("set-cookie", "")


def test_lockout_also_follows_the_client_address(staffed):
    hub, _ = staffed
    for number in range(sign_in_limits.ADDRESS_FREE):
        with pytest.raises(learners.LearnerError):
            learners.check_sign_in(hub.db, f"name {number}", "0000", client="10.0.0.7")
    with pytest.raises(learners.LearnerError, match="Too many wrong tries"):
        learners.check_sign_in(hub.db, "Lena", "1234", client="10.0.0.7")
    assert learners.check_sign_in(hub.db, "Lena", "1234", client="10.0.0.8").name == "Lena"


def test_disabled_account_cannot_sign_in_and_its_sessions_end(staffed):
    hub, app = staffed
    tutor_client = signed_in(app, hub, Role.TUTOR)
    tutor = next(a for a in learners.list_accounts(hub.db) if a.role == Role.TUTOR)
    learners.update_account(hub.db, tutor.id, Role.TUTOR, disabled=True)
    assert tutor_client.get("/tutor").status_code == 401
    with BrowserClient(app, base_url="http://hub.test") as client:
        client.get("/signin")
        refused = client.post("/signin", data={"name": "Tom Tutor", "pin": "tutor-pass"})
    assert refused.status_code == 400
    assert "switched off" in refused.text


def test_the_last_admin_cannot_be_deleted_demoted_or_disabled(staffed):
    hub, app = staffed
    admin = next(a for a in learners.list_accounts(hub.db) if a.role == Role.ADMIN)
    client = signed_in(app, hub, Role.ADMIN)
    attempts = [
        (f"/admin/users/{admin.id}/delete", {}),
        (f"/admin/users/{admin.id}", {"role": "tutor"}),
        (f"/admin/users/{admin.id}", {"role": "admin", "disabled": "on"}),
    ]
    for url, data in attempts:
        response = client.post(url, data=data)
        assert response.status_code == 400
        assert "last admin" in response.text
    assert learners.get_account(hub.db, admin.id) == admin
