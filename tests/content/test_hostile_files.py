"""Hostile files (issue 17, findings 10 and 14): each is refused in words a person understands,
never with a RecursionError or a zip error from deep inside a library."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.blobs import blob_relpath
from content.errors import ContentError
from content.importers import ImportOptions, importer_for
from content.package import MANIFEST, SIGNATURE, build_package, open_package
from content.signing import generate_key
from tests.importing import (
    bad_crc_zip,
    deep_epub,
    nested_author_folder,
    nested_manifest_zip,
    with_duplicate,
)


def read_whole(source: Path, work: Path) -> None:
    """Everything an import reads of a source: its preview, its conversion, every blob."""
    importer = importer_for(source)
    importer.preview(source, ImportOptions())
    for package in importer.convert(source, work, ImportOptions(), None):
        with open_package(package) as opened:
            opened.check_blobs()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda tmp: nested_manifest_zip(tmp / "nested.zip"), "manifest.json is nested more than 32 levels"),
        (lambda tmp: nested_author_folder(tmp / "c", "course.toml"), "course.toml is nested more than 32"),
        (lambda tmp: nested_author_folder(tmp / "f", "lesson"), "front matter is nested more than 32"),
        (lambda tmp: deep_epub(tmp / "deep.epub"), "nested more than 100 deep"),
    ],
    ids=["manifest.json", "course.toml", "front matter", "epub"],
)
def test_deeply_nested_sources_are_refused_in_words(tmp_path: Path, make, words: str):
    with pytest.raises(ContentError, match=words):
        read_whole(make(tmp_path), tmp_path / "work")


def test_nesting_a_course_really_uses_still_reads(tmp_path: Path, course_folder: Path):
    build_package(course_folder, tmp_path / "ok.zip")
    read_whole(tmp_path / "ok.zip", tmp_path / "work")


def test_a_zip_member_whose_crc_does_not_match_is_refused_in_words(tmp_path: Path, course_folder: Path):
    build_package(course_folder, tmp_path / "ok.zip")
    damaged = bad_crc_zip(tmp_path / "ok.zip", tmp_path / "crc.zip")
    with pytest.raises(ContentError, match=r"in the zip is damaged \(Bad CRC-32"):
        read_whole(damaged, tmp_path / "work")


@pytest.mark.parametrize("member", ["manifest", "signature", "blob", "Manifest.JSON", "./manifest.json"])
def test_a_zip_holding_a_name_twice_is_refused(tmp_path: Path, course_folder: Path, member: str):
    manifest = build_package(course_folder, tmp_path / "signed.zip", generate_key())
    blob = next(iter(manifest.files()))
    name = {"manifest": MANIFEST, "signature": SIGNATURE, "blob": blob_relpath(blob)}.get(member, member)
    twice = with_duplicate(tmp_path / "signed.zip", name, b"something else", tmp_path / "twice.zip")
    with pytest.raises(ContentError, match="appears twice in the zip"):
        read_whole(twice, tmp_path / "work")
