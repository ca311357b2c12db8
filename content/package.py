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
import stat
import time
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from content.author import read_author_folder
from content.blobs import CHUNK, blob_relpath
from content.decoding import load_json
from content.errors import ContentError
from content.model import Manifest, parse_manifest
from content.paths import check_relative, read_small_file, safe_file
from content.signing import PublicKey, SecretKey, SignatureError, parse_signature, sign, verify

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
MAX_SIGNATURE_BYTES = 16 * 1024
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
    return parse_manifest(load_json(raw, MANIFEST))


@dataclass(frozen=True)
class Signer:
    """Who signed a package's manifest.

    `verified_by` is the trusted key the signature was checked against; None when the key
    is not among the trusted ones, so the signature could not be checked at all.
    """

    key_id: str
    verified_by: PublicKey | None
    trusted_comment: str


def check_signature(raw: bytes, signature: bytes | None, trusted: Collection[PublicKey]) -> Signer | None:
    """Who signed `raw`; refuses a garbled signature, or one a trusted key did not make."""
    if signature is None:
        return None
    parsed = parse_signature(signature)
    key = next((k for k in trusted if k.key_id == parsed.key_id), None)
    if key is not None:
        verify(raw, parsed, key)
    return Signer(parsed.signer, key, parsed.trusted_comment)


@dataclass
class Package:
    """An opened package: its manifest, its signature, and access to its blobs."""

    source: Path
    manifest: Manifest
    manifest_raw: bytes
    signature: bytes | None
    signer: Signer | None
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
            member = self._zip.open(self._zip.getinfo(name))
        except KeyError:
            raise ContentError(f"file {name!r} is missing") from None
        except ZIP_READ_ERRORS as error:
            raise ContentError(f"{name!r} in the zip is damaged ({error}); copy it again") from None
        with member as handle:
            yield _CheckedMember(handle, name)  # type: ignore[misc]

    def blob_path(self, sha256: str) -> Path | None:
        """The blob's own file when the package is a plain folder (not a zip, not an author folder)."""
        if self._zip is not None or self._author_files is not None:
            return None
        return safe_file(self.source, blob_relpath(sha256))

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


# What reading a damaged zip member can raise: a bad CRC, a cut-off or garbled deflate stream.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError)
_READABLE_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def check_zip_members(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose members could not be read safely and plainly, before any is read.

    A name that appears twice is refused outright: a reader takes one copy and a checker may
    look at the other (a tampered manifest.json first, the signed one last). Names that differ
    only in case count as the same: they are one file on a FAT stick or a laptop's disk.
    """
    total, seen = 0, set()
    for info in archive.infolist():
        name = check_relative(info.filename.rstrip("/")).as_posix()
        if name.casefold() in seen:
            raise ContentError(f"{name!r} appears twice in the zip, which a real package never does")
        seen.add(name.casefold())
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ContentError(f"{info.filename!r} is a symbolic link, which is not allowed")
        if info.flag_bits & 0x1:
            raise ContentError(f"{info.filename!r} is encrypted; packages are never password-protected")
        if info.compress_type not in _READABLE_COMPRESSION:
            raise ContentError(f"{info.filename!r} is compressed in a way this hub cannot read")
        total += info.file_size
        if total > MAX_PACKAGE_BYTES:
            raise ContentError("the package unpacks to more than the size limit (a zip bomb?)")
        if info.file_size > _RATIO_FREE_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ContentError(f"{info.filename!r} is compressed suspiciously well (a zip bomb?)")


class _CheckedMember:
    """A zip member being read, whose damage (a bad CRC, a broken stream) is told in words."""

    def __init__(self, handle: BinaryIO, name: str) -> None:
        self._handle, self._name = handle, name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._handle.read(size)
        except ZIP_READ_ERRORS as error:
            raise ContentError(f"{self._name!r} in the zip is damaged ({error}); copy it again") from None


def _read_signature(size: int, read: Callable[[], bytes]) -> bytes:
    if size > MAX_SIGNATURE_BYTES:
        raise SignatureError(f"{SIGNATURE} is too large to be a signature (garbled?)")
    return read()


@contextmanager
def open_package(path: Path, trusted: Collection[PublicKey] = ()) -> Iterator[Package]:
    """Open a package (directory or zip) or an author folder, validating its manifest.

    A signature is checked against the `trusted` key it names; a garbled one, or one that
    does not match, refuses the package. Blobs are checked as they are read: `check_blobs`,
    or a blob batch's `add_file`.
    """
    if (path / "course.toml").is_file():
        course = read_author_folder(path)
        raw = manifest_bytes(course.manifest)
        yield Package(path, course.manifest, raw, None, None, _author_files=course.files)
        return
    if path.is_dir():
        raw = read_small_file(path, MANIFEST, MAX_MANIFEST_BYTES)
        signature = None
        if (path / SIGNATURE).exists() or (path / SIGNATURE).is_symlink():
            sig_path = safe_file(path, SIGNATURE)
            signature = _read_signature(sig_path.stat().st_size, sig_path.read_bytes)
        manifest = decode_manifest(raw)
        yield Package(path, manifest, raw, signature, check_signature(raw, signature, trusted))
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
            if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
                raise ContentError(f"{MANIFEST} is larger than the {MAX_MANIFEST_BYTES:,} bytes allowed")
            raw = archive.read(MANIFEST)
            names = set(archive.namelist())
            signature = None
            if SIGNATURE in names:
                info = archive.getinfo(SIGNATURE)
                signature = _read_signature(info.file_size, lambda: archive.read(info))
        except KeyError:
            raise ContentError(_no_manifest(path, archive.namelist())) from None
        except ZIP_READ_ERRORS as error:
            raise ContentError(f"the package is damaged ({error})") from None
        manifest = decode_manifest(raw)
        yield Package(path, manifest, raw, signature, check_signature(raw, signature, trusted), archive)


def _no_manifest(path: Path, names: list[str]) -> str:
    """Why a zip without manifest.json is not a package, and what to do with what it holds (a zip
    of PDFs never comes here: content/importers/pdf.py imports it)."""
    if any(name.lower().endswith((".epub", ".zim")) for name in names):
        return (
            f"{path.name} is a zip holding EPUB or ZIM files, not a Commons Hub package (it has no "
            "manifest.json). Unzip it and import each .epub or .zim file itself"
        )
    return (
        f"{path.name} is a zip file but not a Commons Hub package: it has no manifest.json. "
        "Import the package a publisher or another hub made, or build one from an author folder "
        "(hub content build)"
    )


def build_package(source: Path, out: Path, key: SecretKey | None = None) -> Manifest:
    """Build a package from an author folder into `out` (a directory, or a file ending .zip).

    With `key`, the manifest is signed (manifest.json.minisig).
    """
    course = read_author_folder(source)
    raw = manifest_bytes(course.manifest)
    signature = None
    if key is not None:
        about = course.manifest.course
        stamp = f"timestamp:{int(time.time())}\tfile:{MANIFEST}\thashed"
        comment = f"{stamp}\tcourse:{about.id}\tversion:{about.version}"
        signature = sign(raw, key, comment).encode()
    write_package(out, raw, signature, course.files)
    return course.manifest


def _read_checked(path: Path, sha256: str) -> Iterator[bytes]:
    """The bytes of a file in chunks, refusing at the end if they do not hash to `sha256`."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != sha256:
        raise ContentError(f"{path.name} changed or is damaged: it no longer matches its hash {sha256[:12]}…")


class _Sink:
    """A write-only stream that hands back what zipfile wrote since the last `take`."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _member(name: str, size: int, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same course, the same zip
    info.file_size = size
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def zip_chunks(raw: bytes, signature: bytes | None, files: Mapping[str, Path]) -> Iterator[bytes]:
    """A package as a zip, produced piece by piece (to stream it), reading blobs in chunks.

    Blobs are stored, not deflated: the big ones (video, audio, images) are compressed
    already, and deflating them would cost a Raspberry Pi most of its CPU for nothing.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:  # type: ignore[arg-type]
        archive.writestr(_member(MANIFEST, len(raw), compress=True), raw)
        if signature is not None:
            archive.writestr(_member(SIGNATURE, len(signature), compress=False), signature)
        for sha256, path in sorted(files.items()):
            member_info = _member(blob_relpath(sha256), path.stat().st_size, compress=False)
            with archive.open(member_info, "w") as member:
                for chunk in _read_checked(path, sha256):
                    member.write(chunk)
                    yield sink.take()
    yield sink.take()


def write_package(out: Path, raw: bytes, signature: bytes | None, files: Mapping[str, Path]) -> None:
    """Write a package into `out`: a new or empty folder, or a .zip file (written whole or not at all)."""
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        try:
            with part.open("wb") as handle:
                for chunk in zip_chunks(raw, signature, files):
                    handle.write(chunk)
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ContentError(f"{out} already exists and is not an empty folder")
    for sha256, path in files.items():
        target = out / blob_relpath(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            for chunk in _read_checked(path, sha256):
                handle.write(chunk)
    out.mkdir(parents=True, exist_ok=True)  # a course without media files has no blobs/ to make it
    (out / MANIFEST).write_bytes(raw)
    if signature is not None:
        (out / SIGNATURE).write_bytes(signature)
