"""The centre's pathways by stick, for hubs its network reaches only that way.

A central server writing its folder on a stick puts its signed catalog beside its bundle.json
(`catalog.json`, signed by its content key exactly as sync hands it out: hub/plugins/sync/
catalog.py). A hub importing the stick takes the pathways it lists, as a sync would
(publications.take_pathways), if the catalog is its centre's: the centre it is enrolled with, or,
for a hub that never met one, a folder that says it is a centre's (its bundle.json names itself
as the centre it reaches), signed by a publisher key this hub trusts. A catalog issued before the
one whose pathways the hub holds (a stick that lay in a drawer) changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from content.signing import PublicKey, parse_public_key
from hub import sources
from hub.db import transaction
from hub.home import Hub
from hub.plugins.sync import client, publications
from hub.plugins.sync.catalog import checked_catalog, signed_catalog
from hub.settings import load_settings
from sync import bundle
from sync.split import write_parts

CATALOG_FILE = "catalog.json"
MAX_CATALOG_BYTES = 8 * 2**20


class PathwaysRefused(Exception):
    """The pathways on the stick cannot be taken in; the message says why. Nothing changed."""


def write(hub: Hub, folder: Path) -> None:
    """Put this centre's signed catalog in its folder on the stick."""
    signed = signed_catalog(hub, load_settings(hub).hub_name)
    write_parts(folder / CATALOG_FILE, [json.dumps(signed, sort_keys=True).encode()])


def take(hub: Hub, stick: Path, incoming: bundle.Incoming) -> int:
    """Take in the pathways of this hub's centre's catalog on the stick; return how many it lists
    (0: no newer catalog of its centre there). PathwaysRefused, with nothing changed, when the
    catalog is not signed by the centre's content key or cannot be read."""
    devices, keys = _centres(hub, incoming)
    for device in devices:
        path = stick / bundle.ROOT / device / CATALOG_FILE
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_CATALOG_BYTES:
            raise PathwaysRefused(f"the central server's catalog on the stick ({path}) is too large")
        try:
            catalog = checked_catalog(json.loads(path.read_bytes()), keys)
        except ValueError as error:  # json's errors are ValueErrors too
            raise PathwaysRefused(
                f"the central server's pathways on the stick were refused: {error}"
            ) from None
        issued = str(catalog.get("issued_at", ""))
        if catalog.get("central") != device or "pathways" not in catalog:
            raise PathwaysRefused("the catalog on the stick is not the central server's own")
        if issued <= str(hub.setting(publications.TAKEN_SETTING) or ""):
            return 0
        try:
            with transaction(hub.db):
                publications.take_pathways(hub.db, catalog["pathways"])
                hub.set_setting(publications.TAKEN_SETTING, issued)
        except publications.UnreadablePathways as error:
            raise PathwaysRefused(
                f"the central server's pathways on the stick cannot be read: {error}"
            ) from None
        return len(catalog["pathways"])
    return 0


def _centres(hub: Hub, incoming: bundle.Incoming) -> tuple[list[str], list[PublicKey]]:
    """Whose catalog this hub would take from the stick, and the keys it must be signed with."""
    enrolled = client.central(hub)
    if enrolled is not None:
        device = str(enrolled["device"])
        return ([device] if device in incoming.peers else []), [
            parse_public_key(str(enrolled["content_key"]))
        ]
    centres = [
        device for device, centre in incoming.centres.items() if centre == device and device in incoming.peers
    ]
    return sorted(centres), sources.trusted_public_keys(hub.db)
