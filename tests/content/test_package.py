import json
import os
import zipfile
from pathlib import Path

import pytest

from content.blobs import blob_relpath
from content.errors import ContentError
from content.package import MANIFEST, build_package, canonical_json, open_package
from tests.conftest import SAMPLE_COURSE, write_course


def test_build_writes_canonical_manifest_and_blobs(course_folder: Path, tmp_path: Path):
    out = tmp_path / "pkg"
    manifest = build_package(course_folder, out)
    raw = (out / MANIFEST).read_bytes()
    assert raw == canonical_json(json.loads(raw))
    for sha256 in manifest.files():
        assert (out / blob_relpath(sha256)).is_file()
    assert [lesson.id for lesson in manifest.lessons] == ["read-me", "watch", "check"]


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_built_package_opens_and_checks(course_folder: Path, tmp_path: Path, suffix: str):
    out = tmp_path / f"pkg{suffix}"
    build_package(course_folder, out)
    with open_package(out) as package:
        package.check_blobs()
        assert package.manifest.course.id == "sample-course"
        assert package.signature is None


def test_building_twice_gives_the_same_manifest(course_folder: Path, tmp_path: Path):
    build_package(course_folder, tmp_path / "a.zip")
    build_package(course_folder, tmp_path / "b.zip")
    first, second = (zipfile.ZipFile(tmp_path / n).read(MANIFEST) for n in ("a.zip", "b.zip"))
    assert first == second


def test_a_flipped_byte_is_caught(course_folder: Path, tmp_path: Path):
    out = tmp_path / "pkg"
    manifest = build_package(course_folder, out)
    blob = out / blob_relpath(next(iter(manifest.files())))
    data = bytearray(blob.read_bytes())
    data[0] ^= 0xFF
    blob.write_bytes(bytes(data))
    with open_package(out) as package, pytest.raises(ContentError, match="does not match"):
        package.check_blobs()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"02-watch.md": SAMPLE_COURSE["02-watch.md"].replace("clip.mp4", "gone.mp4")}, "missing"),
        ({"02-watch.md": SAMPLE_COURSE["02-watch.md"].replace("media/clip.mp4", "../x.mp4")}, "outside"),
        ({"02-watch.md": SAMPLE_COURSE["02-watch.md"].replace("media/clip.mp4", "/etc/passwd")}, "outside"),
        ({"01-read-me.md": "no front matter"}, "front matter"),
        ({"01-read-me.md": "+++\ntitle = \n+++\n"}, "not valid TOML"),
        ({"01-read-me.md": '+++\ntitle = "x"\nkind = "hologram"\n+++\n'}, "kind"),
        ({"course.toml": 'id = "Bad Id"\n'}, "course.id"),
    ],
)
def test_bad_author_folders_are_refused_with_the_reason(tmp_path: Path, overrides: dict, problem: str):
    folder = write_course(tmp_path / "bad", **overrides)
    with pytest.raises(ContentError, match=problem):
        build_package(folder, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_symlinked_media_is_refused(course_folder: Path, tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (course_folder / "media" / "clip.mp4").unlink()
    os.symlink(secret, course_folder / "media" / "clip.mp4")
    with pytest.raises(ContentError, match="symbolic link"):
        build_package(course_folder, tmp_path / "out")


def rezip(source: Path, target: Path, extra: dict[str, bytes] | None = None, drop: str = "") -> Path:
    """Copy a zip package, adding or replacing members, or dropping one."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != drop and info.filename not in (extra or {}):
                new.writestr(info, old.read(info))
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


@pytest.fixture
def sample_zip(course_folder: Path, tmp_path: Path) -> Path:
    build_package(course_folder, tmp_path / "sample.zip")
    return tmp_path / "sample.zip"


def test_zip_member_escaping_the_package_is_refused(sample_zip: Path, tmp_path: Path):
    bad = rezip(sample_zip, tmp_path / "bad.zip", {"../evil.txt": b"x"})
    with pytest.raises(ContentError, match="outside"), open_package(bad):
        pass


def test_zip_symlink_member_is_refused(sample_zip: Path, tmp_path: Path):
    bad = tmp_path / "bad.zip"
    rezip(sample_zip, bad)
    with zipfile.ZipFile(bad, "a") as archive:
        info = zipfile.ZipInfo("blobs/link")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ContentError, match="symbolic link"), open_package(bad):
        pass


def test_zip_bomb_is_refused(sample_zip: Path, tmp_path: Path):
    bad = rezip(sample_zip, tmp_path / "bomb.zip", {"blobs/zeros": b"\0" * (50 * 1024 * 1024)})
    with pytest.raises(ContentError, match="zip bomb"), open_package(bad):
        pass


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "manifest is not valid"),
        (b'{"format": "commons-hub-package", "format_version": 1}', "course: Field required"),
    ],
)
def test_malformed_manifest_is_refused(sample_zip: Path, tmp_path: Path, manifest: bytes, problem: str):
    bad = rezip(sample_zip, tmp_path / "bad.zip", {MANIFEST: manifest})
    with pytest.raises(ContentError, match=problem), open_package(bad):
        pass


def test_not_a_zip_and_truncated_zip_are_refused(sample_zip: Path, tmp_path: Path):
    (tmp_path / "text.zip").write_text("hello")
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(sample_zip.read_bytes()[:200])
    for path in (tmp_path / "text.zip", truncated):
        with pytest.raises(ContentError, match="not a readable zip"), open_package(path):
            pass


def test_missing_manifest_is_refused(sample_zip: Path, tmp_path: Path):
    bad = rezip(sample_zip, tmp_path / "bad.zip", drop=MANIFEST)
    with pytest.raises(ContentError, match=r"no manifest\.json"), open_package(bad):
        pass


def test_a_lesson_file_linked_to_an_endless_device_is_refused_unread(course_folder: Path):
    """A USB author folder whose lesson is a link to /dev/zero must not fill the hub's memory."""
    lesson = next(course_folder.glob("*.md"))
    lesson.unlink()
    lesson.symlink_to("/dev/zero")
    with pytest.raises(ContentError, match="symbolic link"), open_package(course_folder):
        pass


def test_oversized_text_files_are_refused_before_they_are_read(course_folder: Path, tmp_path: Path):
    lesson = next(course_folder.glob("*.md"))
    with lesson.open("ab") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: 3 MB of text costs no disk
    with pytest.raises(ContentError, match="more than the"), open_package(course_folder):
        pass
    package = tmp_path / "package"
    build_package(write_course(tmp_path / "fresh"), package)
    with (package / MANIFEST).open("ab") as handle:
        handle.truncate(9 * 1024 * 1024)
    with pytest.raises(ContentError, match=r"manifest\.json"), open_package(package):
        pass
