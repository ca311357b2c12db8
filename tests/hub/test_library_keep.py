"""Removing courses: blobs go only when no course uses them, records stay, sizes are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.blobs import blob_relpath, hash_file
from content.errors import ContentError
from hub import blob_refs, library_keep, progress
from hub.home import Hub
from hub.library import import_package
from tests.conftest import SAMPLE_COURSE, write_course

VIDEO = b"\x00\x00\x00\x18ftypmp42 a video both courses show" * 1000


def two_courses(root: Path) -> tuple[Path, Path]:
    """Two courses showing the same video (one blob), each with its own captions and text."""
    first = write_course(root / "first", **{"media/clip.mp4": VIDEO})
    second = write_course(
        root / "second",
        **{
            "course.toml": SAMPLE_COURSE["course.toml"].replace("sample-course", "second-course"),
            "media/clip.mp4": VIDEO,
            "media/clip.en.vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nOther captions\n",
        },
    )
    return first, second


def blob_files(hub: Hub) -> set[str]:
    """The blobs on disk, read from the blob folder itself."""
    return {path.name for path in (hub.home / "blobs" / "sha256").glob("*/*") if path.is_file()}


def test_two_courses_sharing_a_video_free_it_only_when_both_are_gone(hub: Hub, tmp_path: Path):
    first, second = two_courses(tmp_path)
    import_package(hub.db, hub.blobs, first, allow_unverified=True)
    import_package(hub.db, hub.blobs, second, allow_unverified=True)
    video = hash_file(first / "media" / "clip.mp4")[0]
    own_captions = hash_file(first / "media" / "clip.en.vtt")[0]
    before = blob_files(hub)
    assert video in before and own_captions in before
    assert hub.db.execute("SELECT users FROM files WHERE sha256 = ?", [video]).fetchone()[0] == 2

    plan = library_keep.removal_plan(hub.db, "sample-course")
    assert (
        plan is not None
        and plan.shared_bytes == len(VIDEO)
        and plan.frees_bytes == plan.size_bytes - len(VIDEO)
    )

    removed = library_keep.remove_course(hub.db, hub.blobs, "sample-course")
    assert removed is not None and removed.freed_bytes == plan.frees_bytes == removed.deleted_bytes
    after_one = blob_files(hub)
    assert video in after_one, "the other course still shows the video"
    assert own_captions not in after_one, "the removed course's own captions are gone"
    assert hub.blobs.has(video) and hub.course("second-course") is not None

    removed = library_keep.remove_course(hub.db, hub.blobs, "second-course")
    assert removed is not None and removed.freed_bytes >= len(VIDEO)
    assert blob_files(hub) == set(), "removing both frees every blob"
    assert hub.db.execute("SELECT count(*) FROM files").fetchone()[0] == 0
    assert hub.db.execute("SELECT count(*) FROM course_files").fetchone()[0] == 0
    assert blob_refs.library_bytes(hub.db) == 0


def test_sizes_count_shared_media_once(hub: Hub, tmp_path: Path):
    first, second = two_courses(tmp_path)
    import_package(hub.db, hub.blobs, first, allow_unverified=True)
    alone = library_keep.storage(hub.db, hub.home)
    assert alone.courses[0].shared_bytes == 0
    import_package(hub.db, hub.blobs, second, allow_unverified=True)
    view = library_keep.storage(hub.db, hub.home)
    assert {c.id: c.shared_bytes for c in view.courses} == {
        "sample-course": len(VIDEO),
        "second-course": len(VIDEO),
    }
    on_disk = sum((hub.home / blob_relpath(name)).stat().st_size for name in blob_files(hub))
    assert view.library_bytes == on_disk  # the video counted once
    assert sum(c.size_bytes for c in view.courses) == on_disk + len(VIDEO)


def test_learners_records_stay_and_name_the_removed_course(hub: Hub, course_folder: Path):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    progress.record(hub.db, "learner-1", "sample-course", "read-me", 1.0)
    library_keep.remove_course(hub.db, hub.blobs, "sample-course")
    assert (
        hub.db.execute("SELECT count(*) FROM progress WHERE course_id = 'sample-course'").fetchone()[0] == 1
    )
    assert library_keep.removed_titles(hub.db, ["sample-course", "other"]) == {
        "sample-course": "Sample course"
    }
    assert hub.courses() == [] and hub.course("sample-course") is None
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)  # it may come back
    assert library_keep.removed_titles(hub.db, ["sample-course"]) == {}


def test_removing_what_is_not_there_changes_nothing(hub: Hub):
    assert library_keep.remove_course(hub.db, hub.blobs, "no-such-course") is None
    assert library_keep.removal_plan(hub.db, "no-such-course") is None


def test_a_cut_after_the_commit_leaves_the_blobs_listed_and_the_next_sweep_deletes_them(
    hub: Hub, course_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    monkeypatch.setattr(library_keep, "sweep_freed", lambda db, blobs, progress=None: 0)  # the power cut
    library_keep.remove_course(hub.db, hub.blobs, "sample-course")
    left = blob_files(hub)
    assert left and hub.db.execute("SELECT count(*) FROM freed_blobs").fetchone()[0] == len(left)
    monkeypatch.undo()
    assert library_keep.sweep_freed(hub.db, hub.blobs) > 0
    assert blob_files(hub) == set()


def test_a_blob_taken_up_again_before_the_sweep_stays(
    hub: Hub, course_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    monkeypatch.setattr(library_keep, "sweep_freed", lambda db, blobs, progress=None: 0)
    library_keep.remove_course(hub.db, hub.blobs, "sample-course")
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)  # imported again meanwhile
    monkeypatch.undo()
    assert library_keep.sweep_freed(hub.db, hub.blobs) == 0
    assert all(
        hub.blobs.has(ref.sha256) for lesson in hub.course("sample-course").lessons for ref in lesson.files()
    )  # type: ignore[union-attr]


def test_an_import_whose_blob_was_deleted_meanwhile_is_refused_whole(
    hub: Hub, course_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    from hub import library

    real = library._copy_blobs

    def copy_then_lose_one(*args):  # type: ignore[no-untyped-def]
        real(*args)
        next(iter((hub.home / "blobs" / "sha256").glob("*/*"))).unlink()  # a removal's sweep, just then

    monkeypatch.setattr(library, "_copy_blobs", copy_then_lose_one)
    with pytest.raises(ContentError, match="deleted while it was imported"):
        import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    assert hub.courses() == []


def test_an_update_frees_the_files_the_old_version_used(hub: Hub, tmp_path: Path):
    v1 = write_course(tmp_path / "v1")
    v2 = write_course(
        tmp_path / "v2",
        **{
            "course.toml": SAMPLE_COURSE["course.toml"].replace("version = 1", "version = 2"),
            "media/clip.mp4": b"\x00\x00\x00\x18ftypmp42 a newer clip",
        },
    )
    import_package(hub.db, hub.blobs, v1, allow_unverified=True)
    old_clip = hash_file(v1 / "media" / "clip.mp4")[0]
    import_package(hub.db, hub.blobs, v2, allow_unverified=True)
    library_keep.sweep_freed(hub.db, hub.blobs)
    assert not hub.blobs.has(old_clip)
    assert library_keep.storage(hub.db, hub.home).courses[0].size_bytes == sum(
        (hub.home / blob_relpath(name)).stat().st_size for name in blob_files(hub)
    )


def test_courses_imported_before_counting_are_counted_from_their_manifests(hub: Hub, tmp_path: Path):
    first, second = two_courses(tmp_path)
    import_package(hub.db, hub.blobs, first, allow_unverified=True)
    import_package(hub.db, hub.blobs, second, allow_unverified=True)
    # As an older hub left them: no counts at all.
    hub.db.execute("DELETE FROM course_files")
    hub.db.execute("UPDATE files SET users = 0")
    hub.db.execute("UPDATE courses SET size_bytes = NULL, shared_bytes = 0")
    video = hash_file(first / "media" / "clip.mp4")[0]
    library_keep.remove_course(hub.db, hub.blobs, "sample-course")
    assert hub.blobs.has(video)
    assert library_keep.storage(hub.db, hub.home).courses[0].shared_bytes == 0


def test_room_refusal_says_what_is_needed_and_what_is_free():
    assert library_keep.room_refusal("This course", 10, 10 * 1024**3) is None
    refusal = library_keep.room_refusal("This course", int(1.2 * 1024**3), 300 * 1024**2)
    assert refusal is not None and refusal.startswith("This course needs 1.2 GB; the hub has 300.0 MB free")
