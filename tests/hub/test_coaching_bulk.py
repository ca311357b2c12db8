"""Making many learners at once: every bad batch is refused with the line named, and changes nothing."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI

from hub import learners, passwords
from hub.coaching import bulk, classes, roster
from hub.coaching.bulk import BatchRefused, Entry
from hub.coaching.classes import CoachingError
from hub.coaching.spreadsheet import safe_cell
from hub.home import Hub
from hub.learners import Role


@pytest.fixture
def class_id(hub: Hub) -> int:
    tutor = learners.create_account(hub.db, "Tess Tutor", Role.TUTOR, "tutor-pass")
    return classes.create_class(hub.db, tutor, "Tuesday group", "en", "", ("en", "ar"))


def learner_rows(hub: Hub) -> list[tuple]:
    return hub.db.execute("SELECT id, name, pin_hash FROM learners ORDER BY id").fetchall()


def entries(*names: str) -> list[Entry]:
    return [Entry(line, name) for line, name in enumerate(names, start=1)]


def refusal(hub: Hub, class_id: int, batch: list[Entry]) -> list[str]:
    before = learner_rows(hub)
    with pytest.raises(BatchRefused) as refused:
        bulk.create_batch(hub.db, class_id, batch)
    assert learner_rows(hub) == before  # all or nothing: nothing
    assert roster.members(hub.db, class_id) == []
    return [p.translated() for p in refused.value.problems]


def test_a_batch_makes_every_learner_with_a_pin_that_signs_in(hub, class_id):
    made = bulk.create_batch(hub.db, class_id, entries("Amina Diallo", "فاطمة الزهراء", "Zoë 🌻", "=Ana"))
    assert [m.name for m in made] == ["Amina Diallo", "فاطمة الزهراء", "Zoë 🌻", "=Ana"]
    assert all(len(m.pin) == 4 and m.pin.isdigit() for m in made)
    assert sorted(m.name for m in roster.members(hub.db, class_id)) == sorted(m.name for m in made)
    arabic = made[1]
    assert learners.check_sign_in(hub.db, "فاطمة الزهراء", arabic.pin).id == arabic.id
    stored = hub.db.execute("SELECT pin_hash FROM learners WHERE id = ?", [arabic.id]).fetchone()[0]
    assert arabic.pin not in stored and passwords.verify(stored, arabic.pin)  # kept scrambled only


def test_empty_names_are_refused_naming_the_line(hub, class_id):
    problems = refusal(hub, class_id, entries("Ana", "\u200b\u200b", "Bea"))
    assert problems == ["Line 2: the name is empty."]


def test_duplicates_within_the_batch_are_refused(hub, class_id):
    problems = refusal(hub, class_id, entries("Ana Lopez", "Bea", "ana  LOPEZ"))
    assert problems == ["Line 3: “ana LOPEZ” is already in this list, on line 1."]


def test_a_name_already_on_the_hub_is_refused_and_points_to_its_learner(hub, class_id):
    existing = learners.create_account(hub.db, "Chen Wei", Role.LEARNER, "1234")
    before = learner_rows(hub)
    with pytest.raises(BatchRefused) as refused:
        bulk.create_batch(hub.db, class_id, entries("Dana", "chen wei"))
    (problem,) = refused.value.problems
    assert problem.line == 2 and problem.existing_id == existing.id
    assert "already has a profile on this hub" in problem.translated()
    assert learner_rows(hub) == before


def test_names_too_long_or_like_a_tutor_are_refused(hub, class_id):
    problems = refusal(hub, class_id, entries("x" * 41, "Tess Tutоr"))  # a Cyrillic о
    assert problems == [
        f"Line 1: “{'x' * 41}” is longer than 40 characters.",
        "Line 2: “Tess Tutоr” looks like the name of one of this hub's tutors or admins.",
    ]


def test_pasted_text_skips_blank_lines_and_numbers_the_rest():
    assert bulk.entries_from_text("Ana\n\n  \nBea\r\n") == [Entry(1, "Ana"), Entry(4, "Bea")]


def test_a_csv_gives_its_name_column_or_its_only_column():
    with_header = b"id;name;group\n1;Ana;A\n2;Bea;B\n"
    assert bulk.entries_from_csv(with_header) == [Entry(2, "Ana"), Entry(3, "Bea")]
    one_column = "\ufeffAna\nفاطمة\n".encode()
    assert bulk.entries_from_csv(one_column) == [Entry(1, "Ana"), Entry(2, "فاطمة")]
    with pytest.raises(CoachingError, match="none is called “name”"):
        bulk.entries_from_csv(b"first,last\nAna,Lopez\n")


def test_a_csv_row_with_an_empty_name_is_refused(hub, class_id):
    batch = bulk.entries_from_csv(b"name,group\nAna,A\n,B\n")
    assert refusal(hub, class_id, batch) == ["Line 3: the name is empty."]


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"Ana\n\xff\xfe\xfaBea\n"])
def test_a_binary_file_posing_as_csv_is_refused(data):
    with pytest.raises(CoachingError, match="not a CSV text file"):
        bulk.entries_from_csv(data)


def test_a_100000_row_file_is_refused_at_once_without_reading_its_rows():
    huge = b"name\n" + b"Somebody Else\n" * 100_000
    started = time.perf_counter()
    with pytest.raises(CoachingError, match="too big for one class list"):
        bulk.entries_from_csv(huge)
    small_but_long = b"name\n" + b"A\n" * (bulk.MAX_ROWS + 1)
    with pytest.raises(CoachingError, match="more than 500 names"):
        bulk.entries_from_csv(small_but_long)
    with pytest.raises(CoachingError, match="more than 500 names"):
        bulk.entries_from_text("A\n" * 100_000)
    assert time.perf_counter() - started < 5  # a bound for a hang, not a benchmark


def test_a_formula_name_is_kept_as_typed_and_neutralised_for_a_spreadsheet(hub, class_id):
    (made,) = bulk.create_batch(hub.db, class_id, entries('=HYPERLINK("http://x")'))
    assert made.name == '=HYPERLINK("http://x")'
    assert safe_cell(made.name) == '\'=HYPERLINK("http://x")'
    assert [safe_cell(t) for t in ("+1", "-1", "@a", "Ana")] == ["'+1", "'-1", "'@a", "Ana"]


def test_the_batch_route_refuses_bad_input_with_the_line_and_keeps_the_learners_table(app: FastAPI, hub: Hub):
    from tests.conftest import signed_in

    tutor = signed_in(hub, Role.TUTOR, app)
    page = tutor.post("/tutor/classes", data={"name": "Group", "language": "en"}, follow_redirects=False)
    url = page.headers["location"]
    before = learner_rows(hub)
    refused = tutor.post(f"{url}/learners/new", data={"names": "Ana\nAna\n"})
    assert refused.status_code == 400
    assert "Line 2: “Ana” is already in this list, on line 1." in refused.text
    assert "Ana\nAna" in refused.text  # what she pasted is still there to correct
    binary = tutor.post(f"{url}/learners/new", files={"file": ("list.csv", b"\x00\x01\x02PK", "text/csv")})
    assert binary.status_code == 400 and "not a CSV text file" in binary.text
    huge = tutor.post(f"{url}/learners/new", files={"file": ("list.csv", b"name\n" + b"Ana B\n" * 100_000)})
    assert huge.status_code == 400 and "too big for one class list" in huge.text
    empty = tutor.post(f"{url}/learners/new", data={"names": ""})
    assert empty.status_code == 400 and "Paste at least one name" in empty.text
    assert learner_rows(hub) == before


def test_the_batch_route_answers_with_the_cards_and_their_pins_once(app: FastAPI, hub: Hub):
    from tests.conftest import signed_in

    tutor = signed_in(hub, Role.TUTOR, app)
    url = tutor.post(
        "/tutor/classes", data={"name": "Group", "language": "en"}, follow_redirects=False
    ).headers["location"]
    csv_file = "name\nفاطمة الزهراء\nZoë 🌻\n".encode()
    made = tutor.post(f"{url}/learners/new", files={"file": ("list.csv", csv_file, "text/csv")})
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    assert made.text.count('class="signin-card"') == 2
    assert 'dir="auto">فاطمة الزهراء' in made.text
    pins = [p for p in made.text.split('class="card-pin"><span dir="ltr">')[1:]]
    assert len(pins) == 2 and all(p[:4].isdigit() for p in pins)
    again = tutor.get(f"{url}/cards")
    assert again.text.count('class="signin-card"') == 2
    assert "ask your tutor" in again.text and 'class="card-pin"><span' not in again.text
