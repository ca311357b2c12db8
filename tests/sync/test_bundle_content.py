"""Courses on a USB stick: a published course reaches another hub with the same bytes and its
verified mark; export is incremental; every damaged or untrusted course is refused alone with a
clear message and nothing of it changes; one stick serves two hubs in one round."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from content.blobs import blob_relpath
from content.package import MANIFEST, SIGNATURE, build_package, canonical_json
from content.signing import SecretKey, generate_key, sign
from hub import progress, trust
from hub.db import transaction
from hub.home import Hub
from hub.library import import_package, stored_package
from hub.plugins.bundles import courses
from sync import bundle, store
from sync.split import PART_SIZE
from tests.conftest import SAMPLE_COURSE, run_hub, write_course
from tests.sync.states import sharing_ids

CLIP = bytes(range(256)) * 4  # 1 KiB: split into four parts when parts are 256 bytes


@pytest.fixture
def publisher() -> SecretKey:
    return generate_key()


def _hub(tmp_path: Path, name: str, publisher: SecretKey) -> Hub:
    hub = sharing_ids(Hub(tmp_path / name))
    trust.trust_key(hub.db, publisher.public, "City Health Office")
    return hub


def _toml(course_id: str, version: int) -> str:
    toml = SAMPLE_COURSE["course.toml"]
    assert isinstance(toml, str)
    return toml.replace('id = "sample-course"', f'id = "{course_id}"').replace(
        "version = 1", f"version = {version}"
    )


def _publish(
    hub: Hub, key: SecretKey, tmp_path: Path, course_id: str = "sample-course", version: int = 1
) -> None:
    author = write_course(
        tmp_path / "author" / f"{course_id}-{version}",
        **{"course.toml": _toml(course_id, version), "media/clip.mp4": CLIP},
    )
    package = tmp_path / "packages" / f"{course_id}-{version}.zip"
    build_package(author, package, key)
    import_package(hub.db, hub.blobs, package)


def _export(hub: Hub, stick: Path, part_size: int = PART_SIZE) -> bundle.ExportResult:
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    return bundle.export(hub.db, hub.device, stick, courses=courses.outgoing(hub, stick), part_size=part_size)


def _import(hub: Hub, stick: Path, *trusted: str, allow_unverified: bool = False) -> courses.CoursesTaken:
    incoming = bundle.read_stick(hub.db, hub.device.id, stick, set(trusted))
    with transaction(hub.db):
        bundle.apply(hub.db, incoming)
    return courses.take_in(hub, incoming, allow_unverified)


def _library(hub: Hub) -> tuple:
    tables = ("courses", "lessons", "files")
    return tuple(sorted(map(tuple, hub.db.execute(f"SELECT * FROM {t}").fetchall())) for t in tables)


def _source(hub: Hub, course_id: str) -> str:
    return next(card.source.status for card in hub.courses() if card.id == course_id)


def _stick_blob(stick: Path, data: bytes = CLIP) -> Path:
    return stick / bundle.ROOT / blob_relpath(hashlib.sha256(data).hexdigest())


@pytest.fixture
def pair(tmp_path: Path, publisher: SecretKey) -> tuple[Hub, Hub, Path]:
    one, two = _hub(tmp_path, "one", publisher), _hub(tmp_path, "two", publisher)
    _publish(one, publisher, tmp_path)
    progress.record(one.db, "ana", "sample-course", "read-me", 0.5)
    return one, two, tmp_path / "stick"


def test_a_published_course_reaches_another_hub_with_the_same_bytes_and_its_verified_mark(pair):
    one, two, stick = pair
    exported = _export(one, stick)
    held = stored_package(one.db, one.blobs, "sample-course")
    assert held is not None and exported.courses_carried == 1
    assert exported.blob_bytes_copied == sum(path.stat().st_size for path in held.files.values())
    taken = _import(two, stick, one.device.id)
    assert [(r.course_id, r.version) for r in taken.imported] == [("sample-course", 1)] and not taken.refused
    sent, arrived = (stored_package(h.db, h.blobs, "sample-course") for h in (one, two))
    assert sent is not None and arrived is not None
    assert (arrived.manifest_raw, arrived.signature) == (sent.manifest_raw, sent.signature)
    assert {sha: path.read_bytes() for sha, path in arrived.files.items()} == {
        sha: path.read_bytes() for sha, path in sent.files.items()
    }
    assert _source(two, "sample-course") == "verified"
    assert progress.for_course(two.db, "ana", "sample-course")["read-me"].progress == 0.5

    before = _library(two)
    again = _import(two, stick)  # re-import: nothing new, nothing changed
    assert not again.imported and not again.refused and _library(two) == before


def test_export_twice_copies_nothing_and_a_pulled_out_copy_is_finished_not_restarted(pair):
    one, _, stick = pair
    first = _export(one, stick)
    assert first.courses_written == 1
    files = sorted(
        p for p in (stick / bundle.ROOT).rglob("*") if p.is_file() and p.name != bundle.BUNDLE_FILE
    )
    stamps = [(p, p.stat().st_mtime_ns) for p in files]
    second = _export(one, stick)
    assert (second.courses_carried, second.courses_written, second.blob_bytes_copied) == (1, 0, 0)
    assert [(p, p.stat().st_mtime_ns) for p in files] == stamps

    blob = _stick_blob(stick)
    blob.unlink()  # the stick was pulled out 100 bytes into copying the clip
    blob.with_name(blob.name + ".part").write_bytes(CLIP[:100])
    third = _export(one, stick)
    assert third.blob_bytes_copied == len(CLIP) - 100 and blob.read_bytes() == CLIP
    assert not list(blob.parent.glob("*.part"))


def test_starter_courses_stay_home(pair, tmp_path: Path):
    one, _, stick = pair
    starter = write_course(tmp_path / "starter", **{"course.toml": _toml("starter-course", 1)})
    import_package(one.db, one.blobs, starter, origin="starter", allow_unverified=True)
    assert [course.id for course in courses.outgoing(one, stick)] == ["sample-course"]


def test_a_course_every_destination_holds_leaves_the_stick(pair):
    one, two, stick = pair
    _export(one, stick)
    _import(two, stick, one.device.id)  # two writes back: its catalog acknowledges the course
    bundle.export(two.db, two.device, stick)
    _import(one, stick, two.device.id)
    result = _export(one, stick)
    assert result.courses_carried == 0
    assert not (stick / bundle.ROOT / one.device.id / bundle.COURSES / "sample-course").exists()
    assert not _stick_blob(stick).exists()


# --- refusals: a clear message, nothing of that course changed, progress still applies ------------


def _resign_bundle(hub: Hub, stick: Path, change) -> None:
    """Change this hub's bundle.json and sign it again with its own key (a trusted hub gone bad)."""
    path = stick / bundle.ROOT / hub.device.id / bundle.BUNDLE_FILE
    signed = json.loads(path.read_bytes())["signed"]
    change(signed)
    document = {
        "signed": signed,
        "signature": hub.device.sign(bundle.BUNDLE_CONTEXT + canonical_json(signed)),
    }
    path.write_text(json.dumps(document))


def _truncate(stick: Path) -> None:
    blob = _stick_blob(stick)
    blob.write_bytes(blob.read_bytes()[:-10])


def _flip(stick: Path) -> None:
    blob = _stick_blob(stick)
    data = bytearray(blob.read_bytes())
    data[500] ^= 0x01
    blob.write_bytes(bytes(data))


def _lose_a_part(stick: Path) -> None:
    blob = _stick_blob(stick)
    assert sorted(p.name[-3:] for p in blob.parent.iterdir()) == ["000", "001", "002", "003"]
    blob.with_name(blob.name + ".002").unlink()


@pytest.mark.parametrize(
    ("damage", "part_size", "expected"),
    [
        (_truncate, PART_SIZE, "its file 'clip.mp4' is shorter than its bundle says"),
        (
            _flip,
            PART_SIZE,
            "its file 'clip.mp4' was changed after it was written (its checksum does not match)",
        ),
        (_lose_a_part, 256, "its file 'clip.mp4' is missing ("),
    ],
    ids=["truncated blob", "flipped byte", "missing split part"],
)
def test_a_damaged_blob_refuses_its_course_alone(pair, damage, part_size: int, expected: str):
    one, two, stick = pair
    _export(one, stick, part_size)
    damage(stick)
    before = _library(two)
    taken = _import(two, stick, one.device.id)
    assert not taken.imported
    [message] = taken.refused
    assert message.startswith("Course sample-course (version 1) was not imported: ") and expected in message
    assert _library(two) == before
    assert progress.for_course(two.db, "ana", "sample-course")["read-me"].progress == 0.5  # progress applies


def test_a_manifest_resigned_by_an_unknown_key_is_refused_unless_allowed(pair):
    one, two, stick = pair
    _export(one, stick)
    place = stick / bundle.ROOT / one.device.id / bundle.COURSES / "sample-course"
    stranger = generate_key()
    signature = sign((place / MANIFEST).read_bytes(), stranger, "re-signed").encode()
    (place / SIGNATURE).write_bytes(signature)

    def describe(signed: dict) -> None:
        signed["courses"][0]["signature"] = bundle._described(signature)

    _resign_bundle(one, stick, describe)
    before = _library(two)
    taken = _import(two, stick, one.device.id)
    [message] = taken.refused
    assert f"signed by key {stranger.public.id}, which this hub does not trust" in message
    assert _library(two) == before

    allowed = _import(two, stick, allow_unverified=True)
    assert [r.course_id for r in allowed.imported] == ["sample-course"]
    assert _source(two, "sample-course") == "untrusted"  # in, but marked as not verified


def test_a_cut_short_manifest_refuses_its_course(pair):
    one, two, stick = pair
    _export(one, stick)
    manifest = stick / bundle.ROOT / one.device.id / bundle.COURSES / "sample-course" / MANIFEST
    manifest.write_bytes(manifest.read_bytes()[:-1])
    before = _library(two)
    [message] = _import(two, stick, one.device.id).refused
    assert "its manifest.json is shorter than its bundle says" in message and _library(two) == before


def test_a_manifest_said_to_be_huge_is_not_read(pair):
    one, two, stick = pair
    _export(one, stick)
    _resign_bundle(one, stick, lambda signed: signed["courses"][0]["manifest"].update(size=10**10))
    [message] = _import(two, stick, one.device.id).refused
    assert "its manifest.json is larger than any this hub reads" in message


def test_a_name_outside_the_stick_folder_refuses_the_stick(pair):
    one, two, stick = pair
    _export(one, stick)

    def escape(signed: dict) -> None:
        signed["courses"][0]["id"] = "../../outside"

    _resign_bundle(one, stick, escape)
    before = _library(two), progress.for_course(two.db, "ana", "sample-course")
    with pytest.raises(bundle.BundleError, match=r"names a file outside its folder: \['../../outside'"):
        _import(two, stick, one.device.id)
    assert (_library(two), progress.for_course(two.db, "ana", "sample-course")) == before


def test_a_blob_name_that_is_not_a_hash_refuses_the_stick(pair):
    one, two, stick = pair
    _export(one, stick)

    def escape(signed: dict) -> None:
        blobs = signed["courses"][0]["blobs"]
        blobs["../" + "0" * 61] = blobs.popitem()[1]

    _resign_bundle(one, stick, escape)
    with pytest.raises(bundle.BundleError, match="names a file outside its folder"):
        _import(two, stick, one.device.id)


# --- one stick, two hubs, the centre in between ------------------------------------------------------


def test_one_stick_serves_two_hubs_and_the_centre_writes_back_what_each_lacks(tmp_path: Path, publisher):
    centre, north, south = (_hub(tmp_path, name, publisher) for name in ("centre", "north", "south"))
    for hub in (north, south):
        _publish(hub, publisher, tmp_path)  # both hold version 1
    _publish(centre, publisher, tmp_path, version=2)  # the centre has a newer one
    _publish(north, publisher, tmp_path, course_id="north-course")  # made on the north hub
    stick = tmp_path / "stick"
    _export(north, stick)
    _export(south, stick)

    taken = _import(centre, stick, north.device.id, south.device.id)
    assert [(r.course_id, r.version) for r in taken.imported] == [("north-course", 1)]
    back = _export(centre, stick)  # what `hub bundle import` writes back
    offered = json.loads((back.folder / bundle.BUNDLE_FILE).read_bytes())["signed"]["courses"]
    assert sorted((c["id"], c["version"]) for c in offered) == [("north-course", 1), ("sample-course", 2)]

    north_took = _import(north, stick, centre.device.id)
    assert [(r.course_id, r.version, r.replaced_version) for r in north_took.imported] == [
        ("sample-course", 2, 1)
    ]
    south_took = _import(south, stick, centre.device.id)
    assert sorted((r.course_id, r.version) for r in south_took.imported) == [
        ("north-course", 1),
        ("sample-course", 2),
    ]
    catalogs = [bundle.catalog(hub.db) for hub in (centre, north, south)]
    assert catalogs == [{"north-course": 1, "sample-course": 2}] * 3
    assert all(_source(hub, "north-course") == "verified" for hub in (centre, south))


def test_the_commands(pair):
    one, two, stick = pair
    exported = run_hub("bundle", "export", stick, home=one.home)
    assert exported.returncode == 0 and "carries 1 courses" in exported.stdout, (
        exported.stdout + exported.stderr
    )
    _flip(stick)
    refused = run_hub("bundle", "import", stick, "--trust-device", one.device.id, home=two.home)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Refused: Course sample-course (version 1) was not imported" in refused.stdout
    assert "Imported 1 new progress changes" in refused.stdout
    run_hub("bundle", "export", stick, home=one.home)  # reads the damaged blob back and copies it again
    imported = run_hub("bundle", "import", stick, home=two.home)
    assert "Imported course sample-course v1: Sample course" in imported.stdout, (
        imported.stdout + imported.stderr
    )


def test_a_course_that_would_not_fit_on_the_disk_is_refused_in_words_before_it_is_copied(
    pair, monkeypatch: pytest.MonkeyPatch
):
    from hub import imports

    one, two, stick = pair
    _export(one, stick)
    monkeypatch.setattr(imports, "free_bytes", lambda path: 150 * 1024**2)  # less than the margin kept
    taken = _import(two, stick, one.device.id)
    assert not taken.imported
    [refusal] = taken.refused
    assert refusal.startswith("Course sample-course (version 1) was not imported: Course sample-course needs")
    assert "the hub has 150.0 MB free" in refusal
    assert not list((two.home / "blobs" / "sha256").glob("*/*")), "nothing was copied"
    assert (
        progress.for_course(two.db, "ana", "sample-course")["read-me"].progress == 0.5
    )  # progress still came
