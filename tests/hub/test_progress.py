from hub import progress
from hub.home import Hub
from sync.merge import LessonState, merge_lesson


def test_progress_only_grows_and_completion_keeps_its_first_time(hub: Hub):
    progress.record(hub.db, "L", "c", "l", 1.0)
    first = progress.for_course(hub.db, "L", "c")["l"]
    progress.record(hub.db, "L", "c", "l", 0.2)
    again = progress.for_course(hub.db, "L", "c")["l"]
    assert again.progress == 1.0
    assert again.completed_at == first.completed_at
    assert again.done


def test_sql_upsert_agrees_with_merge(hub: Hub):
    progress.record(hub.db, "L", "c", "l", 0.4, seconds=30)
    a = progress.for_course(hub.db, "L", "c")["l"]
    progress.record(hub.db, "L", "c", "l", 0.7, seconds=15)
    b = progress.for_course(hub.db, "L", "c")["l"]
    own = hub.device.id
    expected = merge_lesson(
        LessonState(a.progress, a.completed_at, a.last_opened_at, ((own, 30),)),
        LessonState(0.7, None, b.last_opened_at, ((own, 45),)),
    )
    assert b == progress.LessonProgress(
        expected.progress, expected.completed_at, expected.last_opened_at, expected.total_seconds
    )


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
