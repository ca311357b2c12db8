import pytest

from hub import learners
from hub.home import Hub
from hub.learners import LearnerError


def test_guest_session_round_trip(hub: Hub):
    guest, token = learners.create_guest(hub.db)
    assert guest.is_guest
    assert learners.learner_for_token(hub.db, token) == guest
    assert learners.learner_for_token(hub.db, token + "x") is None
    learners.end_session(hub.db, token)
    assert learners.learner_for_token(hub.db, token) is None


def test_only_token_hashes_are_stored(hub: Hub):
    _, token = learners.create_guest(hub.db)
    stored = hub.db.execute("SELECT token_hash FROM sessions").fetchone()[0]
    assert token not in stored


def test_profile_with_pin_signs_in_only_with_that_pin(hub: Hub):
    guest, _ = learners.create_guest(hub.db)
    learners.create_profile(hub.db, guest.id, "  Amina   K ", "1234")
    assert learners.check_sign_in(hub.db, "amina k", "1234").id == guest.id
    with pytest.raises(LearnerError, match="do not match"):
        learners.check_sign_in(hub.db, "Amina K", "9999")
    with pytest.raises(LearnerError, match="do not match"):
        learners.check_sign_in(hub.db, "Nobody", "1234")
    pin_hash = hub.db.execute("SELECT pin_hash FROM learners").fetchone()[0]
    assert pin_hash.startswith("$argon2")


@pytest.mark.parametrize(
    ("name", "pin", "problem"),
    [
        ("", "", "1 to 40"),
        ("x" * 41, "", "1 to 40"),
        ("Ana", "12a4", "4 digits"),
        ("Ana", "12345", "4 digits"),
    ],
)
def test_bad_profiles_are_refused(hub: Hub, name: str, pin: str, problem: str):
    guest, _ = learners.create_guest(hub.db)
    with pytest.raises(LearnerError, match=problem):
        learners.create_profile(hub.db, guest.id, name, pin)


def test_names_are_unique_regardless_of_case_and_spaces(hub: Hub):
    first, _ = learners.create_guest(hub.db)
    second, _ = learners.create_guest(hub.db)
    learners.create_profile(hub.db, first.id, "Omar", "")
    with pytest.raises(LearnerError, match="already uses that name"):
        learners.create_profile(hub.db, second.id, " OMAR ", "")


def count_argon2_checks(monkeypatch) -> list[str]:
    from argon2 import PasswordHasher

    checks: list[str] = []
    real_verify = PasswordHasher.verify

    def counted(self, secret_hash, secret):
        checks.append(secret_hash)
        return real_verify(self, secret_hash, secret)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return checks


def test_an_unknown_name_costs_the_same_argon2_check_as_a_wrong_pin(hub: Hub, monkeypatch):
    """Without a check for unknown names, the answer came 7 times faster and told who exists."""
    guest, _ = learners.create_guest(hub.db)
    learners.create_profile(hub.db, guest.id, "Amina", "1234")
    checks = count_argon2_checks(monkeypatch)
    with pytest.raises(LearnerError, match="do not match"):
        learners.check_sign_in(hub.db, "Amina", "9999", client="10.0.0.1")
    with pytest.raises(LearnerError, match="do not match"):
        learners.check_sign_in(hub.db, "Nobody", "9999", client="10.0.0.2")
    assert len(checks) == 2
