"""Importing on a hub: ZIM, EPUB and PDFs end up readable and searchable; bad sources change nothing;
the disk check; the tutor's web flow (upload or USB stick → preview → job → course); the CLI."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content import package as package_module
from content.errors import ContentError
from content.package import build_package
from hub import imports, jobs, learners
from hub.app import create_app, manager_for
from hub.home import Hub
from hub.learners import Role
from hub.library import import_package
from hub.plugins.imports import import_job
from hub.search import SearchIndex, index_path
from tests.conftest import BrowserClient, run_hub, write_course
from tests.importing import PNG, make_epub, make_pdf_folder, make_zim

CSRF = "test-csrf-token"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    hub = Hub(tmp_path / "home")
    import_package(hub.db, hub.blobs, write_course(tmp_path / "author"), allow_unverified=True)
    return hub


def library_state(hub: Hub) -> list[tuple]:
    courses = hub.db.execute("SELECT id, version, manifest_sha256 FROM courses ORDER BY id").fetchall()
    lessons = hub.db.execute("SELECT course_id, id, data FROM lessons ORDER BY course_id, id").fetchall()
    return [*courses, *lessons]


def searched(hub: Hub, query: str) -> list[str]:
    index = SearchIndex(index_path(hub))
    index.rebuild(hub)
    return [hit.url for hit in index.search(query).hits]


def client_for(hub: Hub, role: Role | None) -> TestClient:
    """A browser (no lifespan, so no job runner: tests run jobs themselves) signed in with `role`."""
    client = BrowserClient(
        create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test"
    )
    client.cookies.set("hub_csrf", CSRF)
    if role is not None:
        secret = "1234" if role == Role.LEARNER else "a-long-secret"
        account = learners.create_account(hub.db, f"{role.value} person", role, secret)
        client.cookies.set("hub_session", learners.start_session(hub.db, account.id))
    return client


def test_a_zim_imports_and_its_articles_are_searchable_and_readable(hub: Hub, tmp_path: Path):
    zim = make_zim(tmp_path / "wikimed.zim")
    [result] = imports.run_import(hub, zim, allow_unverified=True)
    assert (result.course_id, result.title) == ("zim-test-wikimed", "Test WikiMed")
    assert searched(hub, "mosquito insecticide")[0] == "/courses/zim-test-wikimed/malaria"
    assert searched(hub, "headache joint pain")[0] == "/courses/zim-test-wikimed/dengue"
    assert not (hub.home / imports.WORK_FOLDER).exists() or not any(
        (hub.home / imports.WORK_FOLDER).iterdir()
    )

    client = client_for(hub, None)
    page = client.get("/courses/zim-test-wikimed/malaria")
    assert page.status_code == 200
    article = page.text
    assert "Sleep under a mosquito net" in article
    assert (
        "<script" not in article.split("<main", 1)[1]
        and "onclick" not in article
        and "javascript:" not in article
    )
    sha = hub.db.execute("SELECT sha256 FROM files WHERE media_type = 'application/x-zim'").fetchone()[0]
    assert f'src="/zim/{sha}/I/net.png"' in article
    assert f'href="/zim/{sha}/Dengue#signs"' in article
    assert "etc/passwd" not in article
    image = client.get(f"/zim/{sha}/I/net.png")
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", PNG)
    linked = client.get(f"/zim/{sha}/Dengue")
    assert linked.status_code == 200 and "High fever, headache" in linked.text
    assert client.get(f"/zim/{sha}/Nothing-here").status_code == 404
    other_sha = hub.db.execute("SELECT sha256 FROM files WHERE media_type = 'video/mp4'").fetchone()[0]
    assert client.get(f"/zim/{other_sha}/Home").status_code == 404  # only ZIMs are opened as ZIMs
    api = client.get("/api/v1/courses/zim-test-wikimed/lessons/malaria").json()
    assert api["kind"] == "zim" and api["article_url"] == f"/zim/{sha}/Malaria"
    assert "Sleep under a mosquito net" in api["html"] and "<script" not in api["html"]


def test_an_epub_and_a_folder_of_pdfs_import_readable_and_searchable(hub: Hub, tmp_path: Path):
    [book] = imports.run_import(hub, make_epub(tmp_path / "book.epub"), allow_unverified=True)
    [leaflets] = imports.run_import(hub, make_pdf_folder(tmp_path / "leaflets"), allow_unverified=True)
    assert (book.course_id, leaflets.course_id) == ("epub-healthy-home-en", "pdf-leaflets")
    client = client_for(hub, None)
    chapter = client.get("/courses/epub-healthy-home-en/clean-water")
    assert "Boil drinking water for one minute" in chapter.text
    assert "Press on the wound" in client.get("/courses/pdf-leaflets/bandages").text
    assert searched(hub, "boil drinking water")[0] == "/courses/epub-healthy-home-en/clean-water"
    assert searched(hub, "salt sugar")[0] == "/courses/pdf-leaflets/oral-rehydration"


def test_pictures_inside_an_epub_follow_their_chapters_text(hub: Hub, tmp_path: Path):
    chapters = [
        ("Clean water", "<h1>Clean water</h1><p>Boil it.</p>"
         "<img src='../img/kettle.png' alt='A kettle on a stove'/><img src='https://example.org/far.png'/>"),
        ("Diagram", "<h1>Diagram</h1><img src='../img/steps%201.png'/>"
         "<img src='../img/../../../etc/passwd.png'/>"),
        ("Storing food", "<h1>Storing food</h1><p>Cool it fast.</p>"),
    ]  # fmt: skip
    book = make_epub(tmp_path / "book.epub", chapters, {"kettle.png": PNG, "steps 1.png": PNG + b"2"})
    imports.run_import(hub, book, allow_unverified=True)
    lessons = {lesson.id: lesson for lesson in hub.course("epub-healthy-home-en").lessons}
    assert [image.alt for image in lessons["clean-water"].images] == ["A kettle on a stove"]
    assert lessons["clean-water"].kind == "images" and "Boil it." in lessons["clean-water"].text
    assert [image.alt for image in lessons["diagram"].images] == [
        "Picture 1 of “Diagram”"
    ]  # a page of pictures
    assert lessons["storing-food"].kind == "article"  # its picture is not in the book: left out
    page = client_for(hub, None).get("/courses/epub-healthy-home-en/clean-water").text
    assert 'alt="A kettle on a stove"' in page and "example.org" not in page


def bad_sources(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    folder = tmp_path / "bad"
    folder.mkdir()
    corrupt = folder / "corrupt.zim"
    corrupt.write_bytes(b"ZIM\x04" + b"\x01" * 5000)
    empty = folder / "empty.epub"
    empty.touch()
    book = make_epub(folder / "whole.epub").read_bytes()
    truncated = folder / "truncated.epub"
    truncated.write_bytes(book[: len(book) // 2])
    bomb = folder / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", "{}")
        archive.writestr("blobs/sha256/00/zeros", b"\0" * (20 * 1024**2))
    escape = folder / "escape.zip"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("manifest.json", "{}")
        archive.writestr("../outside", "x")
    link = folder / "link.zim"
    link.symlink_to(make_zim(tmp_path / "real.zim"))
    return {
        "corrupt ZIM": (corrupt, "corrupt.zim is not a readable ZIM file"),
        "0-byte file": (empty, "empty.epub is empty (0 bytes)"),
        "truncated EPUB": (truncated, "truncated.epub is not a readable EPUB file"),
        "zip bomb": (bomb, "compressed suspiciously well (a zip bomb?)"),
        "../ path": (escape, "points outside the package"),
        "symlink": (link, "link.zim is a symbolic link, which is not allowed"),
    }


def test_bad_sources_are_refused_and_nothing_changes(hub: Hub, tmp_path: Path):
    before = library_state(hub)
    blobs_before = sorted(p.name for p in (hub.home / "blobs").rglob("*"))
    for name, (path, message) in bad_sources(tmp_path).items():
        with pytest.raises(ContentError) as caught:
            imports.run_import(hub, path, allow_unverified=True)
        assert message in str(caught.value), name
    assert library_state(hub) == before
    assert sorted(p.name for p in (hub.home / "blobs").rglob("*")) == blobs_before
    assert not any((hub.home / imports.WORK_FOLDER).glob("*"))


def test_a_package_over_the_size_cap_is_refused(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    package = tmp_path / "sample.zip"
    build_package(write_course(tmp_path / "other", {**_renamed_course()}), package)
    monkeypatch.setattr(package_module, "MAX_PACKAGE_BYTES", 100)
    before = library_state(hub)
    with pytest.raises(ContentError, match="unpacks to more than the size limit"):
        imports.run_import(hub, package, allow_unverified=True)
    assert library_state(hub) == before


def _renamed_course() -> dict[str, str | bytes]:
    from tests.conftest import SAMPLE_COURSE

    return {
        **SAMPLE_COURSE,
        "course.toml": SAMPLE_COURSE["course.toml"].replace("sample-course", "other-course"),
    }


def test_the_preview_shows_sizes_and_the_disk_check_refuses_what_does_not_fit(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    zim = make_zim(tmp_path / "wikimed.zim")
    size = zim.stat().st_size
    checked = imports.preview_import(hub, zim)
    assert checked.preview.total_bytes == size and checked.fits
    assert checked.needed_bytes == 2 * size + imports.MARGIN_BYTES  # the work copy and the blob store
    monkeypatch.setattr(imports, "free_bytes", lambda path: imports.MARGIN_BYTES + size)
    assert not imports.preview_import(hub, zim).fits
    before = library_state(hub)
    with pytest.raises(ContentError, match="there is not enough free disk space: this import needs about"):
        imports.run_import(hub, zim, allow_unverified=True)
    assert library_state(hub) == before
    replacing = imports.preview_import(hub, write_course(tmp_path / "again"))
    assert replacing.replaces == {"sample-course": 1}


def test_the_tutor_uploads_sees_the_preview_confirms_and_the_job_imports(hub: Hub, tmp_path: Path):
    tutor = client_for(hub, Role.TUTOR)
    assert (
        'href="/tutor/import"' in tutor.get("/tutor").text
        and 'href="/tutor/jobs"' in tutor.get("/tutor").text
    )
    book = make_epub(tmp_path / "Healthy home.epub")
    sent = tutor.post(
        "/tutor/import/upload",
        files={"file": (book.name, book.read_bytes(), "application/epub+zip")},
        data={"csrf_token": CSRF},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    token = re.search(r"upload=([0-9a-f]{32})", sent.headers["location"])[1]
    preview = tutor.get(sent.headers["location"])
    assert preview.status_code == 200
    assert (
        "Healthy Home" in preview.text
        and "EPUB" in preview.text
        and "Nobody: it is not signed" in preview.text
    )
    assert "Import, marked as not verified" in preview.text
    assert 'action="/tutor/import/start"' in preview.text
    started = tutor.post(
        "/tutor/import/start",
        data={"upload": token, "allow_unverified": "1", "csrf_token": CSRF},
        follow_redirects=False,
    )
    assert (started.status_code, started.headers["location"]) == (303, "/tutor/jobs")
    waiting = tutor.get("/tutor/jobs")
    assert 'http-equiv="refresh"' in waiting.text and "Waiting" in waiting.text
    assert jobs.run_queued(hub, {"import": import_job}) == 1
    finished = tutor.get("/tutor/jobs")
    assert 'http-equiv="refresh"' not in finished.text
    assert "Done" in finished.text and 'href="/courses/epub-healthy-home-en"' in finished.text
    assert "Boil drinking water" in tutor.get("/courses/epub-healthy-home-en/clean-water").text
    assert not (imports.upload_folder(hub) / token).exists()


def test_an_import_job_run_twice_leaves_one_course(hub: Hub, tmp_path: Path):
    """A crash after the commit runs the job again: the same version replaces itself."""
    book = make_epub(tmp_path / "book.epub")
    params = {"path": str(book), "name": book.name, "upload": "", "allow_unverified": True}
    first = import_job(hub, params, lambda *args: None)
    state = library_state(hub)
    assert import_job(hub, params, lambda *args: None) == first
    assert library_state(hub) == state


def test_unsigned_content_imports_only_when_the_tutor_chose_to_take_it(hub: Hub, tmp_path: Path):
    book = make_epub(tmp_path / "book.epub")
    job_id = jobs.submit(hub.db, "import", {"path": str(book), "name": book.name, "upload": ""})
    jobs.run_queued(hub, {"import": import_job})
    job = jobs.get_job(hub.db, job_id)
    assert job.state == "failed" and "not signed" in job.message
    assert "healthy-home" not in {card.id for card in hub.courses()}


def test_a_failed_import_job_shows_its_reason_in_plain_words(hub: Hub, tmp_path: Path):
    tutor = client_for(hub, Role.TUTOR)
    corrupt = tmp_path / "broken.zim"
    corrupt.write_bytes(b"ZIM\x04" + b"\x02" * 3000)
    refused = tutor.post(
        "/tutor/import/upload",
        files={"file": (corrupt.name, corrupt.read_bytes())},
        data={"csrf_token": CSRF},
    )
    assert refused.status_code == 400 and "broken.zim is not a readable ZIM file" in refused.text
    before = library_state(hub)
    jobs.submit(
        hub.db, "import", {"path": str(corrupt), "name": corrupt.name, "upload": "", "allow_unverified": True}
    )
    jobs.run_queued(hub, {"import": import_job})
    page = tutor.get("/tutor/jobs").text
    assert "Failed" in page and "broken.zim was not imported: broken.zim is not a readable ZIM file" in page
    assert library_state(hub) == before


def test_sources_come_from_usb_mounts_and_admin_folders_only(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    media = tmp_path / "media"
    stick = media / "user" / "STICK"
    stick.mkdir(parents=True)
    make_zim(stick / "wikimed.zim")
    make_pdf_folder(stick / "leaflets")
    (stick / "elsewhere.zim").symlink_to(tmp_path / "nowhere.zim")
    extra = tmp_path / "library"
    extra.mkdir()
    make_epub(extra / "book.epub")
    monkeypatch.setattr(imports, "DEFAULT_SOURCE_ROOTS", (str(media),))
    hub.set_setting("import_folders", [str(extra)])
    tutor = client_for(hub, Role.TUTOR)
    page = tutor.get("/tutor/import").text
    assert 'value="0:user/STICK/wikimed.zim"' in page and 'value="0:user/STICK/leaflets"' in page
    assert 'value="1:book.epub"' in page and "elsewhere.zim" not in page
    preview = tutor.get("/tutor/import/preview", params={"pick": "0:user/STICK/wikimed.zim"})
    assert preview.status_code == 200 and "Test WikiMed" in preview.text
    for pick in ("0:../../etc", "0:user/STICK/elsewhere.zim", "5:wikimed.zim", "0:/etc/passwd"):
        refused = tutor.get("/tutor/import/preview", params={"pick": pick})
        assert refused.status_code == 400 and "This cannot be imported" in refused.text, pick
    started = tutor.post(
        "/tutor/import/start",
        data={"root": "0", "path": "user/STICK/leaflets", "allow_unverified": "1", "csrf_token": CSRF},
    )
    assert started.status_code == 200  # followed to the jobs page
    jobs.run_queued(hub, {"import": import_job})
    assert hub.course("pdf-leaflets") is not None
    assert (stick / "leaflets" / "02-bandages.pdf").exists()  # the stick is only read


def test_the_disk_check_refuses_in_the_browser_too(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tutor = client_for(hub, Role.TUTOR)
    book = make_epub(tmp_path / "book.epub")
    sent = tutor.post("/tutor/import/upload", files={"file": (book.name, book.read_bytes())},
                      data={"csrf_token": CSRF}, follow_redirects=False)  # fmt: skip
    token = sent.headers["location"].rsplit("=", 1)[1]
    monkeypatch.setattr(imports, "free_bytes", lambda path: 1024)
    preview = tutor.get(sent.headers["location"])
    assert "This does not fit" in preview.text and 'action="/tutor/import/start"' not in preview.text
    started = tutor.post(
        "/tutor/import/start", data={"upload": token, "allow_unverified": "1", "csrf_token": CSRF}
    )
    assert started.status_code == 400 and "not enough free disk space" in started.text
    assert jobs.recent_jobs(hub.db, {"import"}) == []
    too_big = tutor.post("/tutor/import/upload", files={"file": (book.name, book.read_bytes())},
                         data={"csrf_token": CSRF})  # fmt: skip
    assert too_big.status_code == 413 and "not enough free disk space" in too_big.text


def test_uploads_are_capped_checked_for_kind_and_can_be_cancelled(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    tutor = client_for(hub, Role.TUTOR)
    wrong = tutor.post(
        "/tutor/import/upload", files={"file": ("notes.docx", b"hello")}, data={"csrf_token": CSRF}
    )
    assert wrong.status_code == 400 and "notes.docx is not something the hub imports" in wrong.text
    monkeypatch.setattr("hub.plugins.imports.routes.MAX_UPLOAD_BYTES", 1000)
    big = tutor.post("/tutor/import/upload", files={"file": ("big.pdf", b"%PDF" + b"x" * 2000)},
                     data={"csrf_token": CSRF})  # fmt: skip
    assert big.status_code == 413 and "too large to upload" in big.text
    assert not imports.upload_folder(hub).exists() or not any(imports.upload_folder(hub).iterdir())
    monkeypatch.setattr("hub.plugins.imports.routes.MAX_UPLOAD_BYTES", 10**9)
    book = make_epub(tmp_path / "book.epub")
    sent = tutor.post("/tutor/import/upload", files={"file": ("../../evil name.epub", book.read_bytes())},
                      data={"csrf_token": CSRF}, follow_redirects=False)  # fmt: skip
    token = sent.headers["location"].rsplit("=", 1)[1]
    assert [p.name for p in (imports.upload_folder(hub) / token).iterdir()] == ["evil name.epub"]
    tutor.post("/tutor/import/cancel", data={"upload": token, "allow_unverified": "1", "csrf_token": CSRF})
    assert not (imports.upload_folder(hub) / token).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/tutor/import"),
        ("get", "/tutor/jobs"),
        ("get", "/tutor/import/preview"),
        ("post", "/tutor/import/start"),
        ("post", "/tutor/import/cancel"),
    ],
)
def test_only_tutors_and_admins_may_import(hub: Hub, method: str, path: str):
    kwargs = {"data": {"csrf_token": CSRF}} if method == "post" else {}
    assert getattr(client_for(hub, None), method)(path, **kwargs).status_code == 401
    assert getattr(client_for(hub, Role.LEARNER), method)(path, **kwargs).status_code == 403
    assert getattr(client_for(hub, Role.ADMIN), method)(path, **kwargs).status_code in (200, 400)


def test_import_forms_need_the_csrf_token(hub: Hub, tmp_path: Path):
    tutor = client_for(hub, Role.TUTOR)
    plain = TestClient(tutor.app, base_url="http://hub.test", cookies=dict(tutor.cookies))
    book = make_epub(tmp_path / "book.epub")
    refused = plain.post("/tutor/import/upload", files={"file": (book.name, book.read_bytes())})
    assert refused.status_code == 403 and "This form has expired" in refused.text
    wrong = plain.post("/tutor/import/start", data={"upload": "0" * 32, "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert jobs.recent_jobs(hub.db, {"import"}) == [] and not imports.upload_folder(hub).exists()


def test_other_kinds_of_jobs_show_on_the_jobs_page(hub: Hub):
    jobs.submit(hub.db, "transcode", {"name": "clip.mov"})
    page = client_for(hub, Role.TUTOR).get("/tutor/jobs").text
    assert "Video or sound for phones: clip.mov" in page and "Waiting" in page


def test_the_command_line_shows_the_preview_and_imports(tmp_path: Path):
    home = tmp_path / "home"
    zim = make_zim(tmp_path / "wikimed.zim")
    result = run_hub("content", "import", zim, "--yes", "--allow-unverified", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wikimed.zim: ZIM" in result.stdout and "Test WikiMed" in result.stdout
    assert "Imported zim-test-wikimed v1: Test WikiMed" in result.stdout
    empty = tmp_path / "empty.pdf"
    empty.touch()
    refused = run_hub("content", "import", empty, home=home)
    assert (
        refused.returncode == 1
        and "empty.pdf was not imported: empty.pdf is empty (0 bytes)" in refused.stdout
    )


def test_admins_set_extra_import_folders(hub: Hub):
    admin = client_for(hub, Role.ADMIN)
    form = {"hub_name": "Hub", "default_language": "en", "guest_retention_days": "0", "csrf_token": CSRF}
    refused = admin.post("/admin/settings", data={**form, "import_folders": "relative/folder"})
    assert refused.status_code == 400 and "full path starting with /" in refused.text
    saved = admin.post("/admin/settings", data={**form, "import_folders": "/srv/library\n\n/data/zims \n"})
    assert saved.status_code == 200
    assert hub.setting("import_folders") == ["/srv/library", "/data/zims"]
