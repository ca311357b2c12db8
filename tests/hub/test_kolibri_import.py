"""Issue 15, Kolibri channels: a KOLIBRI_DATA drive becomes courses, a pathway and lessons; what
cannot come is listed with its reason; bad databases and files are refused with nothing imported.

The fixture channel (tests/fixtures/kolibri) was made with Kolibri 0.19.5's own export schema by
make_channel.py beside it. Each test works on a copy, so the fixture itself is never changed.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from content.errors import ContentError
from content.model import Lesson
from content.package import build_package
from hub import imports, jobs, library
from hub.home import Hub
from hub.learners import Role
from hub.pathways import list_pathways, put_imported_pathway
from hub.plugins.imports import import_job
from tests.conftest import SAMPLE_COURSE, run_hub, write_course
from tests.hub.test_imports import CSRF, client_for

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "kolibri" / "KOLIBRI_DATA"
CHANNEL = "c0ffee00c0ffee00c0ffee00c0ffee00"
WATER = "kolibri-62ebc12742c15171b7a7c59ce500b557"  # the top topic "Making water safe"
CHECK = "kolibri-ff896407246754f99ccf18b9cbf07989"  # the top topic "Check what you know"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """A copy of the fixture channel, as it sits on a USB drive."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "stick" / "KOLIBRI_DATA"))


def database(drive: Path) -> Path:
    return drive / "content" / "databases" / f"{CHANNEL}.sqlite3"


def change(drive: Path, *statements: str) -> None:
    with sqlite3.connect(database(drive)) as connection:
        for statement in statements:
            connection.execute(statement)
    sqlite3.connect(database(drive)).execute("VACUUM").connection.close()


def storage_file(drive: Path, extension: str) -> Path:
    return next((drive / "content" / "storage").rglob(f"*.{extension}"))


def lessons(hub: Hub, course_id: str) -> list[Lesson]:
    course = hub.course(course_id)
    assert course is not None
    return [Lesson.model_validate(lesson.model_dump()) for lesson in course.lessons]


def nothing_imported(hub: Hub) -> None:
    assert hub.db.execute("SELECT count(*) FROM courses").fetchone()[0] == 0
    assert hub.db.execute("SELECT count(*) FROM pathways").fetchone()[0] == 0


def refusal(hub: Hub, path: Path) -> str:
    """The words of the refusal; the preview and the import both refuse, and nothing comes in."""
    with pytest.raises(ContentError) as refused:
        imports.preview_import(hub, path)
    with pytest.raises(ContentError):
        imports.run_import(hub, path, allow_unverified=True)
    nothing_imported(hub)
    return str(refused.value)


def test_the_command_line_shows_what_comes_in_and_what_is_skipped_then_imports(drive: Path, tmp_path: Path):
    home = tmp_path / "home"
    unsigned = run_hub("content", "import", drive, "--yes", home=home)
    assert unsigned.returncode == 1 and "not signed" in unsigned.stdout  # a tutor must choose to take it
    result = run_hub("content", "import", drive, "--yes", "--allow-unverified", home=home)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "KOLIBRI_DATA: Kolibri channel" in out and "Making water safe" in out
    assert "Kolibri channel “Clean water at home”, version 3" in out
    assert "“Water game”" not in out  # the channel's HTML5 app is a lesson, not skipped
    assert "Skipped 1 item: slideshows have no lesson kind on this hub (“Pictures of wells”)." in out
    assert "Skipped 1 item: its file is not on the drive (the channel was exported without it) " in out
    assert "Skipped 1 question: Perseus widget 'interactive-graph'" in out
    assert (
        f"Imported {WATER} v3: Making water safe" in out
        and f"Imported {CHECK} v3: Check what you know" in out
    )
    imported = out[out.index(f"Imported {WATER}") :]
    assert imported.count("Imported from a Kolibri channel, not verified") == 2  # each course's mark
    listed = run_hub("content", "list", home=home)
    assert "Imported from a Kolibri channel, not verified" in listed.stdout


def test_topics_become_courses_in_a_pathway_and_resources_become_lessons(hub: Hub, drive: Path):
    imports.run_import(hub, drive, allow_unverified=True)
    water = hub.course(WATER)
    assert water is not None and water.course.title == "Making water safe"
    assert water.source.label() == "Imported from a Kolibri channel, not verified"
    assert water.course.license == "CC BY, CC BY-SA" and water.course.publisher == "Commons Hub test channel"
    assert water.course.version == 3 and water.course.language == "en"
    assert "Clean water at home" in water.course.sources[0] and CHANNEL in water.course.sources[0]
    video, audio, pdf = lessons(hub, WATER)  # the PDF sat one topic deeper: flattened, in Kolibri's order
    assert (video.kind, audio.kind, pdf.kind) == ("video", "audio", "pdf")
    assert video.title == "Boiling water" and video.media[0].media_type == "video/mp4"
    assert video.minutes == 1  # Kolibri's duration of 1 second, rounded up
    assert [(c.language, c.label) for c in video.captions] == [("en", "English"), ("fr", "Français")]
    assert video.poster is not None and video.poster.media_type == "image/png"
    assert "Boil the water for one minute." in video.text  # the subtitles are its text version
    assert "Licence: CC BY-SA · Author: Amina Diallo · Copyright holder: Water Aid Volunteers" in video.text
    assert (
        "Licence: CC BY · Author: Youssef Amrani" in audio.text and audio.media[0].media_type == "audio/mpeg"
    )
    assert "Keep stored water covered" in pdf.text and pdf.media[0].media_type == "application/pdf"
    quiz, game = lessons(hub, CHECK)
    assert (game.kind, game.title, game.media[0].media_type) == ("html5", "Water game", "application/zip")
    assert "Tap the clean glass." in game.text  # what the app shows is its text version
    radio, number = quiz.questions
    assert (radio.type, radio.choices, radio.answer) == (
        "single", ["Ten seconds", "One full minute", "It does not need to boil"], 1
    )  # fmt: skip
    assert radio.prompt == "How long should water boil to be safe to drink?"
    assert radio.explanation == "Bring the water to a rolling boil for one full minute."
    assert (number.type, number.answer, number.tolerance, number.unit) == ("numeric", 2, 0.5, "litres")
    assert number.prompt == "How many litres of drinking water does one person need each day, at least?"
    assert quiz.pass_mark == pytest.approx(2 / 3, abs=0.001)  # Kolibri's "2 of 3" mastery
    (pathway,) = list_pathways(hub.db)
    assert pathway.title == "Clean water at home" and pathway.course_ids == [WATER, CHECK]


def test_importing_the_same_channel_again_updates_it_instead_of_adding_copies(hub: Hub, drive: Path):
    imports.run_import(hub, drive, allow_unverified=True)
    before = hub.db.execute("SELECT course_id, id FROM lessons ORDER BY course_id, id").fetchall()
    results = imports.run_import(hub, drive, allow_unverified=True)
    assert [r.replaced_version for r in results] == [3, 3]
    assert hub.db.execute("SELECT course_id, id FROM lessons ORDER BY course_id, id").fetchall() == before
    assert hub.db.execute("SELECT count(*) FROM courses").fetchone()[0] == 2
    assert len(list_pathways(hub.db)) == 1


def test_the_content_folder_or_one_database_import_the_same_channel(hub: Hub, drive: Path, tmp_path: Path):
    for path in (drive, drive / "content", database(drive)):
        preview = imports.preview_import(hub, path).preview
        assert [c.id for c in preview.courses] == [WATER, CHECK], path
    loose = tmp_path / f"{CHANNEL}.sqlite3"
    shutil.copy(database(drive), loose)
    assert "its files are not beside it" in refusal(hub, loose)


def test_every_channel_on_a_drive_comes_in_each_with_its_pathway(hub: Hub, drive: Path):
    other = drive / "content" / "databases" / ("b" * 32 + ".sqlite3")
    shutil.copy(database(drive), other)
    with sqlite3.connect(other) as connection:  # another channel: other ids, another name
        for table, column in (("content_contentnode", "id"), ("content_contentnode", "parent_id"),
                              ("content_file", "contentnode_id"), ("content_channelmetadata", "root_id"),
                              ("content_assessmentmetadata", "contentnode_id")):  # fmt: skip
            connection.execute(f"UPDATE {table} SET {column} = 'b' || substr({column}, 2)")
        connection.execute(f"UPDATE content_channelmetadata SET id = '{'b' * 32}', name = 'Second channel'")
    checked = imports.preview_import(hub, drive)
    assert "This drive holds 2 Kolibri channels; all of them are imported." in checked.preview.notes[0]
    imports.run_import(hub, drive, allow_unverified=True)
    assert sorted(p.title for p in list_pathways(hub.db)) == ["Clean water at home", "Second channel"]
    assert hub.db.execute("SELECT count(*) FROM courses").fetchone()[0] == 4


def test_a_tutor_picks_the_drive_in_the_browser_sees_the_skipped_items_and_imports(
    hub: Hub, drive: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(imports, "DEFAULT_SOURCE_ROOTS", (str(drive.parent),))
    tutor = client_for(hub, Role.TUTOR)
    assert 'value="0:KOLIBRI_DATA"' in tutor.get("/tutor/import").text
    preview = tutor.get("/tutor/import/preview", params={"pick": "0:KOLIBRI_DATA"})
    assert preview.status_code == 200
    assert "Making water safe" in preview.text and "Pictures of wells" in preview.text
    started = tutor.post(
        "/tutor/import/start",
        data={"root": "0", "path": "KOLIBRI_DATA", "allow_unverified": "1", "csrf_token": CSRF},
    )
    assert started.status_code == 200
    jobs.run_queued(hub, {"import": import_job})
    assert hub.course(WATER) is not None and hub.course(CHECK) is not None
    game = tutor.get(f"/courses/{CHECK}/{lessons(hub, CHECK)[1].id}").text
    assert '<iframe src="/apps/' in game and 'sandbox="allow-scripts"' in game  # the channel's app plays


# Bad input: refused in words, nothing imported.


def test_a_database_from_an_unknown_kolibri_schema_version_is_refused(hub: Hub, drive: Path):
    change(drive, "UPDATE content_channelmetadata SET min_schema_version = '6'")
    message = refusal(hub, drive)
    assert "made for Kolibri content schema '6'" in message and "schema versions 1 to 5" in message


def test_a_database_without_kolibri_tables_is_refused(hub: Hub, drive: Path):
    change(drive, "DROP TABLE content_assessmentmetadata")
    assert "it has no content_assessmentmetadata table" in refusal(hub, drive)


def test_a_database_missing_a_column_is_refused(hub: Hub, drive: Path):
    change(drive, "ALTER TABLE content_localfile DROP COLUMN file_size")
    assert "its content_localfile table has no file_size column" in refusal(hub, drive)


def test_a_truncated_database_is_refused(hub: Hub, drive: Path):
    raw = database(drive).read_bytes()
    database(drive).write_bytes(raw[: len(raw) // 2])
    assert "the file is cut short" in refusal(hub, drive)


def test_a_file_that_is_not_sqlite_is_refused(hub: Hub, drive: Path):
    database(drive).write_bytes(b"<html><body>Not found</body></html>\n" * 20)
    assert "it is not an SQLite database" in refusal(hub, drive)


def test_a_file_name_with_a_path_trick_is_refused(hub: Hub, drive: Path):
    change(
        drive, "UPDATE content_localfile SET extension = 'mp4/../../../../etc/passwd' WHERE extension = 'mp4'"
    )
    message = refusal(hub, drive)
    assert "that is not a Kolibri storage name" in message and "tampered" in message


def test_a_storage_file_whose_contents_do_not_match_its_name_refuses_the_whole_channel(hub: Hub, drive: Path):
    song = storage_file(drive, "mp3")
    song.write_bytes(song.read_bytes()[:-100] + b"\0" * 100)  # same size, other bytes: a bad copy
    assert hashlib.md5(song.read_bytes()).hexdigest() != song.stem
    imports.preview_import(hub, drive)  # the preview only looks at names and sizes
    with pytest.raises(ContentError) as refused:
        imports.run_import(hub, drive, allow_unverified=True)
    assert "“The clean water song”: its file" in str(refused.value) and "is damaged" in str(refused.value)
    nothing_imported(hub)


def test_a_damaged_file_in_a_later_course_leaves_the_earlier_courses_out_too(hub: Hub, drive: Path):
    song = storage_file(drive, "mp3")
    change(drive, "UPDATE content_contentnode SET parent_id = (SELECT id FROM content_contentnode WHERE"
                  " title = 'Check what you know') WHERE title = 'The clean water song'")  # fmt: skip
    assert [c.id for c in imports.preview_import(hub, drive).preview.courses] == [WATER, CHECK]
    song.write_bytes(song.read_bytes()[:-100] + b"\0" * 100)  # the second course's file is a bad copy
    with pytest.raises(ContentError, match=r"“The clean water song”: its file .* is damaged"):
        imports.run_import(hub, drive, allow_unverified=True)
    nothing_imported(hub)


def test_a_damaged_exercise_or_subtitle_file_is_refused_before_anything_is_copied(hub: Hub, drive: Path):
    for extension, title in (("perseus", "Water quiz"), ("vtt", "Boiling water")):
        small = storage_file(drive, extension)
        whole = small.read_bytes()
        small.write_bytes(whole.replace(b"o", b"0", 1))
        message = refusal(hub, drive)
        assert f"“{title}”: its file {small.name} is damaged" in message and "copy the channel" in message
        small.write_bytes(whole)


def test_several_packages_come_in_all_together_or_not_at_all(hub: Hub, tmp_path: Path):
    """library.import_packages, which a channel's courses go through: a refusal of the last
    package leaves the first out too, and the pathway with them."""
    toml = SAMPLE_COURSE["course.toml"]
    first, second = tmp_path / "first", tmp_path / "second"
    build_package(
        write_course(tmp_path / "one", **{"course.toml": toml.replace("sample-course", "first")}), first
    )
    clip = b"\x00\x00\x00\x18ftypmp42 only in the second course"
    two = write_course(tmp_path / "two", **{"course.toml": toml.replace("sample-course", "second")},
                       **{"media/clip.mp4": clip})  # fmt: skip
    build_package(two, second)
    blob = (
        second / "blobs" / "sha256" / hashlib.sha256(clip).hexdigest()[:2] / hashlib.sha256(clip).hexdigest()
    )
    blob.write_bytes(clip.replace(b"second", b"SECOND"))  # damaged on the way
    added: list[int] = []
    with pytest.raises(ContentError, match="does not match"):
        library.import_packages(
            hub.db, hub.blobs, [first, second], allow_unverified=True,
            also=lambda db: added.append(put_imported_pathway(db, "k", "P", [])),
        )  # fmt: skip
    nothing_imported(hub)
    assert added == []


def test_a_missing_storage_file_skips_its_lesson_and_the_rest_comes_in(hub: Hub, drive: Path):
    storage_file(drive, "mp3").unlink()
    notes = imports.preview_import(hub, drive).preview.notes
    assert "Skipped 2 items: its file is not on the drive" in " ".join(notes)
    assert "“The clean water song”" in " ".join(notes)
    imports.run_import(hub, drive, allow_unverified=True)
    assert [lesson.kind for lesson in lessons(hub, WATER)] == ["video", "pdf"]


def test_a_storage_file_that_is_a_link_counts_as_missing(hub: Hub, drive: Path, tmp_path: Path):
    song = storage_file(drive, "mp3")
    secret = tmp_path / "secret.txt"
    secret.write_text("the admin's notes")
    song.unlink()
    song.symlink_to(secret)
    imports.run_import(hub, drive, allow_unverified=True)
    assert [lesson.kind for lesson in lessons(hub, WATER)] == ["video", "pdf"]


def test_a_channel_with_nothing_the_hub_can_show_is_refused(hub: Hub, drive: Path):
    change(drive, "UPDATE content_contentnode SET kind = 'slideshow' WHERE kind != 'topic'")
    message = refusal(hub, drive)
    assert "nothing in it is something this hub can show" in message and "slideshows" in message


def test_converted_files_are_taken_by_link_but_a_tutors_package_is_copied(
    hub: Hub, drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The blob store takes a conversion's work files by hard link (no second copy of a 1 GB
    channel), never a tutor's own package files, which must not share their bytes with the store."""
    monkeypatch.setattr(imports.shutil, "rmtree", lambda *args, **kwargs: None)  # keep the work folder
    imports.run_import(hub, drive, allow_unverified=True)
    video = lessons(hub, WATER)[0].media[0]
    assert hub.blobs.path(video.sha256).stat().st_nlink == 2  # its work file's name, and the store's
    package = tmp_path / "package"
    author = write_course(tmp_path / "author", **{
        "course.toml": SAMPLE_COURSE["course.toml"].replace("sample-course", "tutor-course"),
        "media/clip.mp4": b"the tutor's own clip",
    })  # fmt: skip
    build_package(author, package)
    imports.run_import(hub, package, allow_unverified=True)
    clip = hashlib.sha256(b"the tutor's own clip").hexdigest()
    assert hub.blobs.path(clip).stat().st_nlink == 1
    assert (package / "blobs" / "sha256" / clip[:2] / clip).stat().st_nlink == 1
