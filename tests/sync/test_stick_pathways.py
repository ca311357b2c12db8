"""The centre's pathways reach hubs by USB stick too (hub/plugins/bundles/pathways.py): signed as
sync hands them out, refused whole when changed on the way or signed by a key the hub does not
trust, and never rolled back by an older stick."""

from __future__ import annotations

import json
from pathlib import Path

from content.signing import parse_public_key
from hub import pathways, trust
from hub.home import Hub
from hub.plugins.bundles import carry
from hub.plugins.bundles.pathways import CATALOG_FILE
from sync import bundle
from tests.sync.test_publications import _by_title, _care_at_home


def _far_hub(centre: Hub, home: Path, trusting: bool = True) -> Hub:
    """A hub that never met the centre; its admin trusts the centre's content key (to take its
    courses from sticks) unless told not to."""
    far = Hub(home)
    if trusting:
        key = trust.ensure_own_key(centre.home, centre.db, "City learning office")
        trust.trust_key(far.db, parse_public_key(key.public.text()), "City learning office")
    return far


def _catalog_on(stick: Path, centre: Hub) -> Path:
    return stick / bundle.ROOT / centre.device.id / CATALOG_FILE


def test_a_hub_that_never_met_the_centre_takes_its_pathways_from_a_stick(centre: Hub, tmp_path: Path) -> None:
    _, sample, first_aid = _care_at_home(centre, tmp_path)
    stick = tmp_path / "stick"
    carry.export_to(centre, stick)
    far = _far_hub(centre, tmp_path / "far")

    outcome = carry.import_from(far, stick, {centre.device.id}, write_back=False)

    assert outcome.pathways == 1 and not outcome.pathways_refused
    assert _by_title(far) == {"Care at home": [first_aid, sample]}


def test_pathways_changed_on_the_way_are_refused_and_nothing_changes(centre: Hub, tmp_path: Path) -> None:
    _care_at_home(centre, tmp_path)
    stick = tmp_path / "stick"
    carry.export_to(centre, stick)
    signed = json.loads(_catalog_on(stick, centre).read_text())
    signed["catalog"]["pathways"][0]["title"] = "Buy our remedy"
    _catalog_on(stick, centre).write_text(json.dumps(signed))
    far = _far_hub(centre, tmp_path / "far")

    outcome = carry.import_from(far, stick, {centre.device.id}, write_back=False)

    assert (
        outcome.pathways == 0 and "not signed by the central server's content key" in outcome.pathways_refused
    )
    assert _by_title(far) == {}
    assert len(outcome.imported) == 2  # the courses, each checked on its own, still came in


def test_pathways_signed_by_a_key_the_hub_does_not_trust_are_refused(centre: Hub, tmp_path: Path) -> None:
    _care_at_home(centre, tmp_path)
    stick = tmp_path / "stick"
    carry.export_to(centre, stick)
    _catalog_on(stick, centre).write_bytes(_catalog_on(stick, centre).read_bytes()[:200])  # cut short too
    far = _far_hub(centre, tmp_path / "far", trusting=False)

    outcome = carry.import_from(far, stick, {centre.device.id}, write_back=False, allow_unverified=True)

    assert outcome.pathways == 0 and "refused" in outcome.pathways_refused
    assert _by_title(far) == {}


def test_an_older_stick_does_not_bring_back_a_pathway_the_centre_removed(centre: Hub, tmp_path: Path) -> None:
    made, _, _ = _care_at_home(centre, tmp_path)
    old, new = tmp_path / "old-stick", tmp_path / "new-stick"
    carry.export_to(centre, old)
    pathways.delete_pathway(centre.db, made)
    carry.export_to(centre, new)
    far = _far_hub(centre, tmp_path / "far")

    assert carry.import_from(far, old, {centre.device.id}, write_back=False).pathways == 1
    carry.import_from(far, new, {centre.device.id}, write_back=False)
    assert _by_title(far) == {}
    again = carry.import_from(far, old, {centre.device.id}, write_back=False)  # found in a drawer
    assert again.pathways == 0 and not again.pathways_refused
    assert _by_title(far) == {}
