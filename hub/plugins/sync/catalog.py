"""The centre's signed catalog, built and signed once per change of its library.

`catalog_content` is the one place that says what the catalog lists. The signed catalog is kept
with its serialised forms and an ETag until the library generation moves (hub/library.py: every
import, every change of the trusted keys) or a pathway changes, so a hub whose catalog is current
gets a 304 and the centre neither rebuilds, re-signs nor re-serialises it per request.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from content.errors import ContentError
from content.package import canonical_json
from content.signing import PublicKey, Signature, parse_signature, sign, verify
from hub import interface_languages, library, library_keep, retractions, trust
from hub.home import Hub
from hub.plugins.sync.publications import published_pathways
from sync import protocol

CATALOG_FORMAT = "commons-hub-catalog"


def catalog_content(hub: Hub) -> dict[str, Any]:
    """What the catalog says, before it is signed: the signed courses the centre hands out (not the
    retracted ones; with their topics and size, so a hub's admin can choose), the pathways it made
    (hub/plugins/sync/publications.py) and the retractions it holds, each signed by its own maker
    (hub/retractions.py)."""
    library_keep.ensure_counted(hub.db)  # sizes of courses imported before the hub kept them
    rows = hub.db.execute(
        "SELECT id, version, manifest_sha256, title, language, topics, size_bytes FROM courses"
        " WHERE package_manifest IS NOT NULL AND signature IS NOT NULL AND signer_key IS NOT NULL"
        f" AND id NOT IN ({retractions.HIDDEN}) ORDER BY id"
    ).fetchall()
    return {
        "format": CATALOG_FORMAT,
        "version": 1,
        "central": hub.device.id,
        "issued_at": datetime.now(UTC).isoformat(timespec="microseconds"),  # sticks compare them
        "courses": [
            {
                "id": r[0],
                "version": r[1],
                "manifest_sha256": r[2],
                "title": r[3],
                "language": r[4],
                "topics": json.loads(r[5]),
                "bytes": r[6],
            }
            for r in rows
        ],
        "pathways": published_pathways(hub.db),
        "retractions": [document.decode() for document in retractions.documents(hub.db)],
        # The interface languages it holds, each signed by the hub that made it (hub/interface_languages.py)
        "languages": [document.decode() for document in interface_languages.documents(hub.db)],
    }


def generation(db: Database) -> str:
    """What the catalog follows: the library's generation and the pathways' (migration 16's triggers)."""
    row = db.execute("SELECT value FROM settings WHERE key = 'pathways_generation'").fetchone()
    languages = db.execute(
        "SELECT value FROM settings WHERE key = ?", [interface_languages.GENERATION]
    ).fetchone()
    return f"{library.library_generation(db)}.{row[0] if row else 0}.{languages[0] if languages else 0}"


@dataclass(frozen=True)
class SignedCatalog:
    generation: str
    etag: str
    answer: protocol.PackedJson


def _etag(content: dict[str, Any]) -> str:
    """The same for the same list (whenever it was issued), so a restarted centre sends no hub a
    catalog it already has."""
    lasting = {k: v for k, v in content.items() if k != "issued_at"}
    return '"' + hashlib.sha256(canonical_json(lasting)).hexdigest()[:32] + '"'


class CatalogCache:
    """The latest signed catalog of one centre; rebuilt by the first request after a library change."""

    def __init__(self) -> None:
        self._signed: SignedCatalog | None = None
        self._lock = threading.Lock()

    def current(self, hub: Hub, hub_name: str) -> SignedCatalog:
        now = generation(hub.db)
        with self._lock:
            if self._signed is None or self._signed.generation != now:
                self._signed = self._build(hub, hub_name, now)
            return self._signed

    @staticmethod
    def _build(hub: Hub, hub_name: str, built_at: str) -> SignedCatalog:
        signed = signed_catalog(hub, hub_name)
        return SignedCatalog(built_at, _etag(signed["catalog"]), protocol.PackedJson.of(signed))


def signed_catalog(hub: Hub, hub_name: str) -> dict[str, Any]:
    """The catalog and its signature by this centre's content key, as hubs receive it (by HTTP or
    on a stick: hub/plugins/bundles/pathways.py)."""
    key = trust.ensure_own_key(hub.home, hub.db, hub_name)
    content = catalog_content(hub)
    return {"catalog": content, "signature": sign(canonical_json(content), key, protocol.CATALOG_COMMENT)}


def checked_catalog(signed: Any, keys: list[PublicKey]) -> dict[str, Any]:
    """The catalog of a signed catalog, once its signature checks out with the one of `keys` it
    names; its courses each a dict. ValueError when it does not, or is not the shape a centre writes."""
    try:
        content, signature = signed["catalog"], parse_signature(signed["signature"])
        if signature.trusted_comment != protocol.CATALOG_COMMENT:
            raise ValueError("not a catalog signature")
        key = next((k for k in keys if k.key_id == signature.key_id), None)
        if key is None or not _verifies(canonical_json(content), signature, key):
            raise ValueError("not signed by the central server's content key")
        return {**content, "courses": [dict(c) for c in content["courses"]]}
    except (KeyError, TypeError, ContentError) as error:
        raise ValueError(f"not a signed catalog ({error})") from None


def _verifies(data: bytes, signature: Signature, key: PublicKey) -> bool:
    try:
        verify(data, signature, key)
    except ContentError:
        return False
    return True
