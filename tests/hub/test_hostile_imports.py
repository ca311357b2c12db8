"""Hostile sources at the hub (issue 17, findings 10, 13 and 14): refused in words through the web
import page and `hub content import`; the hub keeps what it had, verified marks included, and no
upload stays behind."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from content.errors import ContentError
from content.package import MANIFEST, build_package
from content.signing import SecretKey, generate_key
from hub import imports, jobs, trust
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.imports import import_job
from tests.conftest import SAMPLE_COURSE, run_hub, tiny_pdf, write_course
from tests.hub.test_imports import CSRF, client_for, library_state
from tests.importing import (
    SCRIPTED_PDFS,
    bad_crc_zip,
    deep_epub,
    nested_author_folder,
    nested_manifest_zip,
    with_duplicate,
)


def course_zip(tmp: Path, name: str, key: SecretKey | None = None, **files: str) -> Path:
    """The sample course (with `files` replaced) built into tmp/<name>.zip, signed with `key` if given."""
    out = tmp / f"{name}.zip"
    build_package(write_course(tmp / name, **files), out, key)
    return out


def course_toml(title: str = "Sample course", version: int = 1, course_id: str = "sample-course") -> dict:
    """The sample course.toml with another title, version or id, as `course_zip`'s files."""
    toml = str(SAMPLE_COURSE["course.toml"]).replace('"Sample course"', f'"{title}"')
    toml = toml.replace('"sample-course"', f'"{course_id}"')
    return {"course.toml": toml.replace("version = 1", f"version = {version}")}


def other_course_zip(tmp: Path) -> Path:
    """A course that shares neither its id nor any file with the sample course."""
    files = {"media/clip.mp4": "another clip", "media/clip.en.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"}
    return course_zip(tmp, "other", **course_toml(course_id="other"), **files)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "nested manifest.json": (lambda tmp: nested_manifest_zip(tmp / "n.zip"), "nested more than 32 levels"),
    "bad CRC": (lambda tmp: bad_crc_zip(other_course_zip(tmp), tmp / "crc.zip"), "is damaged (Bad CRC-32"),
    "60,000 nested elements": (lambda tmp: deep_epub(tmp / "deep.epub"), "nested more than 100 deep"),
    "PDF with a script": (
        lambda tmp: write(tmp / "leaflet.pdf", SCRIPTED_PDFS["opening script"]),
        "holds a JavaScript action",
    ),
    "manifest.json twice": (
        lambda tmp: with_duplicate(course_zip(tmp, "ok"), MANIFEST, b"{}", tmp / "twice.zip"),
        "appears twice in the zip",
    ),
}
HOSTILE_FOLDERS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "nested course.toml": (lambda tmp: nested_author_folder(tmp / "c", "course.toml"), "nested more than 32"),
    "nested front matter": (lambda tmp: nested_author_folder(tmp / "f", "lesson"), "nested more than 32"),
}


@pytest.fixture
def publisher() -> SecretKey:
    return generate_key()


@pytest.fixture
def hub(tmp_path: Path, publisher: SecretKey) -> Hub:
    """A hub holding the sample course signed by a publisher it trusts."""
    hub = Hub(tmp_path / "home")
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    import_package(hub.db, hub.blobs, course_zip(tmp_path, "signed", publisher))
    return hub


def mark_of(hub: Hub) -> tuple[str, str]:
    card = next(c for c in hub.courses() if c.id == "sample-course")
    return card.source.status, card.source.name


def uploads_left(hub: Hub) -> list[Path]:
    return sorted(path for path in imports.upload_folder(hub).rglob("*") if path.is_file())


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_upload_is_refused_in_words_and_not_kept(hub: Hub, tmp_path: Path, kind: str):
    make, words = HOSTILE[kind]
    source, before = make(tmp_path), library_state(hub)
    tutor = client_for(hub, Role.TUTOR)
    sent = tutor.post("/tutor/import/upload", files={"file": (source.name, source.read_bytes())},
                      data={"csrf_token": CSRF}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    preview = tutor.get(sent.headers["location"])
    refusal = preview.text.replace("&#39;", "'")
    if preview.status_code == 200:  # damage inside a file shows only when the job reads it all
        token = sent.headers["location"].rsplit("=", 1)[1]
        tutor.post("/tutor/import/start", data={"upload": token, "allow_unverified": "1"})
        jobs.run_queued(hub, {"import": import_job})
        [job] = jobs.recent_jobs(hub.db, {"import"})
        assert job.state == "failed"
        refusal = job.message
    else:
        assert preview.status_code == 400
    assert "cannot be imported" in refusal or "was not imported" in refusal
    assert words in refusal
    assert uploads_left(hub) == []
    assert library_state(hub) == before and mark_of(hub) == ("verified", "City Health Office")


@pytest.mark.parametrize("kind", [*HOSTILE, *HOSTILE_FOLDERS])
def test_the_command_line_refuses_a_hostile_source_in_words(hub: Hub, tmp_path: Path, kind: str):
    make, words = {**HOSTILE, **HOSTILE_FOLDERS}[kind]
    source, before = make(tmp_path), library_state(hub)
    refused = run_hub("content", "import", source, "--yes", "--allow-unverified", home=hub.home)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 1, said
    assert "was not imported" in said and words in said
    assert "Traceback" not in said and "RecursionError" not in said
    assert library_state(hub) == before


def test_a_signed_manifest_after_a_tampered_one_is_refused(hub: Hub, tmp_path: Path, publisher: SecretKey):
    """Finding 14: manifest.json twice, a tampered one first and the signed one last."""
    tampered = course_zip(tmp_path, "tampered", **course_toml("Drink bleach"))
    with zipfile.ZipFile(tampered) as archive:
        tampered_manifest = archive.read(MANIFEST)
    signed = course_zip(tmp_path, "v1", publisher)
    twice = with_duplicate(signed, MANIFEST, tampered_manifest, tmp_path / "twice.zip")
    other = Hub(tmp_path / "other")
    trust.trust_key(other.db, publisher.public, "City Health Office")
    with pytest.raises(ContentError, match=r"'manifest\.json' appears twice in the zip"):
        import_package(other.db, other.blobs, twice)
    assert other.courses() == []


def changed_copy(tmp_path: Path, version: int = 1, key: SecretKey | None = None) -> Path:
    """The sample course with its title changed, at `version`, unsigned (or signed by `key`)."""
    return course_zip(tmp_path, f"copy-v{version}", key, **course_toml("Sample course (changed)", version))


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("signed_by_a_stranger", [False, True])
def test_a_verified_course_is_never_replaced_by_a_package_nobody_trusted_signed(
    hub: Hub, tmp_path: Path, signed_by_a_stranger: bool, version: int
):
    """Finding 13: not even when the person allowed unverified content; the mark stays."""
    before = library_state(hub)
    copy = changed_copy(tmp_path, version, generate_key() if signed_by_a_stranger else None)
    with pytest.raises(ContentError, match=r"signed by City Health Office, a publisher it trusts.*may not"):
        import_package(hub.db, hub.blobs, copy, allow_unverified=True)
    assert library_state(hub) == before and mark_of(hub) == ("verified", "City Health Office")


def test_the_preview_says_why_a_verified_course_stays(hub: Hub, tmp_path: Path):
    copy, before = changed_copy(tmp_path), library_state(hub)
    tutor = client_for(hub, Role.TUTOR)
    sent = tutor.post("/tutor/import/upload", files={"file": (copy.name, copy.read_bytes())},
                      data={"csrf_token": CSRF}, follow_redirects=False)  # fmt: skip
    page = tutor.get(sent.headers["location"]).text.replace("&#39;", "'")
    assert "signed by City Health Office, a publisher it trusts" in page
    assert "Ask City Health Office for a signed package" in page
    assert 'action="/tutor/import/start"' not in page
    token = sent.headers["location"].rsplit("=", 1)[1]
    started = tutor.post("/tutor/import/start", data={"upload": token, "allow_unverified": "1"})
    assert started.status_code == 400 and "may not replace it" in started.text
    refused = run_hub("content", "import", copy, "--yes", "--allow-unverified", home=hub.home)
    assert refused.returncode == 1 and "may not replace it" in " ".join(refused.stdout.split())
    assert library_state(hub) == before and mark_of(hub) == ("verified", "City Health Office")


def test_a_signed_newer_version_still_replaces_a_verified_course(
    hub: Hub, tmp_path: Path, publisher: SecretKey
):
    newer = course_zip(tmp_path, "v2", publisher, **course_toml(version=2))
    assert import_package(hub.db, hub.blobs, newer).replaced_version == 1
    assert mark_of(hub) == ("verified", "City Health Office")


@pytest.mark.parametrize("kind", SCRIPTED_PDFS)
def test_a_pdf_that_would_run_something_in_the_viewer_is_refused(hub: Hub, tmp_path: Path, kind: str):
    """Finding 12: Chromium runs a PDF's JavaScript even under a sandbox policy, so none is kept."""
    before = library_state(hub)
    pdf = write(tmp_path / "leaflet.pdf", SCRIPTED_PDFS[kind])
    with pytest.raises(ContentError, match=r"'leaflet\.pdf' holds a \w+ action.*print it to a new PDF"):
        imports.run_import(hub, pdf, allow_unverified=True)
    assert library_state(hub) == before
    assert list(hub.home.glob("blobs/sha256/*/*.part")) == []


def test_a_signed_package_with_a_scripted_pdf_is_refused_too(hub: Hub, tmp_path: Path, publisher: SecretKey):
    lesson = '+++\ntitle = "Leaflet"\nkind = "pdf"\nmedia = "leaflet.pdf"\n+++\nWash your hands.\n'
    files = {**course_toml(course_id="leaflet"), "01-leaflet.md": lesson}
    folder = write_course(tmp_path / "src", **files)
    for name in ("02-watch.md", "03-check.md", "01-read-me.md"):
        (folder / name).unlink(missing_ok=True)
    write(folder / "leaflet.pdf", SCRIPTED_PDFS["named script"])
    signed = tmp_path / "leaflet.zip"
    build_package(folder, signed, publisher)
    with pytest.raises(ContentError, match="holds a JavaScript action"):
        import_package(hub.db, hub.blobs, signed)
    assert hub.course("leaflet") is None
    write(folder / "leaflet.pdf", tiny_pdf("Wash your hands"))
    build_package(folder, tmp_path / "clean.zip", publisher)
    assert import_package(hub.db, hub.blobs, tmp_path / "clean.zip").course_id == "leaflet"
