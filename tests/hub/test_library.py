import zipfile
from pathlib import Path

import pytest

from content.blobs import blob_relpath
from content.errors import ContentError
from content.package import MANIFEST, build_package
from hub.home import Hub
from hub.library import import_package, library_generation
from tests.conftest import SAMPLE_COURSE, write_course


def test_import_makes_course_and_lessons_visible(hub: Hub, course_folder: Path):
    result = import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    assert (result.course_id, result.version, result.replaced_version) == ("sample-course", 1, None)
    detail = hub.course("sample-course")
    assert detail is not None
    assert [lesson.kind for lesson in detail.lessons] == ["article", "video", "quiz"]
    for ref in detail.lessons[1].files():
        assert hub.blobs.has(ref.sha256)


def test_import_from_zip_and_reimport_are_idempotent(hub: Hub, course_folder: Path, tmp_path: Path):
    build_package(course_folder, tmp_path / "p.zip")
    import_package(hub.db, hub.blobs, tmp_path / "p.zip", allow_unverified=True)
    import_package(hub.db, hub.blobs, tmp_path / "p.zip", allow_unverified=True)
    assert [c.id for c in hub.courses()] == ["sample-course"]
    assert hub.db.execute("SELECT count(*) FROM lessons").fetchone()[0] == 3


def test_new_version_replaces_and_older_version_is_refused(hub: Hub, tmp_path: Path):
    v1 = write_course(tmp_path / "v1")
    v2 = write_course(
        tmp_path / "v2", **{"course.toml": SAMPLE_COURSE["course.toml"].replace("version = 1", "version = 2")}
    )
    import_package(hub.db, hub.blobs, v2, allow_unverified=True)
    with pytest.raises(ContentError, match="already has version 2"):
        import_package(hub.db, hub.blobs, v1, allow_unverified=True)
    assert hub.course("sample-course").course.version == 2  # type: ignore[union-attr]


def test_generation_changes_on_import_so_caches_refresh(hub: Hub, course_folder: Path):
    before = library_generation(hub.db)
    assert hub.courses() == []
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    assert library_generation(hub.db) == before + 1
    assert [c.id for c in hub.courses()] == ["sample-course"]


def damaged_copies(good: Path, tmp_path: Path) -> dict[str, Path]:
    """Broken variants of a good zip package, each with one problem."""
    with zipfile.ZipFile(good) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    blob_name = next(name for name in members if name.startswith("blobs/"))
    variants = {
        "missing file": {k: v for k, v in members.items() if k != blob_name},
        "hash mismatch": {**members, blob_name: members[blob_name][:-1] + b"!"},
        "path escape": {**members, "../../etc/evil": b"x"},
        "malformed manifest": {**members, MANIFEST: b'{"format": "commons-hub-package"'},
        "unknown lesson kind": {
            **members,
            MANIFEST: members[MANIFEST].replace(b'"kind":"quiz"', b'"kind":"game"'),
        },
    }
    paths = {}
    for problem, content in variants.items():
        path = tmp_path / f"{problem.replace(' ', '-')}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in content.items():
                archive.writestr(name, data)
        paths[problem] = path
    return paths


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("missing file", "missing"),
        ("hash mismatch", "does not match"),
        ("path escape", "outside the package"),
        ("malformed manifest", "not valid JSON"),
        ("unknown lesson kind", "kind"),
    ],
)
def test_bad_packages_leave_existing_content_untouched(hub: Hub, tmp_path: Path, problem: str, message: str):
    original = write_course(tmp_path / "orig")
    import_package(hub.db, hub.blobs, original, allow_unverified=True)
    before = hub.db.execute("SELECT id, version, manifest_sha256 FROM courses").fetchall()
    lessons_before = hub.db.execute("SELECT * FROM lessons ORDER BY id").fetchall()

    changed = SAMPLE_COURSE["course.toml"].replace("version = 1", "version = 2")
    newer = write_course(tmp_path / "newer", **{"course.toml": changed, "media/clip.mp4": b"other bytes"})
    build_package(newer, tmp_path / "good.zip")
    with pytest.raises(ContentError, match=message):
        import_package(
            hub.db, hub.blobs, damaged_copies(tmp_path / "good.zip", tmp_path)[problem], allow_unverified=True
        )

    assert hub.db.execute("SELECT id, version, manifest_sha256 FROM courses").fetchall() == before
    assert hub.db.execute("SELECT * FROM lessons ORDER BY id").fetchall() == lessons_before
    assert not list(hub.blobs.root.glob("blobs/**/*.part"))


def test_a_stored_blob_is_never_rewritten(hub: Hub, course_folder: Path):
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    detail = hub.course("sample-course")
    sha = detail.lessons[1].media[0].sha256  # type: ignore[union-attr]
    path = hub.home / blob_relpath(sha)
    mtime = path.stat().st_mtime_ns
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    assert path.stat().st_mtime_ns == mtime


def test_starter_packs_import_once(tmp_path: Path):
    hub = Hub(tmp_path / "starter-home")
    count = hub.import_starter()
    assert count >= 8
    assert hub.import_starter() == 0
    courses = hub.courses()
    assert len(courses) == count
    languages = {c.language for c in courses}
    assert {"en", "fr", "es", "ar"} <= languages
