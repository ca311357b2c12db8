"""Many learners at once: a tutor pastes names (one a line) or uploads a CSV of her class list.

Each new learner gets a random 4-digit PIN. The batch is checked whole before anything is written,
every problem named with its line, and written in one transaction: all the learners, or none.
A file is refused on its size and its number of lines before a row of it is parsed, so a
100,000-row file costs one byte count. Names are kept as typed (a name starting with "=" too);
whatever writes them into a CSV later neutralises them (hub.coaching.spreadsheet).
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from hub import learners, names
from hub.coaching.classes import CoachingError
from hub.db import transaction
from hub.i18n import N_, gettext
from hub.library import now

MAX_ROWS = 500  # a batch is a class list; 500 PINs hashed take ~15 s here, a minute on a Pi
MAX_FILE_BYTES = 256 * 1024  # 500 rows of 40 four-byte characters and a few other columns
NAME_HEADERS = frozenset({"name", "nom", "nombre", "الاسم", "اسم"})
_LOOKUP_CHUNK = 400  # names per query, under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Entry:
    line: int
    name: str


@dataclass(frozen=True)
class NewLearner:
    id: str
    name: str
    pin: str

    @property
    def code(self) -> str:
        return learners.learner_code(self.id)


@dataclass(frozen=True)
class Problem:
    """What is wrong on one line; `existing_id` is the learner a taken name belongs to."""

    line: int
    message: str
    name: str
    existing_id: str | None = None
    first_line: int = 0  # for a name given twice: where it came first

    def translated(self) -> str:
        params = {"line": self.line, "name": self.name, "max": names.MAX_LENGTH, "first": self.first_line}
        return gettext(self.message) % params


class BatchRefused(CoachingError):
    """A batch with problems on some lines; nothing of it was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(N_("Nothing was created. Please correct these lines and try again."))
        self.problems = problems


TOO_MANY = N_("That is more than %(max)d names. Please split the list into batches of at most %(max)d.")
TOO_BIG = N_(
    "This file is too big for one class list (at most %(max)d names). Please split it into smaller files."
)
NOT_TEXT = N_(
    "This file is not a CSV text file. Save your list from the spreadsheet as “CSV UTF-8” and try again."
)


def _refuse_too_many_lines(data: bytes | str) -> None:
    newline, carriage = ("\n", "\r") if isinstance(data, str) else (b"\n", b"\r")
    if max(data.count(newline), data.count(carriage)) > MAX_ROWS + 1:  # type: ignore[arg-type]
        raise CoachingError(TOO_MANY, max=MAX_ROWS)


def entries_from_text(text: str) -> list[Entry]:
    """Pasted names, one a line; blank lines are skipped (a line of only invisible characters is not)."""
    _refuse_too_many_lines(text)
    return [Entry(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _delimiter(first_line: str) -> str:
    """A spreadsheet in French or Spanish saves CSV with semicolons; some save tabs."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def entries_from_csv(data: bytes) -> list[Entry]:
    """The names of a CSV file: its `name` column, or its only column (with or without a header)."""
    if len(data) > MAX_FILE_BYTES:
        raise CoachingError(TOO_BIG, max=MAX_ROWS)
    _refuse_too_many_lines(data)
    if b"\x00" in data:
        raise CoachingError(NOT_TEXT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CoachingError(NOT_TEXT) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error:
        raise CoachingError(NOT_TEXT) from None
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().casefold() for cell in rows[0][1]]
    column = next((i for i, cell in enumerate(header) if cell in NAME_HEADERS), None)
    if column is not None:
        rows = rows[1:]
    elif max(len(row) for _, row in rows) == 1:
        column = 0
    else:
        raise CoachingError(N_("This file has several columns and none is called “name”. Add that header."))
    return [Entry(line, row[column] if column < len(row) else "") for line, row in rows]


def _taken(db: Database, keys: list[str]) -> dict[str, str]:
    """The learners already using these name keys: key → id."""
    taken: dict[str, str] = {}
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        taken.update(
            db.execute(f"SELECT name_key, id FROM learners WHERE name_key IN ({marks})", chunk).fetchall()
        )
    return taken


def problems_in(db: Database, entries: list[Entry]) -> list[Problem]:
    """Every line that cannot become a learner, and why."""
    staff = [
        p[0] for p in db.execute("SELECT name FROM learners WHERE role IN ('tutor', 'admin')").fetchall()
    ]
    cleaned = [(e.line, names.clean(e.name)) for e in entries]
    taken = _taken(db, [names.key(name) for _, name in cleaned])
    first_line: dict[str, int] = {}
    problems = []
    for line, name in cleaned:
        key = names.key(name)
        if not name:
            problems.append(Problem(line, N_("Line %(line)d: the name is empty."), name))
        elif len(name) > names.MAX_LENGTH:
            problems.append(
                Problem(line, N_("Line %(line)d: “%(name)s” is longer than %(max)d characters."), name)
            )
        elif key in first_line:
            message = N_("Line %(line)d: “%(name)s” is already in this list, on line %(first)d.")
            problems.append(Problem(line, message, name, first_line=first_line[key]))
        elif key in taken:
            message = N_(
                "Line %(line)d: “%(name)s” already has a profile on this hub."
                " Add that learner instead, or add an initial to the name."
            )
            problems.append(Problem(line, message, name, taken[key]))
        elif any(names.looks_alike(name, member) for member in staff):
            message = N_(
                "Line %(line)d: “%(name)s” looks like the name of one of this hub's tutors or admins."
            )
            problems.append(Problem(line, message, name))
        first_line.setdefault(key, line)
    return problems


def new_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def create_batch(db: Database, class_id: int, entries: list[Entry]) -> list[NewLearner]:
    """Make a learner with a new PIN for every entry and put them in the class, all or none."""
    if not entries:
        raise CoachingError(N_("Paste at least one name, or choose a CSV file."))
    if len(entries) > MAX_ROWS:
        raise CoachingError(TOO_MANY, max=MAX_ROWS)
    problems = problems_in(db, entries)
    if problems:
        raise BatchRefused(problems)
    pins = [new_pin() for _ in entries]
    ids = [learners.new_learner_id() for _ in entries]
    hashes = [
        learners.pin_hash(i, pin) for i, pin in zip(ids, pins, strict=True)
    ]  # outside the lock: ~30 ms each
    with transaction(db):
        made = learners.insert_learners(db, list(zip(ids, [e.name for e in entries], hashes, strict=True)))
        db.conn.executemany(
            "INSERT INTO class_learners (class_id, learner_id, added_at) VALUES (?, ?, ?)",
            [(class_id, learner.id, now()) for learner in made],
        )
    return [NewLearner(learner.id, learner.name or "", pin) for learner, pin in zip(made, pins, strict=True)]
