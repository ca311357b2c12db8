"""Write a package directory from converted parts: files streamed in by hash, then the manifest."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from content.blobs import CHUNK, blob_relpath
from content.errors import ContentError
from content.model import FORMAT_NAME, FORMAT_VERSION, Manifest, parse_manifest
from content.package import MANIFEST, MAX_MANIFEST_BYTES, manifest_bytes
from content.paths import media_type_for


class PackageWriter:
    """Builds one package in `root`; what `library.import_package` then checks and imports."""

    def __init__(self, root: Path) -> None:
        if root.exists():
            raise ContentError(f"{root} already exists")
        root.mkdir(parents=True)
        self.root = root
        self._part = root / "incoming.part"

    def add_bytes(self, data: bytes, name: str, media_type: str | None = None) -> dict[str, Any]:
        self._part.write_bytes(data)
        return self._store(hashlib.sha256(data).hexdigest(), len(data), name, media_type)

    def add_file(self, source: Path, name: str, media_type: str | None = None,
                 progress: Any = None, also: Any = None) -> dict[str, Any]:  # fmt: skip
        """Copy a file in, hashing it on the way (one read; `progress(bytes done)` as it goes).

        `also`: another hashlib object fed the same bytes, for a source that names its files by
        their hash (Kolibri's MD5) and is checked against it in the same read."""
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, self._part.open("wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                if also is not None:
                    also.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if progress:
                    progress(size)
        return self._store(digest.hexdigest(), size, name, media_type)

    def _store(self, sha256: str, size: int, name: str, media_type: str | None) -> dict[str, Any]:
        target = self.root / blob_relpath(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._part, target)
        return {"sha256": sha256, "size": size, "media_type": media_type or media_type_for(name),
                "name": name[-200:]}  # fmt: skip

    def finish(self, course: dict[str, Any], lessons: list[dict[str, Any]]) -> Manifest:
        """Validate the course and write manifest.json; the package is then complete."""
        manifest = parse_manifest(
            {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "course": course, "lessons": lessons}
        )
        raw = manifest_bytes(manifest)
        if len(raw) > MAX_MANIFEST_BYTES:
            raise ContentError(
                f"this holds too much text for one course ({len(raw) // 1024**2} MB; "
                f"the limit is {MAX_MANIFEST_BYTES // 1024**2} MB)"
            )
        (self.root / MANIFEST).write_bytes(raw)
        return manifest
