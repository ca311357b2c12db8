"""Importers: each format detected, previewed and converted; bad sources refused with a clear message."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from content.errors import ContentError
from content.importers import ImportOptions, importer_for
from content.importers.zim import MAX_LESSONS
from content.package import build_package
from tests.conftest import tiny_pdf, write_course
from tests.importing import make_epub, make_pdf_folder, make_zim

OPTIONS = ImportOptions(language="fr", publisher="Test hub")


def manifest_of(package: Path) -> dict:
    return json.loads((package / "manifest.json").read_text(encoding="utf-8"))


def test_a_package_zip_and_an_author_folder_are_previewed_and_imported_as_they_are(tmp_path: Path):
    folder = write_course(tmp_path / "author")
    package = tmp_path / "sample.zip"
    build_package(folder, package)
    for path, kind in ((folder, "author folder"), (package, "package")):
        importer = importer_for(path)
        preview = importer.preview(path, OPTIONS)
        assert (importer.format, preview.courses[0].id, preview.courses[0].lessons) == (
            kind,
            "sample-course",
            3,
        )
        assert preview.total_bytes == preview.courses[0].bytes > 0
        assert (preview.signed, preview.work_bytes) == (False, 0)
        assert importer.convert(path, tmp_path / "work", OPTIONS, None) == [path]


def test_a_zim_becomes_one_course_of_zim_lessons_sharing_the_zim(tmp_path: Path):
    zim = make_zim(tmp_path / "wikimed.zim")
    importer = importer_for(zim)
    preview = importer.preview(zim, OPTIONS)
    course = preview.courses[0]
    assert (course.id, course.title, course.language, course.lessons) == (
        "zim-test-wikimed",
        "Test WikiMed",
        "en",
        3,
    )
    assert preview.total_bytes == preview.work_bytes == zim.stat().st_size
    [package] = importer.convert(zim, tmp_path / "work", OPTIONS, None)
    manifest = manifest_of(package)
    lessons = manifest["lessons"]
    assert [lesson["entry"] for lesson in lessons] == ["Home", "Dengue", "Malaria"]  # the home page first
    assert {lesson["kind"] for lesson in lessons} == {"zim"}
    assert len({lesson["media"][0]["sha256"] for lesson in lessons}) == 1
    malaria = lessons[2]
    assert "mosquito net treated with insecticide" in malaria["text"]
    assert "alert" not in malaria["text"]  # script content is not text
    assert manifest["course"]["publisher"] == "Kiwix test"


def test_a_huge_zim_is_capped_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("content.importers.zim.MAX_LESSONS", 2)
    zim = make_zim(tmp_path / "big.zim")
    preview = importer_for(zim).preview(zim, OPTIONS)
    assert preview.courses[0].lessons == 2
    assert "first 2 of its 3 articles" in preview.notes[0]
    [package] = importer_for(zim).convert(zim, tmp_path / "work", OPTIONS, None)
    assert len(manifest_of(package)["lessons"]) == 2
    assert MAX_LESSONS >= 100


def test_an_epub_becomes_article_lessons_in_reading_order(tmp_path: Path):
    epub = make_epub(tmp_path / "healthy-home.epub")
    importer = importer_for(epub)
    preview = importer.preview(epub, OPTIONS)
    assert (preview.format, preview.courses[0].title, preview.courses[0].lessons) == (
        "EPUB",
        "Healthy Home",
        2,
    )
    [package] = importer.convert(epub, tmp_path / "work", OPTIONS, None)
    manifest = manifest_of(package)
    assert [(lesson["id"], lesson["kind"]) for lesson in manifest["lessons"]] == [
        ("clean-water", "article"),
        ("storing-food", "article"),
    ]
    assert "Boil drinking water" in manifest["lessons"][0]["text"]
    assert "* Keep raw meat apart." in manifest["lessons"][1]["text"]
    assert manifest["course"]["publisher"] == "Community Nurses"


def test_a_folder_of_pdfs_becomes_pdf_lessons_with_their_text(tmp_path: Path):
    folder = make_pdf_folder(tmp_path / "first-aid_leaflets")
    importer = importer_for(folder)
    preview = importer.preview(folder, OPTIONS)
    assert (preview.format, preview.courses[0].title, preview.courses[0].lessons) == (
        "PDF",
        "First aid leaflets",
        2,
    )
    [package] = importer.convert(folder, tmp_path / "work", OPTIONS, None)
    manifest = manifest_of(package)
    # English detected from the text, not the hub default (fr)
    assert manifest["course"]["language"] == "en" and manifest["course"]["publisher"] == "Test hub"
    first = manifest["lessons"][0]
    assert (first["id"], first["title"], first["kind"]) == ("oral-rehydration", "Oral rehydration", "pdf")
    assert first["text"] == "— 1 —\n\nMix salt and sugar in clean water"  # each page under its number
    single = importer_for(folder / "02-bandages.pdf").preview(folder / "02-bandages.pdf", OPTIONS)
    assert (single.courses[0].title, single.courses[0].lessons) == ("Bandages", 1)


def test_a_pdf_without_text_gets_a_plain_text_alternative(tmp_path: Path):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(tiny_pdf(""))
    [package] = importer_for(folder).convert(folder, tmp_path / "work", OPTIONS, None)
    text = manifest_of(package)["lessons"][0]["text"]
    assert text == "The pages of scan\\.pdf are pictures, with no text of their own."


def refusal(path: Path, tmp_path: Path) -> str:
    with pytest.raises(ContentError) as caught:
        importer = importer_for(path)
        importer.preview(path, OPTIONS)
        importer.convert(path, tmp_path / "work", OPTIONS, None)
    return str(caught.value)


def test_a_corrupt_zim_is_refused(tmp_path: Path):
    garbage = tmp_path / "garbage.zim"
    garbage.write_bytes(b"ZIM\x04" + os.urandom(4000))
    assert "garbage.zim is not a readable ZIM file" in refusal(garbage, tmp_path)
    good = make_zim(tmp_path / "good.zim").read_bytes()
    flipped = tmp_path / "flipped.zim"
    flipped.write_bytes(good[:3000] + bytes([good[3000] ^ 0xFF]) + good[3001:])
    message = refusal(flipped, tmp_path)
    assert "flipped.zim" in message and ("damaged" in message or "not a readable ZIM" in message)
    truncated = tmp_path / "truncated.zim"
    truncated.write_bytes(good[: len(good) // 2])
    assert "truncated.zim" in refusal(truncated, tmp_path)


def test_empty_truncated_and_unknown_files_are_refused(tmp_path: Path):
    empty = tmp_path / "empty.pdf"
    empty.touch()
    assert refusal(empty, tmp_path) == "empty.pdf is empty (0 bytes)"
    book = make_epub(tmp_path / "book.epub").read_bytes()
    cut = tmp_path / "cut.epub"
    cut.write_bytes(book[: len(book) // 2])
    assert "cut.epub is not a readable EPUB file" in refusal(cut, tmp_path)
    other = tmp_path / "notes.docx"
    other.write_text("hello")
    assert "notes.docx is not something this hub can import" in refusal(other, tmp_path)


def test_an_epub_zip_bomb_and_an_escaping_path_are_refused(tmp_path: Path):
    bomb = tmp_path / "bomb.epub"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/container.xml", "<container/>")
        archive.writestr("OEBPS/zeros.xhtml", b"\0" * (20 * 1024**2))
    assert "compressed suspiciously well (a zip bomb?)" in refusal(bomb, tmp_path)
    escape = tmp_path / "escape.epub"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../../evil.xhtml", "<p>x</p>")
    assert "points outside the package" in refusal(escape, tmp_path)
    assert not (tmp_path.parent / "evil.xhtml").exists()


def test_an_epub_whose_reading_order_points_outside_is_refused(tmp_path: Path):
    book = make_epub(tmp_path / "book.epub")
    evil = tmp_path / "evil.epub"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(evil, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith(".opf"):
                data = data.replace(b"text/ch0.xhtml", b"../../../etc/passwd")
            out.writestr(item, data)
    assert "points outside the package" in refusal(evil, tmp_path)


def test_symbolic_links_are_refused(tmp_path: Path):
    real = make_zim(tmp_path / "real.zim")
    link = tmp_path / "link.zim"
    link.symlink_to(real)
    assert refusal(link, tmp_path) == "link.zim is a symbolic link, which is not allowed"
    folder = make_pdf_folder(tmp_path / "pdfs")
    (folder / "sneaky.pdf").symlink_to(folder / "02-bandages.pdf")
    assert refusal(folder, tmp_path) == "sneaky.pdf is a symbolic link, which is not allowed"
    author = write_course(tmp_path / "author")
    (author / "media" / "clip.mp4").unlink()
    (author / "media" / "clip.mp4").symlink_to("/etc/passwd")
    assert "is a symbolic link, which is not allowed" in refusal(author, tmp_path)
