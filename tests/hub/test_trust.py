"""Verified sources: the trust store, the import decision, the marks, export and the key pages."""

import hashlib
import io
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from content.blobs import blob_relpath
from content.errors import ContentError
from content.package import MANIFEST, SIGNATURE, build_package, write_package
from content.signing import SecretKey, SignatureError, UnknownSigner, UnverifiedContent, generate_key
from hub import learners, trust
from hub.home import Hub
from hub.library import import_package, stored_package
from hub.sources import trusted_keys
from tests.conftest import SAMPLE_COURSE, BrowserClient, run_hub, write_course


@pytest.fixture
def publisher() -> SecretKey:
    return generate_key()


def signed_package(folder: Path, out: Path, key: SecretKey) -> Path:
    build_package(folder, out, key)
    return out


def courses_snapshot(hub: Hub) -> list[tuple]:
    courses = hub.db.execute("SELECT * FROM courses ORDER BY id").fetchall()
    lessons = hub.db.execute("SELECT * FROM lessons ORDER BY course_id, position").fetchall()
    return [*courses, *lessons]


def source_of(hub: Hub, course_id: str) -> tuple[str, str]:
    card = next(c for c in hub.courses() if c.id == course_id)
    return card.source.status, card.source.name


def test_round_trip_to_a_second_hub_keeps_bytes_signature_and_mark(
    course_folder: Path, tmp_path: Path, publisher: SecretKey
):
    package = signed_package(course_folder, tmp_path / "signed.zip", publisher)
    first, second = Hub(tmp_path / "first"), Hub(tmp_path / "second")
    for hub in (first, second):
        trust.trust_key(hub.db, publisher.public, "City Health Office")
    result = import_package(first.db, first.blobs, package)
    assert result.signer is not None and result.signer.verified_by == publisher.public
    assert source_of(first, "sample-course") == ("verified", "City Health Office")

    stored = stored_package(first.db, first.blobs, "sample-course")
    assert stored is not None
    write_package(tmp_path / "export.zip", stored.manifest_raw, stored.signature, stored.files)
    import_package(second.db, second.blobs, tmp_path / "export.zip")

    with zipfile.ZipFile(package) as original, zipfile.ZipFile(tmp_path / "export.zip") as exported:
        assert exported.read(MANIFEST) == original.read(MANIFEST)
        assert exported.read(SIGNATURE) == original.read(SIGNATURE)
        assert sorted(exported.namelist()) == sorted(original.namelist())
    assert source_of(second, "sample-course") == ("verified", "City Health Office")
    query = "SELECT package_manifest, signature, manifest, manifest_sha256 FROM courses"
    assert first.db.execute(query).fetchall() == second.db.execute(query).fetchall()
    lessons = "SELECT id, position, data FROM lessons ORDER BY position"
    assert first.db.execute(lessons).fetchall() == second.db.execute(lessons).fetchall()
    for sha256 in stored.files:
        assert second.blobs.path(sha256).read_bytes() == first.blobs.path(sha256).read_bytes()


def flip_byte(path: Path, needle: bytes | None = None) -> None:
    data = bytearray(path.read_bytes())
    data[data.index(needle) if needle else len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def damage_manifest(pkg: Path) -> None:
    flip_byte(pkg / MANIFEST, b"Sample course v2")


NEW_CLIP = b"\x00\x00\x00\x18ftypmp42 the second version's clip"


def new_blob(pkg: Path) -> Path:
    """The file only version 2 has (a file the hub already holds is never read again)."""
    return pkg / blob_relpath(hashlib.sha256(NEW_CLIP).hexdigest())


def damage_blob(pkg: Path) -> None:
    flip_byte(new_blob(pkg))


def re_sign_with_unknown_key(pkg: Path) -> None:
    other = generate_key()
    shutil.rmtree(pkg)
    build_package(write_course(pkg.parent / "v2-other", title_v2()), pkg, other)


def remove_blob(pkg: Path) -> None:
    new_blob(pkg).unlink()


def remove_signature(pkg: Path) -> None:
    (pkg / SIGNATURE).unlink()


def garble_signature(pkg: Path) -> None:
    text = (pkg / SIGNATURE).read_text()
    (pkg / SIGNATURE).write_text(
        text.replace(text.splitlines()[1], text.splitlines()[1][:20] + "@@" + "A" * 80)
    )


def truncate_signature(pkg: Path) -> None:
    (pkg / SIGNATURE).write_bytes((pkg / SIGNATURE).read_bytes()[:60])


def title_v2() -> dict[str, str | bytes]:
    toml = str(SAMPLE_COURSE["course.toml"]).replace("version = 1", "version = 2")
    return {
        **SAMPLE_COURSE,
        "course.toml": toml.replace('"Sample course"', '"Sample course v2"'),
        "media/clip.mp4": NEW_CLIP,
    }


@pytest.mark.parametrize(
    ("damage", "problem", "even_when_allowed"),
    [
        (damage_manifest, "does not match its signature", True),
        (damage_blob, "does not match", True),
        (re_sign_with_unknown_key, "does not trust", False),
        (remove_blob, "missing", True),
        (remove_signature, "not signed", False),
        (garble_signature, "garbled", True),
        (truncate_signature, "truncated or garbled", True),
    ],
)
def test_a_damaged_or_foreign_package_is_refused_and_nothing_changes(
    tmp_path: Path, publisher: SecretKey, damage, problem: str, even_when_allowed: bool
):
    hub = Hub(tmp_path / "home")
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    import_package(
        hub.db, hub.blobs, signed_package(write_course(tmp_path / "v1"), tmp_path / "v1.zip", publisher)
    )
    before = courses_snapshot(hub)
    package = signed_package(write_course(tmp_path / "v2-src", title_v2()), tmp_path / "v2", publisher)
    damage(package)

    with pytest.raises(ContentError, match=problem) as refused:
        import_package(hub.db, hub.blobs, package)
    assert isinstance(refused.value, UnverifiedContent) is not even_when_allowed
    # Allowing unverified content never lets it replace a verified course (issue 17, finding 13).
    with pytest.raises(ContentError, match=problem if even_when_allowed else "may not replace it"):
        import_package(hub.db, hub.blobs, package, allow_unverified=True)
    assert courses_snapshot(hub) == before
    assert source_of(hub, "sample-course") == ("verified", "City Health Office")


def test_unverified_content_comes_in_only_when_allowed_and_is_marked(tmp_path: Path, publisher: SecretKey):
    hub = Hub(tmp_path / "home")
    package = signed_package(write_course(tmp_path / "c"), tmp_path / "c.zip", publisher)
    with pytest.raises(UnknownSigner, match=publisher.public.id) as refused:
        import_package(hub.db, hub.blobs, package)
    assert refused.value.key_id == publisher.public.id
    assert hub.courses() == []
    import_package(hub.db, hub.blobs, package, allow_unverified=True)
    assert source_of(hub, "sample-course") == ("untrusted", "Test team")
    # Trusting the key afterwards checks the kept signature, and the course becomes verified.
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    assert source_of(hub, "sample-course") == ("verified", "City Health Office")


def test_a_forged_signature_under_a_trusted_key_id_stays_unverified(tmp_path: Path, publisher: SecretKey):
    hub = Hub(tmp_path / "home")
    forger = SecretKey(publisher.key_id, generate_key().private)  # same key id, other key
    import_package(
        hub.db, hub.blobs, signed_package(write_course(tmp_path / "c"), tmp_path / "c.zip", forger),
        allow_unverified=True,
    )  # fmt: skip
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    assert source_of(hub, "sample-course")[0] == "untrusted"
    with pytest.raises(SignatureError, match="forged"):
        import_package(hub.db, hub.blobs, tmp_path / "c.zip", allow_unverified=True)


def test_untrusting_a_key_takes_the_mark_away_at_once(app: FastAPI, hub: Hub, tmp_path: Path, publisher):
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    other = write_course(tmp_path / "other", {**SAMPLE_COURSE, "course.toml": str(
        SAMPLE_COURSE["course.toml"]).replace('"sample-course"', '"signed-course"')})  # fmt: skip
    import_package(hub.db, hub.blobs, signed_package(other, tmp_path / "o.zip", publisher))
    with TestClient(app) as client:
        assert (
            "Published by City Health Office · verified source" in client.get("/courses/signed-course").text
        )
        assert "verified source" in client.get("/courses").text
        api = client.get("/api/v1/courses/signed-course").json()["source"]
        assert api["status"] == "verified" and api["key_id"] == publisher.public.id
        trust.untrust_key(hub.db, publisher.public.id.lower())
        page = client.get("/courses/signed-course").text
        assert "Signed by a publisher this hub does not trust — not verified" in page
        assert "The course names its publisher as: Test team" in page
        assert "verified source" not in client.get("/courses").text
        assert client.get("/api/v1/courses").json()[0]["source"]["status"] in ("untrusted", "local")


def test_every_card_says_where_the_course_comes_from(client: TestClient, hub: Hub):
    hub.import_starter()
    courses = client.get("/courses?lang=all").text + client.get("/courses?lang=all&page=2").text  # 30 a page
    assert courses.count('class="source-mark is-starter"') == len(hub.courses()) - 1
    assert courses.count("Made locally, not verified") == 1
    starter = client.get("/courses/first-aid-en").text
    assert "From the Commons Hub starter courses" in starter
    assert "not signed" not in starter and "not verified" not in starter  # no warning on a starter


def test_a_name_or_key_that_cannot_be_trusted_is_refused(hub: Hub, publisher: SecretKey):
    with pytest.raises(trust.TrustError, match="1 to 80 characters"):
        trust.trust_key(hub.db, publisher.public, "  ")
    with pytest.raises(trust.TrustError, match="1 to 80 characters"):
        trust.trust_key(hub.db, publisher.public, "Two\nlines")
    with pytest.raises(trust.TrustError, match="not a minisign public key"):
        trust.read_public_key("ssh-ed25519 AAAAC3Nza…")
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    impostor = SecretKey(publisher.key_id, generate_key().private).public
    with pytest.raises(trust.TrustError, match="different key with the id"):
        trust.trust_key(hub.db, impostor, "Impostor")
    with pytest.raises(trust.TrustError, match="does not trust a key"):
        trust.untrust_key(hub.db, "0123456789ABCDEF")
    assert [k.name for k in trusted_keys(hub.db)] == ["City Health Office"]


def test_the_hubs_own_key_is_private_and_trusted(hub: Hub):
    key = trust.ensure_own_key(hub.home, hub.db, "Riverside Library")
    secret = hub.home / "keys" / "hub.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    assert trust.ensure_own_key(hub.home, hub.db, "ignored").public == key.public
    assert (hub.home / "keys" / "hub.pub").read_text().splitlines()[1] == key.public.fingerprint
    assert [(k.key, k.name) for k in trusted_keys(hub.db)] == [(key.public, "Riverside Library")]
    with pytest.raises(trust.TrustError, match="already has a signing key"):
        trust.create_own_key(hub.home, hub.db, "Again")


def signed_in(app: FastAPI, hub: Hub, role: learners.Role) -> BrowserClient:
    secret = "long-password" if role in learners.STAFF_ROLES else ""
    account = learners.create_account(hub.db, f"{role.value}-person", role, secret)
    client = BrowserClient(app, base_url="http://hub.test")
    client.cookies.set("hub_csrf", "t")
    client.cookies.set("hub_session", learners.start_session(hub.db, account.id))
    return client


def test_admin_key_pages(app: FastAPI, hub: Hub, publisher: SecretKey):
    with signed_in(app, hub, learners.Role.ADMIN) as admin:
        assert 'href="/admin/keys"' in admin.get("/admin").text
        page = admin.get("/admin/keys")
        assert page.status_code == 200 and trust.own_key(hub.home) is None  # looking makes nothing
        assert "no signing key yet" in page.text and 'action="/admin/keys/own"' in page.text
        page = admin.post("/admin/keys/own")
        own = trust.own_key(hub.home)
        assert page.status_code == 200 and own is not None
        assert own.public.fingerprint in page.text and own.public.id in page.text

        bad = admin.post("/admin/keys", data={"name": "Health Office", "key_text": "not a key at all"})
        assert bad.status_code == 400
        assert "This is not a minisign public key" in bad.text
        assert "not a key at all" in bad.text  # what the person typed is kept for them to fix
        assert len(trusted_keys(hub.db)) == 1

        pasted = admin.post(
            "/admin/keys", data={"name": "City Health Office", "key_text": publisher.public.fingerprint}
        )
        assert "City Health Office is now a trusted publisher" in pasted.text
        assert publisher.public.fingerprint in pasted.text

        other = generate_key()
        upload = {"key_file": ("other.pub", io.BytesIO(other.public.text().encode()), "text/plain")}
        uploaded = admin.post("/admin/keys", data={"name": "Red Cross"}, files=upload)
        assert uploaded.status_code == 200 and other.public.id in uploaded.text
        huge = {"key_file": ("big.pub", io.BytesIO(b"x" * 10_000), "text/plain")}
        assert admin.post("/admin/keys", data={"name": "Big"}, files=huge).status_code == 400

        removed = admin.post(f"/admin/keys/{other.public.id}/delete")
        assert "Red Cross is no longer trusted" in removed.text
        gone = admin.post(f"/admin/keys/{other.public.id}/delete")
        assert gone.status_code == 400 and "does not trust a key" in gone.text
        assert {k.name for k in trusted_keys(hub.db)} == {"Commons Hub", "City Health Office"}


def test_key_pages_are_for_admins_with_a_csrf_token(app: FastAPI, hub: Hub, publisher: SecretKey):
    form = {"name": "Eve", "key_text": publisher.public.fingerprint}
    admin_account = learners.create_account(hub.db, "Ada", learners.Role.ADMIN, "long-password")
    with signed_in(app, hub, learners.Role.TUTOR) as tutor:
        assert tutor.get("/admin/keys").status_code == 403
        assert tutor.post("/admin/keys", data=form).status_code == 403
    with TestClient(app) as guest:
        assert guest.get("/admin/keys").status_code == 401
    with TestClient(app) as forged:  # a session cookie but no CSRF token: a forged cross-site form
        forged.cookies.set("hub_session", learners.start_session(hub.db, admin_account.id))
        assert forged.post("/admin/keys", data=form).status_code == 403
    assert trusted_keys(hub.db) == []


def test_tutors_download_a_course_that_imports_elsewhere(app: FastAPI, hub: Hub, tmp_path: Path, publisher):
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    package = signed_package(write_course(tmp_path / "c", title_v2()), tmp_path / "c.zip", publisher)
    import_package(hub.db, hub.blobs, package)
    with signed_in(app, hub, learners.Role.TUTOR) as tutor:
        assert 'href="/tutor/courses/sample-course/package.zip"' in tutor.get("/courses/sample-course").text
        download = tutor.get("/tutor/courses/sample-course/package.zip")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        assert 'filename="sample-course-v2.zip"' in download.headers["content-disposition"]
        assert tutor.get("/tutor/courses/nope/package.zip").status_code == 404
    (tmp_path / "download.zip").write_bytes(download.content)
    with (
        zipfile.ZipFile(tmp_path / "download.zip") as archive,
        zipfile.ZipFile(tmp_path / "c.zip") as original,
    ):
        assert archive.read(SIGNATURE) == original.read(SIGNATURE)
    elsewhere = Hub(tmp_path / "elsewhere")
    trust.trust_key(elsewhere.db, publisher.public, "City Health Office")
    import_package(elsewhere.db, elsewhere.blobs, tmp_path / "download.zip")
    assert source_of(elsewhere, "sample-course") == ("verified", "City Health Office")

    with signed_in(app, hub, learners.Role.LEARNER) as learner:
        assert "package.zip" not in learner.get("/courses/sample-course").text
        assert learner.get("/tutor/courses/sample-course/package.zip").status_code == 403
    with TestClient(app) as guest:
        assert guest.get("/tutor/courses/sample-course/package.zip").status_code == 401


def test_a_course_with_a_missing_file_is_not_exported(app: FastAPI, hub: Hub):
    sha256 = next(iter(stored_package(hub.db, hub.blobs, "sample-course").files))  # type: ignore[union-attr]
    hub.blobs.path(sha256).unlink()
    with signed_in(app, hub, learners.Role.TUTOR) as tutor:
        refused = tutor.get("/tutor/courses/sample-course/package.zip")
        assert refused.status_code == 409 and "missing" in refused.text


def test_key_and_export_commands(course_folder: Path, tmp_path: Path):
    home, other = tmp_path / "home", tmp_path / "other"
    made = run_hub("keys", "create", "-o", tmp_path / "publisher.key")
    assert made.returncode == 0, made.stdout
    assert stat.S_IMODE((tmp_path / "publisher.key").stat().st_mode) == 0o600
    again = run_hub("keys", "create", "-o", tmp_path / "publisher.key")
    assert again.returncode == 1 and "never overwritten" in again.stdout

    built = run_hub(
        "content", "build", course_folder, "-o", tmp_path / "p.zip", "--sign", tmp_path / "publisher.key"
    )
    assert built.returncode == 0 and "signed by key" in built.stdout, built.stdout
    for where in (home, other):
        trusted = run_hub(
            "keys", "trust", tmp_path / "publisher.pub", "--name", "City Health Office", home=where
        )
        assert trusted.returncode == 0, trusted.stdout
    imported = run_hub("content", "import", tmp_path / "p.zip", home=home)
    assert imported.returncode == 0 and "verified source" in imported.stdout, imported.stdout
    listed = run_hub("keys", "list", home=home)
    assert "City Health Office" in listed.stdout and "no signing key yet" in listed.stdout

    exported = run_hub("content", "export", "sample-course", "-o", tmp_path / "out", home=home)
    assert exported.returncode == 0 and "with its signature" in exported.stdout, exported.stdout
    assert run_hub("content", "import", tmp_path / "out", home=other).returncode == 0
    assert "verified source" in run_hub("content", "list", home=other).stdout
    missing = run_hub("content", "export", "nope", "-o", tmp_path / "x.zip", home=home)
    assert missing.returncode == 1 and "no course 'nope'" in missing.stdout

    public = trust.read_public_key((tmp_path / "publisher.pub").read_text())
    assert run_hub("keys", "untrust", public.id, home=other).returncode == 0
    assert "does not trust" in run_hub("content", "list", home=other).stdout
    unknown = run_hub("keys", "untrust", "nonsense", home=other)
    assert unknown.returncode == 1 and "is not a key id" in unknown.stdout
