"""Sign-in limits: guessing is stopped, counted atomically, and the rightful people still get in."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from fastapi import FastAPI

from hub import learners
from hub.home import Hub
from hub.learners import LearnerError, Role
from tests.conftest import BrowserClient

# hub/sign_in_limits.py: free tries per account from one address, and per account from anywhere
PAIR_FREE = 5
ACCOUNT_FREE = 10


def wrong(hub: Hub, name: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(LearnerError):
            learners.check_sign_in(hub.db, name, "0000", client=client)


def count_checks(monkeypatch) -> list[int]:
    """Every argon2 check from now on fails, and is counted."""
    checks: list[int] = []

    def counted_wrong_check(self, secret_hash, secret):
        checks.append(1)
        raise VerifyMismatchError()

    monkeypatch.setattr(PasswordHasher, "verify", counted_wrong_check)
    return checks


def guess_at_once(hub: Hub, name: str, addresses: list[str]) -> None:
    """One wrong guess per address, all sent at the same moment."""
    start = threading.Barrier(len(addresses))

    def guess(address: str) -> None:
        start.wait()
        with pytest.raises(LearnerError):
            learners.check_sign_in(hub.db, name, "0000", client=address)

    threads = [threading.Thread(target=guess, args=(address,)) for address in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_120_guesses_at_once_from_one_address_get_five_checks(hub: Hub, monkeypatch):
    learners.create_account(hub.db, "Lena", Role.LEARNER, "1234")
    checks = count_checks(monkeypatch)
    guess_at_once(hub, "Lena", ["10.0.0.9"] * 120)
    assert len(checks) == PAIR_FREE


def test_120_guesses_at_once_from_120_addresses_get_the_account_ceiling(hub: Hub, monkeypatch):
    learners.create_account(hub.db, "Lena", Role.LEARNER, "1234")
    checks = count_checks(monkeypatch)
    guess_at_once(hub, "Lena", [f"10.0.{n // 250}.{n % 250}" for n in range(120)])
    assert len(checks) == ACCOUNT_FREE


def test_one_learners_wrong_pins_on_a_shared_tablet_do_not_lock_the_others(hub: Hub):
    learners.create_account(hub.db, "Lena", Role.LEARNER, "1234")
    learners.create_account(hub.db, "Omar", Role.LEARNER, "5678")
    wrong(hub, "Lena", "10.0.0.5", times=PAIR_FREE + 1)
    assert learners.check_sign_in(hub.db, "Omar", "5678", client="10.0.0.5").name == "Omar"
    with pytest.raises(LearnerError, match="Too many wrong tries"):
        learners.check_sign_in(hub.db, "Lena", "1234", client="10.0.0.5")


def test_wrong_tries_from_one_address_do_not_lock_the_admin_out_elsewhere(hub: Hub):
    learners.create_account(hub.db, "Ada", Role.ADMIN, "admin-password")
    wrong(hub, "Ada", "10.0.0.66", times=PAIR_FREE + 1)
    assert learners.check_sign_in(hub.db, "Ada", "admin-password", client="10.0.0.2").name == "Ada"


def sign_in(browser: BrowserClient, name: str, secret: str) -> int:
    browser.get("/signin")
    return browser.post("/signin", data={"name": name, "pin": secret}, follow_redirects=False).status_code


def test_guessing_from_everywhere_never_locks_the_admin_out_of_her_own_browser(app: FastAPI, hub: Hub):
    learners.create_account(hub.db, "Ada", Role.ADMIN, "admin-password")
    with BrowserClient(app, base_url="http://hub.test") as own:
        assert sign_in(own, "Ada", "admin-password") == 303
        own.post("/signout")
        for number in range(3 * ACCOUNT_FREE):  # one wrong try per address, past the account ceiling
            with pytest.raises(LearnerError):
                learners.check_sign_in(hub.db, "Ada", "wrong-password", client=f"10.0.1.{number}")
        assert sign_in(own, "Ada", "admin-password") == 303
        assert own.get("/admin").status_code == 200
    with BrowserClient(app, base_url="http://hub.test") as new_browser:
        assert sign_in(new_browser, "Ada", "admin-password") == 400  # the ceiling holds elsewhere


def test_an_admins_reset_on_the_web_lifts_the_lock(app: FastAPI, hub: Hub):
    lena = learners.create_account(hub.db, "Lena", Role.LEARNER, "1234")
    admin = learners.create_account(hub.db, "Ada", Role.ADMIN, "admin-password")
    wrong(hub, "Lena", "testclient", times=ACCOUNT_FREE + 1)
    with BrowserClient(app, base_url="http://hub.test") as tablet:
        assert sign_in(tablet, "Lena", "1234") == 400
        tablet.cookies.set("hub_session", learners.start_session(hub.db, admin.id))
        assert tablet.post(f"/admin/users/{lena.id}/reset", data={"secret": "4321"}).status_code == 200
        tablet.post("/signout")
        assert sign_in(tablet, "Lena", "4321") == 303


def test_failures_are_forgotten_after_a_quiet_day(hub: Hub):
    learners.create_account(hub.db, "Lena", Role.LEARNER, "1234")
    wrong(hub, "Lena", "10.0.0.5", times=PAIR_FREE)
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds")
    hub.db.execute("UPDATE sign_in_limits SET last_failure_at = ?, locked_until = ?", [two_days_ago] * 2)
    wrong(hub, "Lena", "10.0.0.5")  # the first failure of a new count, not the sixth
    assert learners.check_sign_in(hub.db, "Lena", "1234", client="10.0.0.5").name == "Lena"
