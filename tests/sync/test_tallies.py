"""The report aggregates kept at ingest (sync/tallies.py) equal a recomputation from scratch.

The oracle is the report's old queries, which scanned the change log and the progress rows.
Seeded random mixes of lesson, quiz attempt, name and forget changes from several hubs arrive in
any order, some twice; the aggregates must then give exactly what the old queries give, and the
migration that fills the aggregates on upgrade must give the same again.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from hub.db import MIGRATIONS, transaction
from hub.home import Hub
from hub.plugins.sync import overview
from sync import ownership, storage, store
from sync.device import load_or_create
from sync.merge import forget_change, handover_change
from sync.storage import SyncDatabase
from tests.sync.test_http_api import _publish

COURSES = ("sample-course", "not-held-here")  # the centre holds the first (3 lessons), not the second
LESSONS = ("read-me", "watch", "check", "extra")
ALL_ROWS = str(10**6)  # a page number past the end: the last page, which with few rows is the only one

# --- the oracle: the report's queries before the aggregates --------------------------------------

_SYNCED_LEARNERS = """
WITH synced AS (SELECT DISTINCT device_id, learner_id FROM changes
                WHERE device_id != :own AND kind IN ('lesson', 'attempt'))
"""

_OLD_PER_COURSE = """
, done AS (SELECT p.course_id, p.learner_id, count(p.completed_at) AS finished
           FROM progress p JOIN synced s ON s.learner_id = p.learner_id
           GROUP BY p.course_id, p.learner_id)
, best AS (SELECT q.course_id, max(CAST(q.score AS DOUBLE PRECISION) / q.total) AS score
           FROM quiz_attempts q JOIN synced s ON s.learner_id = q.learner_id WHERE q.total > 0
           GROUP BY q.course_id, q.learner_id, q.lesson_id)
SELECT d.course_id, coalesce(c.title, d.course_id), c.language, count(*),
       CASE WHEN c.id IS NULL THEN NULL
            ELSE sum(CASE WHEN d.finished >= c.lesson_count THEN 1 ELSE 0 END) END,
       (SELECT avg(score) FROM best b WHERE b.course_id = d.course_id)
FROM done d LEFT JOIN courses c ON c.id = d.course_id
GROUP BY d.course_id, c.id, c.title, c.language, c.lesson_count
ORDER BY lower(coalesce(c.title, d.course_id)), d.course_id
"""

_OLD_PER_HUB = """
, writers AS (SELECT device_id FROM synced UNION SELECT device_id FROM sync_hubs)
, finished AS (SELECT p.learner_id, p.course_id, count(p.completed_at) AS lessons,
                      CASE WHEN count(p.completed_at) >= c.lesson_count THEN 1 ELSE 0 END AS course_done
               FROM progress p JOIN courses c ON c.id = p.course_id
               GROUP BY p.learner_id, p.course_id, c.lesson_count)
SELECT w.device_id, h.name, h.last_seen_at,
       (SELECT count(*) FROM synced s WHERE s.device_id = w.device_id),
       (SELECT count(*) FROM progress p JOIN synced s ON s.learner_id = p.learner_id
        WHERE s.device_id = w.device_id AND p.completed_at IS NOT NULL),
       (SELECT coalesce(sum(f.course_done), 0) FROM finished f JOIN synced s
        ON s.learner_id = f.learner_id WHERE s.device_id = w.device_id)
FROM writers w LEFT JOIN sync_hubs h ON h.device_id = w.device_id
ORDER BY h.name IS NULL, lower(h.name), w.device_id
"""

_OLD_NAMED = """
SELECT n.name, coalesce(h.name, s.device_id),
       (SELECT count(*) FROM progress p WHERE p.learner_id = n.learner_id),
       (SELECT count(completed_at) FROM progress p WHERE p.learner_id = n.learner_id)
FROM learner_names n JOIN synced s ON s.learner_id = n.learner_id
LEFT JOIN sync_hubs h ON h.device_id = s.device_id
"""


def recomputed(db: SyncDatabase, own: str) -> tuple[list[Any], list[Any], list[Any]]:
    """The report from scratch, as the old queries made it (bench/tallies compares their time too)."""
    mine = {"own": own}
    courses = [(*r[:5], _rounded(r[5])) for r in db.execute(_SYNCED_LEARNERS + _OLD_PER_COURSE, mine)]
    hubs = [tuple(r) for r in db.execute(_SYNCED_LEARNERS + _OLD_PER_HUB, mine)]
    named = sorted(tuple(r) for r in db.execute(_SYNCED_LEARNERS + _OLD_NAMED, mine))
    return courses, hubs, named


def _recomputed(hub: Hub) -> tuple[list[Any], list[Any], list[Any]]:
    return recomputed(hub.sync_db_with_library(), hub.device.id)


def _reported(hub: Hub) -> tuple[list[Any], list[Any], list[Any]]:
    own, db = hub.device.id, hub.sync_db_with_library()
    courses = [
        (c.course_id, c.title, c.language, c.started, c.completed, _rounded(c.average_score))
        for c in overview.per_course(db, own, ALL_ROWS).rows
    ]
    hubs = [tuple(vars(h).values()) for h in overview.per_hub(db, own, ALL_ROWS).rows]
    shown = overview.named_learners(db, own, ALL_ROWS)
    named = sorted(tuple(vars(n).values()) for n in shown.rows)
    assert shown.total == len(shown.rows)  # the count kept at ingest, against the rows themselves
    return courses, hubs, named


def _rounded(score: float | None) -> float | None:
    """Sums kept by delta may differ from a fresh average in the last bits of a float."""
    return None if score is None else round(score, 9)


# --- a random mix of what hubs send ----------------------------------------------------------------


def _stream(rng: random.Random, device: str, learners: list[str]) -> list[dict[str, Any]]:
    """What one hub writes, in its order: lesson progress, quiz attempts, names, and forgets
    (after which the hub writes nothing more about that learner)."""
    changes: list[dict[str, Any]] = []
    alive = list(learners)
    for step in range(rng.randint(20, 60)):
        if not alive:
            break
        learner, course, lesson = rng.choice(alive), rng.choice(COURSES), rng.choice(LESSONS)
        moment = f"2026-01-{rng.randint(1, 28):02d}T10:00:00+00:00"
        roll = rng.random()
        if roll < 0.5:
            completed = moment if rng.random() < 0.5 else None
            changes.append({"kind": "lesson", "learner": learner, "course": course, "lesson": lesson,
                            "progress": rng.choice((0.2, 0.5, 1.0)), "completed_at": completed,
                            "opened_at": moment})  # fmt: skip
        elif roll < 0.8:
            total = rng.choice((0, 2, 3, 4))
            changes.append({"kind": "attempt", "id": f"{device}-attempt-{step}", "learner_id": learner,
                            "course_id": course, "lesson_id": lesson, "score": rng.randint(0, total),
                            "total": total, "passed": False, "answers": "[]",
                            "created_at": moment})  # fmt: skip
        elif roll < 0.9:
            changes.append({"kind": "name", "learner": learner, "name": f"Name {rng.randint(1, 5)}",
                            "named_at": moment})  # fmt: skip
        else:
            changes.append(forget_change(learner))
            alive.remove(learner)
    return changes


def _deliver_in_any_order_with_repeats(hub: Hub, rng: random.Random, devices: list[str]) -> None:
    sent = [
        (device, counter, change)
        for device in devices
        for counter, change in enumerate(_stream(rng, device, [f"{device}-learner-{i}" for i in range(6)]), 1)
    ]
    sent += rng.sample(sent, len(sent) // 4)  # repeats
    rng.shuffle(sent)
    with transaction(hub.sync_db):
        for device, counter, change in sent:
            store.receive(hub.sync_db, device, counter, change, f"signature-{device}-{counter}")


@pytest.fixture
def holding(centre: Hub, tmp_path: Path) -> Hub:
    """The centre (tests/sync/conftest.py), holding the sample course."""
    _publish(centre, tmp_path)
    return centre


def _name_hubs(hub: Hub, devices: list[str]) -> None:
    """Enrol all but the last hub (that one is known only by the progress a stick brought)."""
    for number, device in enumerate(devices[:-1]):
        hub.sync_db.execute(
            "INSERT INTO sync_hubs (device_id, public_key, name, enrolled_at, last_seen_at)"
            " VALUES (?, 'key', ?, '2026-01-01', '2026-01-02')",
            [device, f"Hub {'CbaD'[number]}"],
        )


@pytest.mark.parametrize("seed", range(6))
def test_aggregates_equal_a_recomputation_whatever_the_order_repeats_and_forgets(
    holding: Hub, seed: int
) -> None:
    centre = holding
    rng = random.Random(seed)
    devices = [f"hub{n}" for n in range(4)]
    _name_hubs(centre, devices)
    with transaction(centre.sync_db):  # the centre's own learner: never in the report
        store.record(centre.sync_db, {"kind": "lesson", "learner": "centre-learner", "course": COURSES[0],
                                 "lesson": "read-me", "progress": 1.0, "completed_at": "2026-01-01",
                                 "opened_at": "2026-01-01"})  # fmt: skip

    _deliver_in_any_order_with_repeats(centre, rng, devices)

    reported = _reported(centre)
    assert reported == _recomputed(centre)
    assert reported[0] and reported[2], "the mix should leave courses and named learners to compare"


def test_the_upgrade_fills_the_aggregates_as_ingest_keeps_them(holding: Hub) -> None:
    centre = holding
    if storage.dialect(centre.sync_db) == "postgresql":
        pytest.skip("the upgrade is SQLite's migration 15: a centre on PostgreSQL makes its tables anew")
    devices = [f"hub{n}" for n in range(3)]
    _name_hubs(centre, devices)
    _deliver_in_any_order_with_repeats(centre, random.Random(7), devices)
    kept = _reported(centre)
    [fill] = [script for script in MIGRATIONS if "CREATE TABLE tally_learners" in script]
    tables = [
        r[0] for r in centre.sync_db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'tally_%'")
    ]
    with transaction(centre.sync_db):
        for table in tables:
            centre.sync_db.execute(f"DROP TABLE IF EXISTS {table}")  # its indexes go with it
    centre.sync_db.conn.executescript(fill)

    assert _reported(centre) == kept == _recomputed(centre)


def test_a_handed_over_learner_counts_once_at_her_new_hub_whatever_the_order(
    holding: Hub, tmp_path: Path
) -> None:
    centre = holding
    giver, taker = load_or_create(tmp_path / "giver"), load_or_create(tmp_path / "taker")
    for device in (giver, taker):
        centre.sync_db.execute(
            "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, NULL, '2026')",
            [device.id, device.public_key],
        )
    proof = ownership.handover_proof(giver, "moving-learner", taker.id)
    lesson = {"kind": "lesson", "learner": "moving-learner", "course": COURSES[0], "lesson": "read-me",
              "progress": 1.0, "completed_at": "2026-01-01", "opened_at": "2026-01-01"}  # fmt: skip
    sent = [
        (giver.id, 1, lesson),
        (taker.id, 1, handover_change("moving-learner", giver.id, taker.id, proof)),
        (taker.id, 2, lesson | {"lesson": "watch"}),
    ]
    seen = []
    for order in ((0, 1, 2), (1, 2, 0), (1, 0, 2)):
        with transaction(centre.sync_db):
            for index in order:
                store.receive(centre.sync_db, *sent[index], f"signature-{index}")
        hubs = overview.per_hub(centre.sync_db, centre.device.id).rows
        seen.append([(h.device_id, h.learners, h.lessons_completed) for h in hubs])
        with transaction(centre.sync_db):
            store.receive(centre.sync_db, taker.id, 10 + len(seen), forget_change("moving-learner"), "x")
        centre.sync_db.execute("DELETE FROM forgotten_learners")
        centre.sync_db.execute("DELETE FROM changes")
        centre.sync_db.execute("DELETE FROM learner_writers")
    assert seen == [[(taker.id, 1, 2)]] * 3
