"""USB bundles between hubs: same result as merging directly, incremental, idempotent, and
every bad stick refused with a clear message and nothing changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from content.quiz import QuestionResult, QuizResult
from hub import privacy, progress
from hub.db import transaction
from hub.home import Hub
from sync import bundle, store
from sync.ownership import handover_proof
from sync.split import StickFileError, read_parts, write_parts
from tests.conftest import run_hub
from tests.sync.states import logged_state, sharing_ids, stored_state


def _hub(tmp_path: Path, name: str) -> Hub:
    return sharing_ids(Hub(tmp_path / name))


def _export(hub: Hub, stick: Path, centre: str | None = None) -> bundle.ExportResult:
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    return bundle.export(hub.db, hub.device, stick, centre=centre)


def _import(hub: Hub, stick: Path, *trust: str) -> bundle.ImportResult:
    incoming = bundle.read_stick(hub.db, hub.device.id, stick, set(trust))
    with transaction(hub.db):
        return bundle.apply(hub.db, incoming)


def _learn(hub: Hub, learner: str, fraction: float, seconds: int = 0) -> None:
    progress.record(hub.db, learner, "c", "a", fraction, seconds)
    result = QuizResult([QuestionResult(None, 1, fraction > 0.5)], 0.5)  # type: ignore[arg-type]
    progress.record_quiz(hub.db, learner, "c", "quiz", result)


def _snapshot(hub: Hub) -> tuple:
    tables = (
        "progress",
        "progress_time",
        "quiz_attempts",
        "forgotten_learners",
        "changes",
        "knowledge",
        "devices",
    )
    return tuple(sorted(hub.db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Hub, Hub, Path]:
    one, two = _hub(tmp_path, "one"), _hub(tmp_path, "two")
    _learn(one, "ana", 0.4, seconds=60)
    _learn(one, "bo", 1.0, seconds=30)
    progress.take_over(two.db, "ana", one.device.id, handover_proof(one.device, "ana", two.device.id))
    _learn(two, "ana", 0.9, seconds=20)
    return one, two, tmp_path / "stick"


def test_a_bundle_gives_what_merging_directly_gives_and_a_second_import_changes_nothing(pair):
    one, two, stick = pair
    expected = logged_state(one, two)
    _export(one, stick)
    result = _import(two, stick, one.device.id)
    assert result.new_changes == 6
    assert stored_state(two) == expected
    ana = progress.for_course(two.db, "ana", "c")["a"]
    assert (ana.progress, ana.seconds) == (0.9, 80)  # max progress; time from both hubs adds up

    before = _snapshot(two)
    assert _import(two, stick).new_changes == 0  # introduced once is enough
    assert _snapshot(two) == before


def test_acknowledgements_come_back_and_both_hubs_agree(pair):
    one, two, stick = pair
    _export(one, stick)
    _import(two, stick, one.device.id)
    _export(
        two, stick, centre="the-centre"
    )  # two's progress and what it holds of one's; two reaches a centre
    _import(one, stick, two.device.id)
    assert stored_state(one) == stored_state(two) == logged_state(one, two)
    peer = dict(one.db.execute("SELECT device_id, counter FROM peer_knowledge").fetchall())
    assert peer[one.device.id] == store.knowledge(one.db)[one.device.id]

    again = _export(one, stick)  # two acknowledged everything: one's old files go, nothing new is written
    assert (again.files_written, again.files_dropped) == (0, 1)
    assert not list((again.folder / "logs").rglob("*.jsonl"))


def test_a_hub_keeps_its_own_changes_on_the_stick_until_one_that_reaches_the_centre_holds_them(pair):
    """D → E → D: E holds D's changes, but E never meets the centre: D's files stay on the stick."""
    one, two, stick = pair
    _export(one, stick)
    _import(two, stick, one.device.id)
    _export(two, stick)  # two reaches no central server
    _import(one, stick, two.device.id)
    kept = _export(one, stick)
    assert kept.files_dropped == 0 and list((kept.folder / "logs").rglob("*.jsonl"))
    _export(two, stick, centre="the-centre")  # two is enrolled now: what it holds will reach the centre
    _import(one, stick, two.device.id)
    assert _export(one, stick).files_dropped == 1


def test_export_is_incremental(pair):
    one, _, stick = pair
    first = _export(one, stick)
    [old] = list((first.folder / "logs").rglob("*.jsonl"))
    written = old.stat().st_mtime_ns, old.read_bytes()
    progress.record(one.db, "ana", "c", "b", 0.2)
    second = _export(one, stick)
    assert (second.changes_written, second.files_written) == (1, 1)
    assert (old.stat().st_mtime_ns, old.read_bytes()) == written
    assert _export(one, stick).changes_written == 0


def test_a_stick_serves_several_hubs_and_relays_through_the_centre(tmp_path: Path):
    one, two, centre = (_hub(tmp_path, n) for n in ("one", "two", "centre"))
    _learn(one, "ana", 0.3)
    _learn(two, "bo", 0.7)
    stick = tmp_path / "stick"
    _export(one, stick)
    _export(two, stick)
    _import(centre, stick, one.device.id, two.device.id)
    _export(centre, stick)
    _import(one, stick, centre.device.id)  # two's folder is skipped; its progress comes via the centre
    assert stored_state(one) == stored_state(centre) == logged_state(one, two)
    introduced = one.db.execute("SELECT introduced_by FROM devices WHERE id = ?", [two.device.id]).fetchone()
    assert introduced == (centre.device.id,)


def test_a_deletion_travels(pair):
    one, two, stick = pair
    _export(one, stick)
    _import(two, stick, one.device.id)
    privacy.delete_learner(one.db, "bo")
    _export(one, stick)
    _import(two, stick)
    assert progress.for_course(two.db, "bo", "c") == {}
    assert not two.db.execute("SELECT 1 FROM changes WHERE learner_id = 'bo' AND kind != 'forget'").fetchall()


# --- refusals: a clear message, nothing changed -------------------------------------------------


def _refused(hub: Hub, stick: Path, *trust: str) -> str:
    before = _snapshot(hub)
    with pytest.raises(bundle.BundleError) as refused:
        _import(hub, stick, *trust)
    assert _snapshot(hub) == before
    return str(refused.value)


def _segment(hub: Hub, stick: Path) -> Path:
    [segment] = list((stick / bundle.ROOT / hub.device.id / "logs").rglob("*.jsonl"))
    return segment


def test_an_unknown_device_is_refused_until_introduced(pair):
    one, two, stick = pair
    _export(one, stick)
    message = _refused(two, stick)
    assert "has not been introduced" in message and one.device.id in message


def test_a_tampered_log_line_is_refused(pair):
    one, two, stick = pair
    _export(one, stick)
    segment = _segment(one, stick)
    lines = segment.read_text().splitlines()
    line = json.loads(lines[1])
    assert line["change"]["kind"] == "attempt"
    line["change"]["score"] = 3  # same length on disk does not matter: the signature covers it
    lines[1] = json.dumps(line, sort_keys=True, separators=(",", ":"))
    segment.write_text("\n".join(lines) + "\n")
    assert "line 2 of" in _refused(two, stick, one.device.id)


def test_a_removed_log_line_is_refused(pair):
    one, two, stick = pair
    _export(one, stick)
    segment = _segment(one, stick)
    lines = segment.read_bytes().splitlines(keepends=True)
    segment.write_bytes(b"".join(lines[:1] + lines[2:]))
    assert "shorter than its bundle says" in _refused(two, stick, one.device.id)


def test_a_tampered_bundle_json_is_refused(pair):
    one, two, stick = pair
    _export(one, stick)
    path = stick / bundle.ROOT / one.device.id / bundle.BUNDLE_FILE
    document = json.loads(path.read_text())
    document["signed"]["knowledge"][one.device.id] = 10**6
    path.write_text(json.dumps(document))
    assert "was changed after device" in _refused(two, stick, one.device.id)


def test_a_bundle_json_naming_another_key_is_refused(tmp_path: Path, pair):
    one, two, stick = pair
    impostor = _hub(tmp_path, "impostor")
    _export(impostor, stick)
    (stick / bundle.ROOT / impostor.device.id).rename(stick / bundle.ROOT / one.device.id)
    assert "does not belong to device" in _refused(two, stick, one.device.id)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda seg, doc: seg.unlink(), "is missing"),
        (lambda seg, doc: seg.write_bytes(seg.read_bytes()[:40]), "is shorter than its bundle says"),
        (lambda seg, doc: doc.unlink(), "bundle.json is missing"),
        (lambda seg, doc: doc.write_bytes(doc.read_bytes()[:100]), "is damaged or incomplete"),
    ],
    ids=["missing file", "truncated file", "missing bundle.json", "truncated bundle.json"],
)
def test_a_half_copied_stick_is_refused(pair, damage, expected):
    one, two, stick = pair
    _export(one, stick)
    damage(_segment(one, stick), stick / bundle.ROOT / one.device.id / bundle.BUNDLE_FILE)
    message = _refused(two, stick, one.device.id)
    assert expected in message and "export again" in message.lower()


def test_a_stick_with_no_bundle_says_so(tmp_path: Path):
    hub = _hub(tmp_path, "one")
    assert "holds no Commons Hub bundle" in _refused(hub, tmp_path)


def test_a_gap_waits_instead_of_being_skipped_over(tmp_path: Path):
    one, two, centre = (_hub(tmp_path, n) for n in ("one", "two", "centre"))
    _learn(one, "ana", 0.3)
    stick = tmp_path / "stick"
    _export(one, stick)
    _import(centre, stick, one.device.id)
    _export(centre, stick, centre=centre.device.id)
    _import(one, stick, centre.device.id)  # centre acknowledges one's first changes
    progress.record(one.db, "ana", "c", "b", 0.5)
    _export(one, stick)  # one's old file is dropped: its only known peer holds it
    result = _import(two, stick, one.device.id)  # but two has never seen those first changes
    assert result.new_changes == 0 and "wait for changes 1–" in result.waiting[0]


# --- FAT32 splitting -------------------------------------------------------------------------------


def test_large_files_are_split_and_read_back_whole(tmp_path: Path):
    data = bytes(range(256)) * 40
    size, sha256, parts = write_parts(tmp_path / "blob", [data[:3000], data[3000:]], part_size=4096)
    assert parts == [4096, 4096, 2048] and size == len(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.000", "blob.001", "blob.002"]
    assert b"".join(read_parts(tmp_path / "blob", parts, sha256, "blob")) == data
    (tmp_path / "blob.001").unlink()
    with pytest.raises(StickFileError, match=r"blob is missing \(blob.001\)"):
        b"".join(read_parts(tmp_path / "blob", parts, sha256, "blob"))
    write_parts(tmp_path / "blob", [b"small"], part_size=4096)  # rewritten smaller: the old parts go
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob"]


# --- the commands a person types -------------------------------------------------------------------


def test_the_commands(pair):
    one, two, stick = pair
    shown = run_hub("device", "show", home=one.home)
    assert one.device.id in shown.stdout
    exported = run_hub("bundle", "export", stick, home=one.home)
    assert exported.returncode == 0 and "Wrote 6 new progress changes" in exported.stdout
    refused = run_hub("bundle", "import", stick, home=two.home)
    assert refused.returncode == 1 and "has not been introduced" in refused.stdout
    imported = run_hub("bundle", "import", stick, "--trust-device", one.device.id, home=two.home)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Imported 6 new progress changes from 1 hubs" in imported.stdout
    assert (
        stick / bundle.ROOT / two.device.id / bundle.BUNDLE_FILE
    ).is_file()  # acknowledgements written back
    assert stored_state(two) == logged_state(one, two)


def test_a_hub_copied_from_another_hubs_sd_card_is_caught_and_nothing_is_taken_in(pair, tmp_path: Path):
    one, two, stick = pair
    copy = Hub(shutil.copytree(one.home, tmp_path / "copied-sd-card"))
    assert copy.device.id == one.device.id  # the same key: the copy does not know it is a copy
    progress.record(one.db, "ana", "c", "b", 0.9)
    progress.record(copy.db, "cy", "c", "a", 0.1)  # the same number, another change
    _export(one, stick)
    _import(two, stick, one.device.id)
    other_stick = tmp_path / "other-stick"
    _export(copy, other_stick)
    message = _refused(two, other_stick)
    assert "two hubs use the same device key" in message and "Nothing of it was taken in" in message

    assert run_hub("device", "new", "--yes", home=copy.home).returncode == 0  # the copy takes its own key
    copy = Hub(copy.home)
    progress.record(copy.db, "cy", "c", "a", 0.3, seconds=45)
    shutil.rmtree(other_stick)
    _export(copy, other_stick)
    _import(two, other_stick, copy.device.id)
    _export(two, stick)
    _import(one, stick, two.device.id)
    assert stored_state(two) == stored_state(one)  # the copy's learner arrived, nothing clashed
    assert ("cy", "c", "a") in {key[:3] for key in stored_state(two).lessons}
    _export(two, other_stick)
    _import(copy, other_stick, two.device.id)  # and the other hub's changes reach the copy
    assert stored_state(copy) == stored_state(two)
