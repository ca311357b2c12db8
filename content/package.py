"""Package format v1: build, open, check.

A package is a directory or a `.zip` holding:

    manifest.json            canonical JSON (sorted keys, UTF-8) describing one course
    manifest.json.minisig    optional Ed25519 signature of manifest.json (minisign format)
    blobs/sha256/ab/<hash>   every file the lessons use, named by its sha256

Blobs are trusted through their hash, the manifest through its signature. See
docs/package-format.md.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from content.author import read_author_folder
from content.blobs import CHUNK, blob_relpath, hash_file
from content.errors import ContentError
from content.model import Manifest, parse_manifest
from content.paths import check_relative, safe_file

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
MAX_PACKAGE_BYTES = 8 * 1024**3
MAX_COMPRESSION_RATIO = 200
_RATIO_FREE_BYTES = 1024 * 1024  # tiny members may compress as well as they like


def canonical_json(data: object) -> bytes:
    """The one byte form of a manifest: sorted keys, UTF-8, no extra spaces."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def manifest_bytes(manifest: Manifest) -> bytes:
    return canonical_json(manifest.model_dump(mode="json"))


def decode_manifest(raw: bytes) -> Manifest:
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ContentError("manifest.json is too large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContentError(f"manifest.json is not valid JSON ({error})") from None
    return parse_manifest(data)


@dataclass
class Package:
    """An opened package: its manifest, its signature, and access to its blobs."""

    source: Path
    manifest: Manifest
    manifest_raw: bytes
    signature: bytes | None
    _zip: zipfile.ZipFile | None = None
    _author_files: dict[str, Path] | None = None

    @contextmanager
    def open_blob(self, sha256: str) -> Iterator[BinaryIO]:
        if self._author_files is not None:
            with self._author_files[sha256].open("rb") as handle:
                yield handle
            return
        name = blob_relpath(sha256)
        if self._zip is None:
            with safe_file(self.source, name).open("rb") as handle:
                yield handle
            return
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise ContentError(f"file {name!r} is missing") from None
        with self._zip.open(info) as handle:
            yield handle  # type: ignore[misc]

    def check_blobs(self) -> None:
        """Read every blob once and refuse the package if any is missing or altered."""
        for sha256, ref in self.manifest.files().items():
            with self.open_blob(sha256) as handle:
                _check_stream(handle, sha256, ref.size, ref.name)


def _check_stream(handle: BinaryIO, sha256: str, size: int, name: str) -> None:
    digest, seen = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        seen += len(chunk)
        if seen > size:
            break
        digest.update(chunk)
    if seen != size or digest.hexdigest() != sha256:
        raise ContentError(f"file {name!r} ({sha256[:12]}…) does not match the manifest: damaged")


def check_zip_members(archive: zipfile.ZipFile) -> None:
    total = 0
    for info in archive.infolist():
        check_relative(info.filename.rstrip("/"))
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ContentError(f"{info.filename!r} is a symbolic link, which is not allowed")
        total += info.file_size
        if total > MAX_PACKAGE_BYTES:
            raise ContentError("the package unpacks to more than the size limit (a zip bomb?)")
        if info.file_size > _RATIO_FREE_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ContentError(f"{info.filename!r} is compressed suspiciously well (a zip bomb?)")


@contextmanager
def open_package(path: Path) -> Iterator[Package]:
    """Open a package (directory or zip) or an author folder, validating its manifest.

    Blobs are checked as they are read: `check_blobs`, or a blob store's `put_file`.
    """
    if (path / "course.toml").is_file():
        course = read_author_folder(path)
        raw = manifest_bytes(course.manifest)
        yield Package(path, course.manifest, raw, None, _author_files=course.files)
        return
    if path.is_dir():
        raw = safe_file(path, MANIFEST).read_bytes()
        sig_path = path / SIGNATURE
        signature = safe_file(path, SIGNATURE).read_bytes() if sig_path.exists() else None
        yield Package(path, decode_manifest(raw), raw, signature)
        return
    if not path.is_file():
        raise ContentError(f"{path} does not exist")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ContentError(f"{path.name} is not a readable zip file ({error})") from None
    with archive:
        check_zip_members(archive)
        try:
            raw = archive.read(MANIFEST)
            names = set(archive.namelist())
            signature = archive.read(SIGNATURE) if SIGNATURE in names else None
        except KeyError:
            raise ContentError("the package has no manifest.json") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise ContentError(f"the package is damaged ({error})") from None
        yield Package(path, decode_manifest(raw), raw, signature, archive)


def build_package(source: Path, out: Path) -> Manifest:
    """Build a package from an author folder into `out` (a directory, or a file ending .zip)."""
    course = read_author_folder(source)
    raw = manifest_bytes(course.manifest)
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, raw)
            for sha256, path in sorted(course.files.items()):
                archive.write(path, blob_relpath(sha256))
        part.replace(out)
        return course.manifest
    if out.exists() and any(out.iterdir()):
        raise ContentError(f"{out} already exists and is not empty")
    for sha256, path in course.files.items():
        target = out / blob_relpath(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        if hash_file(target)[0] != sha256:
            raise ContentError(f"{path} changed while the package was being built")
    out.mkdir(parents=True, exist_ok=True)  # a course without media files has no blobs/ to make it
    (out / MANIFEST).write_bytes(raw)
    return course.manifest
