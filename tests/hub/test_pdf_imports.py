"""Issue 16, PDFs: damaged files refused in words; every page's text searchable; the language
detected and Arabic right to left, its words in logical order; protected-but-openable PDFs read;
a long text version shown a part at a time."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from content.errors import ContentError
from content.pdfread import pdf_pages
from hub import imports
from hub.home import Hub
from hub.learners import Role
from hub.search import SearchIndex, index_path
from tests.conftest import signed_in, tiny_pdf
from tests.importing import encrypted_copy, weasy_pdf

ARABIC = [
    "اغسل يديك بالماء والصابون قبل الأكل وبعد استخدام المرحاض.",
    "اشرب الماء النظيف كل يوم، واغلِ الماء إذا لم تكن متأكدا من نظافته.",
]


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


def searched(hub: Hub, query: str) -> list[str]:
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    return [hit.url for hit in index.search(query).hits]


def refusal(hub: Hub, path: Path) -> str:
    with pytest.raises(ContentError) as refused:
        imports.preview_import(hub, path)
    with pytest.raises(ContentError):
        imports.run_import(hub, path, allow_unverified=True)
    assert hub.db.execute("SELECT count(*) FROM courses").fetchone()[0] == 0  # nothing came in
    return str(refused.value)


def test_a_small_file_that_is_not_a_pdf_is_refused_saying_what_it_is(hub: Hub, tmp_path: Path):
    fake = tmp_path / "leaflet.pdf"
    fake.write_bytes(b"<html><body>Not found</body></html>\n" + b" " * 8)
    assert fake.stat().st_size == 44
    message = refusal(hub, fake)
    assert message.startswith("leaflet.pdf is not a PDF: it is 44 bytes of an HTML page")
    assert "save the document again as a PDF" in message


def test_half_a_pdf_from_an_interrupted_copy_is_refused(hub: Hub, tmp_path: Path):
    whole = weasy_pdf(tmp_path / "whole.pdf", ["Boil water for one minute."] * 3)
    half = tmp_path / "book.pdf"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    message = refusal(hub, half)
    assert "book.pdf is incomplete" in message and "Copy it again" in message


def test_an_arabic_pdf_is_arabic_right_to_left_and_its_words_are_found(hub: Hub, tmp_path: Path):
    pdf = weasy_pdf(tmp_path / "دليل.pdf", ARABIC, lang="ar", direction="rtl")
    checked = imports.preview_import(hub, pdf)
    assert checked.preview.courses[0].language == "ar"
    [result] = imports.run_import(hub, pdf, allow_unverified=True)
    [lesson] = hub.course(result.course_id).lessons
    assert "اغسل يديك بالماء والصابون" in lesson.text  # logical order, real spaces, letters not shapes
    assert "— 2 —" in lesson.text and "اشرب الماء النظيف" in lesson.text
    assert searched(hub, "الصابون")[0] == f"/courses/{result.course_id}/{lesson.id}"
    page = signed_in(hub, Role.LEARNER).get(f"/courses/{result.course_id}/{lesson.id}").text
    assert 'lang="ar"' in page and 'dir="rtl"' in page


def test_a_french_pdf_gets_french_whatever_the_hub_default(hub: Hub, tmp_path: Path):
    pdf = weasy_pdf(
        tmp_path / "guide.pdf", ["Lavez-vous les mains avec du savon avant chaque repas et après."]
    )
    assert imports.preview_import(hub, pdf).preview.courses[0].language == "fr"


def test_a_word_on_page_15_of_a_long_pdf_is_found_and_its_text_comes_in_parts(hub: Hub, tmp_path: Path):
    filler = "Clean water keeps families healthy and children in school. " * 60
    pages = [f"{filler} Chapter {n}." for n in range(1, 31)]
    pages[14] += " The rare word is zinc supplementation."
    pdf = weasy_pdf(tmp_path / "textbook.pdf", pages)
    [result] = imports.run_import(hub, pdf, allow_unverified=True)
    [lesson] = hub.course(result.course_id).lessons
    assert "— 15 —" in lesson.text and "zinc supplementation" in lesson.text
    assert searched(hub, "zinc supplementation") == [f"/courses/{result.course_id}/{lesson.id}"]
    reader = signed_in(hub, Role.LEARNER)
    first = reader.get(f"/courses/{result.course_id}/{lesson.id}").text
    assert "Part 1 of" in first and "zinc" not in first and len(first) < 60_000
    count = int(first.split("Part 1 of ")[1].split()[0])
    later = [
        reader.get(f"/courses/{result.course_id}/{lesson.id}?part={n}").text for n in range(2, count + 1)
    ]
    assert sum("zinc supplementation" in text for text in later) == 1


def test_a_pdf_protected_against_copying_is_read_all_the_same(hub: Hub, tmp_path: Path):
    plain = weasy_pdf(tmp_path / "plain.pdf", ["Oral rehydration salts save lives."])
    locked = encrypted_copy(plain, tmp_path / "locked.pdf")
    assert pdf_pages(locked, 1000) == ["Oral rehydration salts save lives."]
    checked = imports.preview_import(hub, locked)
    assert any("protected against copying" in note for note in checked.preview.notes)
    [result] = imports.run_import(hub, locked, allow_unverified=True)
    assert "rehydration salts" in hub.course(result.course_id).lessons[0].text


def test_a_scanned_pdf_without_text_still_comes_in_and_says_so(hub: Hub, tmp_path: Path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(tiny_pdf(""))
    [result] = imports.run_import(hub, pdf, allow_unverified=True)
    assert "are pictures, with no text of their own" in hub.course(result.course_id).lessons[0].text


def test_a_zip_of_pdfs_is_one_course_and_its_other_files_are_left_out(hub: Hub, tmp_path: Path):
    first = weasy_pdf(tmp_path / "01-oral-rehydration.pdf", ["Oral rehydration salts save lives."])
    second = weasy_pdf(tmp_path / "02-clean-water.pdf", ["Boil drinking water for one minute."])
    bundle = tmp_path / "Diarrhoea leaflets.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(first, "leaflets/01-oral-rehydration.pdf")
        archive.write(second, "leaflets/02-clean-water.pdf")
        archive.writestr("leaflets/read me.txt", "Printed by the clinic")
        archive.writestr("__MACOSX/leaflets/._02-clean-water.pdf", "resource fork")
    checked = imports.preview_import(hub, bundle)
    assert checked.preview.format == "PDF" and checked.preview.courses[0].lessons == 2
    assert "Left out of the zip: 2 other files (not PDFs)." in checked.preview.notes
    [result] = imports.run_import(hub, bundle, allow_unverified=True)
    course = hub.course(result.course_id)
    assert course.course.title == "Diarrhoea leaflets"
    assert [lesson.title for lesson in course.lessons] == ["Oral rehydration", "Clean water"]
    assert searched(hub, "drinking water")[0] == f"/courses/{result.course_id}/{course.lessons[1].id}"
    [again] = imports.run_import(hub, bundle, allow_unverified=True)
    assert again.course_id == result.course_id  # the same zip again is the same course


@pytest.mark.parametrize(
    ("member", "content", "said"),
    [
        ("../escape.pdf", None, "escape.pdf"),
        ("broken.pdf", b"%PDF-1.4 cut short", "incomplete"),
    ],
)
def test_a_zip_of_pdfs_with_a_bad_member_is_refused_and_nothing_comes_in(
    hub: Hub, tmp_path: Path, member: str, content: bytes | None, said: str
):
    good = weasy_pdf(tmp_path / "good.pdf", ["Wash your hands."])
    bundle = tmp_path / "leaflets.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(good, "good.pdf")
        archive.writestr(member, content if content is not None else good.read_bytes())
    assert said in refusal(hub, bundle)


def test_pdfs_of_one_name_in_several_folders_of_a_zip_are_all_kept(hub: Hub, tmp_path: Path):
    bundle = tmp_path / "clinics.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        for number, clinic in enumerate(("north", "east/north", "west/north"), start=1):
            leaflet = weasy_pdf(tmp_path / f"{number}.pdf", [f"Clinic leaflet number {number}."])
            archive.write(leaflet, f"{clinic}/leaflet.pdf")
    [result] = imports.run_import(hub, bundle, allow_unverified=True)
    lessons = hub.course(result.course_id).lessons
    assert len(lessons) == 3
    assert sorted(lesson.text.split("leaflet number ")[1][:1] for lesson in lessons) == ["1", "2", "3"]
