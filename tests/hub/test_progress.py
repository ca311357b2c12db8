from hypothesis import given
from hypothesis import strategies as st

from hub import progress
from hub.home import Hub
from hub.progress import LessonProgress, merge

stamps = st.sampled_from(["2026-01-01T00:00:00", "2026-02-01T00:00:00", "2026-03-01T00:00:00"])
states = st.builds(
    LessonProgress,
    progress=st.floats(0, 1),
    completed_at=st.none() | stamps,
    last_opened_at=stamps,
)


@given(states, states)
def test_merge_is_commutative(a: LessonProgress, b: LessonProgress):
    assert merge(a, b) == merge(b, a)


@given(states, states, states)
def test_merge_is_associative(a: LessonProgress, b: LessonProgress, c: LessonProgress):
    assert merge(merge(a, b), c) == merge(a, merge(b, c))


@given(states)
def test_merge_is_idempotent(a: LessonProgress):
    assert merge(a, a) == a


def test_progress_only_grows_and_completion_keeps_its_first_time(hub: Hub):
    progress.record(hub.db, "L", "c", "l", 1.0)
    first = progress.for_course(hub.db, "L", "c")["l"]
    progress.record(hub.db, "L", "c", "l", 0.2)
    again = progress.for_course(hub.db, "L", "c")["l"]
    assert again.progress == 1.0
    assert again.completed_at == first.completed_at
    assert again.done


def test_sql_upsert_agrees_with_merge(hub: Hub):
    progress.record(hub.db, "L", "c", "l", 0.4)
    a = progress.for_course(hub.db, "L", "c")["l"]
    progress.record(hub.db, "L", "c", "l", 0.7)
    b = progress.for_course(hub.db, "L", "c")["l"]
    assert b == merge(a, LessonProgress(0.7, None, b.last_opened_at))


def test_progress_is_clamped(hub: Hub):
    progress.record(hub.db, "L", "c", "l", 7)
    assert progress.for_course(hub.db, "L", "c")["l"].progress == 1.0


def test_recent_courses_lists_the_last_opened_first(hub: Hub):
    hub.db.execute(
        "INSERT INTO progress VALUES ('L', 'old', 'a', 1, '2026-01-01', '2026-01-01'),"
        " ('L', 'new', 'b', 0, NULL, '2026-03-01'), ('L', 'new', 'c', 1, '2026-02-01', '2026-02-01')"
    )
    recent = progress.recent_courses(hub.db, "L")
    assert [(r.course_id, r.lessons_done, r.last_lesson_id) for r in recent] == [
        ("new", 1, "b"),
        ("old", 1, "a"),
    ]


def test_moving_progress_merges_into_the_profile(hub: Hub):
    progress.record(hub.db, "guest", "c", "a", 1.0)
    progress.record(hub.db, "guest", "c", "b", 0.3)
    progress.record(hub.db, "profile", "c", "b", 0.6)
    progress.move_progress(hub.db, "guest", "profile")
    mine = progress.for_course(hub.db, "profile", "c")
    assert mine["a"].done
    assert mine["b"].progress == 0.6
    assert progress.for_course(hub.db, "guest", "c") == {}
