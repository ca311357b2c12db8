"""Names however typed: one name for NFC, NFD and compatibility twins; look-alikes of staff refused."""

from __future__ import annotations

import unicodedata

import pytest

from hub import learners
from hub.db import MIGRATIONS, connect, migrate
from hub.home import Hub
from hub.learners import LearnerError, Role

NFC = unicodedata.normalize("NFC", "José Ruiz")
NFD = unicodedata.normalize("NFD", "José Ruiz")


def new_profile(hub: Hub, name: str, pin: str = "1234") -> learners.Learner:
    guest, _ = learners.create_guest(hub.db)
    return learners.create_profile(hub.db, guest.id, name, pin)


@pytest.mark.parametrize(
    ("first", "second"),
    [(NFC, NFD), ("ﬁona", "Fiona"), ("Ａmina", "amina"), ("Omar", "Om\u200bar"), ("Lena", "Lena\u202e")],
    ids=["nfc-nfd", "ligature", "fullwidth", "zero-width-space", "direction-override"],
)
def test_twins_of_a_name_are_the_same_name(hub: Hub, first: str, second: str):
    new_profile(hub, first)
    with pytest.raises(LearnerError, match="already uses that name"):
        new_profile(hub, second)


def test_a_name_is_stored_in_nfc_and_signs_in_however_typed(hub: Hub):
    new_profile(hub, NFD)
    assert hub.db.execute("SELECT name FROM learners WHERE name IS NOT NULL").fetchone()[0] == NFC
    assert learners.check_sign_in(hub.db, NFD, "1234").name == NFC
    assert learners.check_sign_in(hub.db, NFC, "1234").name == NFC


@pytest.mark.parametrize(
    "look_alike",
    ["Аda Аdmin", "ΑDA ADMIN", "Adá Admin", "Ada Adrnin", "\uff21da Admin"],
    ids=["cyrillic-a", "greek-capital-alpha", "accent", "rn-for-m", "fullwidth-A"],
)
def test_a_name_that_looks_like_a_staff_name_is_refused(hub: Hub, look_alike: str):
    learners.create_account(hub.db, "Ada Admin", Role.ADMIN, "admin-password")
    refused = "looks like the name of one of this hub's tutors or admins|already uses that name"
    with pytest.raises(LearnerError, match=refused):
        new_profile(hub, look_alike)
    with pytest.raises(LearnerError, match=refused):
        learners.create_account(hub.db, look_alike, Role.TUTOR, "tutor-password")
    assert [a.name for a in learners.list_accounts(hub.db)] == ["Ada Admin"]


def test_a_look_alike_of_a_staff_name_is_told_why(hub: Hub):
    learners.create_account(hub.db, "Tom Tutor", Role.TUTOR, "tutor-password")
    with pytest.raises(LearnerError, match="looks like the name of one of this hub's tutors or admins"):
        new_profile(hub, "Тоm Тutor")  # Cyrillic Т and о
    with pytest.raises(LearnerError, match="looks like the name of one of this hub's tutors or admins"):
        new_profile(hub, "Tom Tutоr")  # one Cyrillic о


def test_names_unlike_any_staff_name_are_welcome(hub: Hub):
    learners.create_account(hub.db, "Ada Admin", Role.ADMIN, "admin-password")
    for name in ("Ada", "Adam Admin", "Аня", "أمينة"):
        assert new_profile(hub, name).name == name


def test_the_upgrade_rekeys_names_stored_before(tmp_path):
    db = connect(tmp_path / "hub.db")
    for number, script in enumerate(MIGRATIONS[:9], start=1):
        db.conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    db.execute(
        "INSERT INTO learners (id, name, name_key, created_at) VALUES ('a', ?, ?, '2026-01-01')",
        [NFD, NFD.casefold()],
    )
    migrate(db)
    assert db.execute("SELECT name, name_key FROM learners").fetchone() == (NFC, learners.name_key(NFC))
