"""Issue 16, identity: imported courses and lessons keep ids from the source's own identifiers,
whatever the script of their titles; different sources never share an id; a different course is
replaced only when the tutor says so, or imported beside it; progress survives an update."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from content.importers import ImportOptions, importer_for
from content.importers.identity import stable_id, stable_ids
from hub import imports, progress
from hub.home import Hub
from hub.learners import Role
from hub.plugins.imports import import_job
from tests.conftest import BrowserClient, signed_in, tiny_pdf
from tests.importing import make_epub, needs_zimwriterfs, zimwriterfs

# Debian's handbook in Arabic has chapters named like this: numbers with and without words.
ARABIC_PAGES = {
    "index.html": ("دليل مدير ديبيان", "<h1>دليل مدير ديبيان</h1><p>مرحبا بكم في الدليل.</p>"),
    "فصل-4.html": ("فصل 4.", "<p>يشرح هذا الفصل تثبيت النظام.</p>"),
    "4.html": ("4.", "<p>القسم الرابع عن الشبكات.</p>"),
    "4-2.html": ("4.2", "<p>إعداد الشبكة اللاسلكية.</p>"),
    "4.2.html": ("4.2", "<p>إعداد الشبكة السلكية.</p>"),
    "مقدمة.html": ("مقدمة", "<p>مقدمة عن البرمجيات الحرة.</p>"),
    "تمهيد.html": ("تمهيد", "<p>تمهيد قصير للكتاب.</p>"),
}


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


def lesson_ids(hub: Hub, course_id: str) -> list[str]:
    rows = hub.db.execute("SELECT id FROM lessons WHERE course_id = ? ORDER BY position", [course_id])
    return [row[0] for row in rows]


def test_ids_from_keys_are_readable_in_ascii_and_distinct_in_any_script():
    assert stable_id("Malaria") == "malaria"
    assert stable_id("test_wikimed") == "test-wikimed"
    ids = stable_ids(["فصل 4.", "4.", "4.2", "4-2", "مقدمة", "تمهيد", "A", "a"])
    assert len(set(ids)) == len(ids)
    assert ids[1] == "4" and ids[0].startswith("4-")  # the Arabic title is not mistaken for "4."
    assert ids == stable_ids(["فصل 4.", "4.", "4.2", "4-2", "مقدمة", "تمهيد", "A", "a"])  # stable


@needs_zimwriterfs
def test_an_arabic_zim_made_by_zimwriterfs_imports_every_lesson_the_preview_promised(
    hub: Hub, tmp_path: Path
):
    zim = zimwriterfs(
        tmp_path / "debian-handbook_ar.zim", ARABIC_PAGES, title="دليل ديبيان", name="دليل_ديبيان"
    )
    checked = imports.preview_import(hub, zim)
    [course] = checked.preview.courses
    assert course.language == "ar" and course.id.startswith("zim-")
    [result] = imports.run_import(hub, zim, allow_unverified=True)
    ids = lesson_ids(hub, result.course_id)
    assert result.course_id == course.id
    assert len(ids) == len(set(ids)) == course.lessons == len(ARABIC_PAGES)
    entries = {
        json.loads(row[1])["entry"]: row[0]
        for row in hub.db.execute("SELECT id, data FROM lessons WHERE course_id = ?", [course.id])
    }
    assert entries["4.html"] == "4-html" and entries["فصل-4.html"] != "4-html"

    # A new edition (one page changed, one added): the same course, the same lesson ids.
    pages = {**ARABIC_PAGES, "4.html": ("4.", "<p>نص جديد.</p>"), "جديد.html": ("جديد", "<p>فصل جديد.</p>")}
    edition = zimwriterfs(
        tmp_path / "2" / "debian-handbook_ar.zim", pages, title="دليل ديبيان", name="دليل_ديبيان"
    )
    learner = "learner-1"
    progress.record(hub.db, learner, course.id, entries["مقدمة.html"], 1.0)
    assert imports.preview_import(hub, edition).different == {}
    [again] = imports.run_import(hub, edition, allow_unverified=True)
    assert again.course_id == course.id and again.replaced_version == 1
    assert set(ids) < set(lesson_ids(hub, course.id))
    assert progress.for_course(hub.db, learner, course.id)[entries["مقدمة.html"]].completed_at


def test_two_pdfs_with_arabic_names_are_two_courses(hub: Hub, tmp_path: Path):
    first, second = tmp_path / "دليل الصحة.pdf", tmp_path / "دليل التغذية.pdf"
    first.write_bytes(tiny_pdf("Wash your hands"))
    second.write_bytes(tiny_pdf("Eat vegetables"))
    [a] = imports.run_import(hub, first, allow_unverified=True)
    [b] = imports.run_import(hub, second, allow_unverified=True)
    assert a.course_id != b.course_id and not b.replaced_version
    same_name = tmp_path / "other" / "دليل الصحة.pdf"
    same_name.parent.mkdir()
    same_name.write_bytes(tiny_pdf("Another book with the same file name"))
    assert importer_for(same_name).preview(same_name, ImportOptions()).courses[0].id != a.course_id


def test_a_french_and_a_spanish_epub_of_one_title_stay_two_courses(hub: Hub, tmp_path: Path):
    french = make_epub(tmp_path / "fr.epub", title="Santé", language="fr")
    spanish = make_epub(tmp_path / "es.epub", title="Santé", language="es")
    [fr] = imports.run_import(hub, french, allow_unverified=True)
    [es] = imports.run_import(hub, spanish, allow_unverified=True)
    assert fr.course_id != es.course_id and not es.replaced_version
    # Two books of one title told apart by their unique identifiers.
    one = make_epub(tmp_path / "one.epub", identifier="urn:isbn:9780000000001")
    two = make_epub(tmp_path / "two.epub", identifier="urn:isbn:9780000000002")
    options = ImportOptions()
    assert (
        importer_for(one).preview(one, options).courses[0].id
        != importer_for(two).preview(two, options).courses[0].id
    )


def test_epub_lessons_keep_their_manifest_ids_when_a_new_edition_retitles_them(hub: Hub, tmp_path: Path):
    chapters = [
        ("Clean water", "<h1>Clean water</h1><p>Boil it.</p>"),
        ("Food", "<h1>Food</h1><p>Cool it.</p>"),
    ]
    book = make_epub(tmp_path / "1.epub", chapters, ids=["ch1", "ch2"], identifier="urn:uuid:book")
    [first] = imports.run_import(hub, book, allow_unverified=True)
    progress.record(hub.db, "learner-1", first.course_id, "ch2", 1.0)
    retitled = [("Safe water", "<h1>Safe water</h1><p>Boil it well.</p>"), chapters[1]]
    edition = make_epub(tmp_path / "2.epub", retitled, ids=["ch1", "ch2"], identifier="urn:uuid:book")
    [second] = imports.run_import(hub, edition, allow_unverified=True)
    assert second.course_id == first.course_id and lesson_ids(hub, first.course_id) == ["ch1", "ch2"]
    assert progress.for_course(hub.db, "learner-1", first.course_id)["ch2"].completed_at


def _tutor(hub: Hub) -> BrowserClient:
    return signed_in(hub, Role.TUTOR)


def test_the_preview_says_a_different_course_goes_and_the_tutor_may_import_it_beside(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = tmp_path / "usb"
    (folder / "Leaflets").mkdir(parents=True)
    (folder / "Leaflets" / "wash.pdf").write_bytes(tiny_pdf("Wash your hands"))
    [old] = imports.run_import(hub, folder / "Leaflets", allow_unverified=True)
    # Another stick, another folder of the same name, in another language.
    monkeypatch.setattr(imports, "options_for", lambda hub: ImportOptions(language="fr"))
    (folder / "other" / "Leaflets").mkdir(parents=True)
    (folder / "other" / "Leaflets" / "lavage.pdf").write_bytes(tiny_pdf("Lavez vos mains"))
    monkeypatch.setattr(imports, "source_roots", lambda hub: [folder])
    tutor = _tutor(hub)
    page = tutor.get("/tutor/import/preview", params={"pick": "0:other/Leaflets"})
    assert page.status_code == 200
    assert "Replaces a different course: “Leaflets”" in page.text
    assert "Import beside it" in page.text and "Import and replace the other course" in page.text
    started = tutor.post(
        "/tutor/import/start",
        data={"root": "0", "path": "other/Leaflets", "allow_unverified": "1", "beside": "1"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    job = hub.db.execute("SELECT params FROM jobs ORDER BY id DESC LIMIT 1").fetchone()
    result = import_job(hub, json.loads(job[0]), lambda *a: None)
    [beside] = result["courses"]
    assert beside["id"] != old.course_id
    assert lesson_ids(hub, old.course_id) == ["wash"]  # the first course is still there, whole
    assert lesson_ids(hub, beside["id"]) == ["lavage"]
    # Importing the same folder beside again updates the copy beside, not a third course.
    again = imports.preview_import(hub, folder / "other" / "Leaflets", beside=True)
    assert again.renames == {old.course_id: beside["id"]} and again.different == {}
