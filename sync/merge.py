"""The progress merge model (DESIGN §7): state that every hub can merge in any order.

A hub's progress is a join-semilattice: merging two states takes, per (learner, course,
lesson), the highest progress fraction, the earliest completion, the latest opening and,
per device, the highest time-spent counter (each device only ever raises its own counter,
so the sum over devices is the time spent everywhere). Quiz attempts are immutable rows
with unique ids, kept as a grow-only set. A forgotten learner (deleted for privacy) is a
grow-only set of tombstones that wins over everything stored about them, so no peer can
bring deleted progress back. A learner's name (shared only by a hub set to share named
profiles, see sync/share.py) is the one written last: (named_at, name) taken at its maximum.

Every change a device writes is a small state of its own (a delta), so applying a change
is merging it in: batches of changes can arrive repeated, interleaved or out of order and
still give one result. These functions are pure; hub and sync storage follow them in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LessonKey = tuple[str, str, str]  # (learner_id, course_id, lesson_id)


def _earliest(a: str | None, b: str | None) -> str | None:
    return min(x for x in (a, b) if x is not None) if (a or b) else None


@dataclass(frozen=True)
class LessonState:
    """One learner's progress in one lesson; `seconds` maps device id → time spent there."""

    progress: float
    completed_at: str | None
    last_opened_at: str
    seconds: tuple[tuple[str, int], ...] = ()

    @property
    def total_seconds(self) -> int:
        return sum(s for _, s in self.seconds)


def merge_lesson(a: LessonState, b: LessonState) -> LessonState:
    counters = dict(a.seconds)
    for device, seconds in b.seconds:
        counters[device] = max(counters.get(device, 0), seconds)
    return LessonState(
        max(a.progress, b.progress),
        _earliest(a.completed_at, b.completed_at),
        max(a.last_opened_at, b.last_opened_at),
        tuple(sorted(counters.items())),
    )


@dataclass(frozen=True)
class Attempt:
    """A graded quiz attempt; never changed once written.

    Its id is unique (a uuid the writing device makes, or one derived from another id), so
    two attempts with one id are the same row and the set of attempts is a plain union.
    """

    id: str
    learner_id: str
    course_id: str
    lesson_id: str
    score: int
    total: int
    passed: bool
    answers: str  # JSON list of the answers given, as stored
    created_at: str


Naming = tuple[str, str]  # (named_at, name): the later naming wins, the name breaks a tie
Pinning = tuple[str, str]  # (set_at, pin_hash): the same law for the PIN hash of a named profile


@dataclass(frozen=True)
class State:
    lessons: dict[LessonKey, LessonState] = field(default_factory=dict)
    attempts: dict[str, Attempt] = field(default_factory=dict)
    forgotten: frozenset[str] = frozenset()
    names: dict[str, Naming] = field(default_factory=dict)  # learner id → its latest naming
    pins: dict[str, Pinning] = field(default_factory=dict)  # learner id → her latest PIN hash


def merge(a: State, b: State) -> State:
    """The least state that holds everything `a` and `b` hold."""
    forgotten = a.forgotten | b.forgotten
    lessons = dict(a.lessons)
    for key, lesson in b.lessons.items():
        lessons[key] = merge_lesson(lessons[key], lesson) if key in lessons else lesson
    attempts = {**b.attempts, **a.attempts}
    names, pins = _latest(a.names, b.names, forgotten), _latest(a.pins, b.pins, forgotten)
    return State(
        {k: v for k, v in lessons.items() if k[0] not in forgotten},
        {k: v for k, v in attempts.items() if v.learner_id not in forgotten},
        forgotten,
        names,
        pins,
    )


def _latest(a: dict[str, Naming], b: dict[str, Naming], forgotten: frozenset[str]) -> dict[str, Naming]:
    """Per learner, the later of two (time, value) pairs, the value breaking a tie."""
    latest = dict(a)
    for learner, pair in b.items():
        latest[learner] = max(latest.get(learner, pair), pair)
    return {k: v for k, v in latest.items() if k not in forgotten}


# Changes: what one device wrote, as plain JSON-able dicts (the lines of a change log).


def lesson_change(key: LessonKey, state: LessonState, device_id: str) -> dict[str, Any]:
    """A change a device writes about a lesson: its view, with its own time counter only."""
    own = dict(state.seconds).get(device_id)
    change = {
        "kind": "lesson",
        "learner": key[0],
        "course": key[1],
        "lesson": key[2],
        "progress": state.progress,
        "completed_at": state.completed_at,
        "opened_at": state.last_opened_at,
    }
    return change | ({"seconds": own} if own is not None else {})


def attempt_change(attempt: Attempt) -> dict[str, Any]:
    return {"kind": "attempt", **attempt.__dict__}


def forget_change(learner_id: str) -> dict[str, Any]:
    return {"kind": "forget", "learner": learner_id}


def name_change(learner_id: str, name: str, named_at: str) -> dict[str, Any]:
    return {"kind": "name", "learner": learner_id, "name": name, "named_at": named_at}


def pin_change(learner_id: str, pin_hash: str, set_at: str) -> dict[str, Any]:
    """The PIN hash of a named profile, salted from her card's code (sync/codes.py), so a hub she is
    brought to can check her PIN."""
    return {"kind": "pin", "learner": learner_id, "pin_hash": pin_hash, "set_at": set_at}


def handover_change(learner_id: str, giver: str, to: str, proof: str) -> dict[str, Any]:
    """Device `to` takes over writing about a learner, with `giver`'s signed consent (sync/ownership.py)."""
    return {"kind": "handover", "learner": learner_id, "from": giver, "to": to, "proof": proof}


def change_learner(change: dict[str, Any]) -> str:
    return change["learner_id"] if change["kind"] == "attempt" else change["learner"]


def as_state(change: dict[str, Any], device_id: str) -> State:
    """The state a change written by `device_id` stands for."""
    kind = change["kind"]
    if kind == "lesson":
        key = (change["learner"], change["course"], change["lesson"])
        seconds = ((device_id, change["seconds"]),) if "seconds" in change else ()
        lesson = LessonState(change["progress"], change["completed_at"], change["opened_at"], seconds)
        return State(lessons={key: lesson})
    if kind == "attempt":
        attempt = Attempt(**{k: v for k, v in change.items() if k != "kind"})
        return State(attempts={attempt.id: attempt})
    if kind == "forget":
        return State(forgotten=frozenset({change["learner"]}))
    if kind == "name":
        return State(names={change["learner"]: (change["named_at"], change["name"])})
    if kind == "pin":
        return State(pins={change["learner"]: (change["set_at"], change["pin_hash"])})
    if kind == "handover":  # says who may write about a learner (sync/ownership.py), holds no progress
        return State()
    raise ValueError(f"unknown change kind {kind!r}")


def apply(state: State, change: dict[str, Any], device_id: str) -> State:
    return merge(state, as_state(change, device_id))


_TEXT, _NUMBER, _COUNT = (str,), (int, float), (int,)
_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "lesson": {"learner": _TEXT, "course": _TEXT, "lesson": _TEXT, "progress": _NUMBER,
               "completed_at": (str, type(None)), "opened_at": _TEXT},
    "attempt": {"id": _TEXT, "learner_id": _TEXT, "course_id": _TEXT, "lesson_id": _TEXT, "score": _COUNT,
                "total": _COUNT, "passed": (bool,), "answers": _TEXT, "created_at": _TEXT},
    "forget": {"learner": _TEXT},
    "name": {"learner": _TEXT, "name": _TEXT, "named_at": _TEXT},
    "pin": {"learner": _TEXT, "pin_hash": _TEXT, "set_at": _TEXT},
    "handover": {"learner": _TEXT, "from": _TEXT, "to": _TEXT, "proof": _TEXT},
}  # fmt: skip


MAX_TEXT = 512  # ids, times and names; a change's quiz answers may be longer
MAX_ANSWERS = 64 * 1024
MAX_COUNT = 2**53  # counts beyond what any learner reaches, and beyond SQLite's integers, are refused


def _fits(key: str, value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= (MAX_ANSWERS if key == "answers" else MAX_TEXT)
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 <= value < MAX_COUNT
    return True


def is_change(change: object) -> bool:
    """Whether `change` is a well-formed change this version understands (from a peer, say): the
    fields its kind has, of their types, and of sizes a real change has."""
    if not isinstance(change, dict) or change.get("kind") not in _FIELDS:
        return False
    fields = _FIELDS[change["kind"]]
    optional = {"seconds"} if change["kind"] == "lesson" else set()
    if not set(fields) <= change.keys() <= set(fields) | optional | {"kind"}:
        return False
    if not all(isinstance(change[k], t) and not (isinstance(change[k], bool) and bool not in t)
               for k, t in fields.items()):  # fmt: skip
        return False
    if not all(_fits(key, value) for key, value in change.items() if key != "kind"):
        return False
    if change["kind"] == "lesson":
        seconds = change.get("seconds", 0)
        return 0 <= change["progress"] <= 1 and isinstance(seconds, int) and not isinstance(seconds, bool)
    return True
