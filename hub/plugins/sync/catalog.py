"""The centre's signed catalog, built and signed once per change of its library.

`catalog_content` is the one place that says what the catalog lists. The signed catalog is kept
with its serialised forms and an ETag until the library generation moves (hub/library.py: every
import, every change of the trusted keys) or a pathway changes, so a hub whose catalog is current
gets a 304 and the centre neither rebuilds, re-signs nor re-serialises it per request.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from content.package import canonical_json
from content.signing import sign
from hub import library, retractions, trust
from hub.home import Hub
from hub.plugins.sync.publications import published_pathways
from sync import protocol

CATALOG_FORMAT = "commons-hub-catalog"


def catalog_content(hub: Hub) -> dict[str, Any]:
    """What the catalog says, before it is signed: the signed courses the centre hands out (not the
    retracted ones), the pathways it made (hub/plugins/sync/publications.py) and the retractions it
    holds, each signed by its own maker (hub/retractions.py)."""
    rows = hub.db.execute(
        "SELECT id, version, manifest_sha256, title, language FROM courses"
        " WHERE package_manifest IS NOT NULL AND signature IS NOT NULL AND signer_key IS NOT NULL"
        f" AND id NOT IN ({retractions.HIDDEN}) ORDER BY id"
    ).fetchall()
    return {
        "format": CATALOG_FORMAT,
        "version": 1,
        "central": hub.device.id,
        "issued_at": library.now(),
        "courses": [
            {"id": r[0], "version": r[1], "manifest_sha256": r[2], "title": r[3], "language": r[4]}
            for r in rows
        ],
        "pathways": published_pathways(hub.db),
        "retractions": [document.decode() for document in retractions.documents(hub.db)],
    }


def generation(db: Database) -> str:
    """What the catalog follows: the library's generation and the pathways' (migration 16's triggers)."""
    row = db.execute("SELECT value FROM settings WHERE key = 'pathways_generation'").fetchone()
    return f"{library.library_generation(db)}.{row[0] if row else 0}"


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
        key = trust.ensure_own_key(hub.home, hub.db, hub_name)
        content = catalog_content(hub)
        signature = sign(canonical_json(content), key, protocol.CATALOG_COMMENT)
        answer = protocol.PackedJson.of({"catalog": content, "signature": signature})
        return SignedCatalog(built_at, _etag(content), answer)
