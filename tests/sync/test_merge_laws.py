"""The merge laws (DESIGN §7): any order, grouping or repetition of merges gives one state,
in the pure model and in the SQL that stores it."""

from __future__ import annotations

import random
from functools import reduce
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.db import transaction
from hub.home import Hub
from sync import store
from sync.merge import (
    Attempt,
    State,
    apply,
    attempt_change,
    change_learner,
    forget_change,
    lesson_change,
    merge,
    name_change,
    pin_change,
)
from sync.merge import LessonState as Lesson
from tests.sync.states import stored_state

stamps = st.sampled_from(["2026-01-01T00:00:00", "2026-02-01T00:00:00", "2026-03-01T00:00:00"])
learners = st.sampled_from(["ana", "bo", "chi"])
devices = st.sampled_from(["dev-a", "dev-b", "dev-c"])
keys = st.tuples(learners, st.sampled_from(["c1", "c2"]), st.sampled_from(["l1", "l2"]))
lessons = st.builds(
    Lesson,
    progress=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    completed_at=st.none() | stamps,
    last_opened_at=stamps,
    seconds=st.dictionaries(devices, st.integers(0, 500), max_size=2).map(lambda d: tuple(sorted(d.items()))),
)
attempts = st.builds(
    lambda learner, score, passed, created: Attempt(
        f"q-{learner}-{score}-{passed}-{created}", learner, "c1", "quiz", score, 3, passed, "[]", created
    ),  # an id names one row, as a uuid does in real use
    learners,
    st.integers(0, 3),
    st.booleans(),
    stamps,
)
namings = st.tuples(stamps, st.sampled_from(["Amina", "Bo", "Chidi"]))
states = st.builds(
    lambda ls, ats, gone, names, pins: merge(
        State(ls, {a.id: a for a in ats}, names=names, pins=pins), State(forgotten=frozenset(gone))
    ),
    st.dictionaries(keys, lessons, max_size=4),
    st.lists(attempts, max_size=2, unique_by=lambda a: a.id),
    st.sets(learners, max_size=1),
    st.dictionaries(learners, namings, max_size=2),
    st.dictionaries(learners, namings, max_size=2),
)


@given(states, states)
def test_merge_is_commutative(a: State, b: State):
    assert merge(a, b) == merge(b, a)


@given(states, states, states)
def test_merge_is_associative(a: State, b: State, c: State):
    assert merge(merge(a, b), c) == merge(a, merge(b, c))


@given(states)
def test_merge_is_idempotent(a: State):
    assert merge(a, a) == a


# A change is what one device writes. Device "dev-x" only ever raises its own time counter.
Key, Naming = tuple[str, str, str], tuple[str, str]


def _change(kind: str, key: Key, lesson: Lesson, attempt: Attempt, naming: Naming, device: str) -> dict:
    if kind == "name":
        return name_change(key[0], naming[1], naming[0])
    if kind == "pin":  # a PIN hash merges as a name does
        return pin_change(key[0], f"$argon2id$hash-of-{naming[1]}", naming[0])
    if kind == "forget":
        return forget_change(key[0])
    if kind == "attempt":
        return attempt_change(attempt)
    own = tuple((d, s) for d, s in lesson.seconds if d == device)
    return lesson_change(
        key, Lesson(lesson.progress, lesson.completed_at, lesson.last_opened_at, own), device
    )


changes = st.builds(
    lambda kind, key, lesson, attempt, naming, device: (
        device,
        _change(kind, key, lesson, attempt, naming, device),
    ),
    st.sampled_from(["lesson", "lesson", "lesson", "attempt", "name", "pin", "forget"]),
    keys,
    lessons,
    attempts,
    namings,
    devices,
)
batches = st.lists(st.lists(changes, max_size=6), min_size=1, max_size=4)


def _replay(batches: list[list[tuple[str, dict]]]) -> State:
    return reduce(lambda s, dc: apply(s, dc[1], dc[0]), (dc for batch in batches for dc in batch), State())


@given(batches, st.randoms(use_true_random=False))
def test_any_interleaving_and_duplication_of_batches_ends_in_the_same_state(batches, rnd: random.Random):
    """Batches delivered by HTTP pages or USB sticks, repeated and in any order, agree."""
    delivered = batches + [rnd.choice(batches) for _ in range(rnd.randint(0, 3))]
    rnd.shuffle(delivered)
    assert _replay(delivered) == _replay(batches)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches, st.randoms(use_true_random=False))
def test_the_stored_tables_follow_the_model(tmp_path_factory, batches, rnd: random.Random):
    """Receiving changes into SQLite, in any order and repeated, gives the model's state."""
    hub = Hub(Path(tmp_path_factory.mktemp("hub")))
    numbered = [
        (device, n, change) for n, (device, change) in enumerate((dc for b in batches for dc in b), 1)
    ]
    delivered = numbered + rnd.sample(numbered, min(3, len(numbered)))
    rnd.shuffle(delivered)
    with transaction(hub.db):
        for device, _, change in numbered:  # every device may write about every learner (test_ownership.py)
            hub.db.execute(
                "INSERT OR IGNORE INTO learner_writers VALUES (?, ?)", [change_learner(change), device]
            )
        for device, counter, change in delivered:
            store.receive(hub.db, device, counter, change, "unchecked here")
    expected = _replay(batches)
    assert stored_state(hub) == expected
