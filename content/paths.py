"""Path checks shared by every reader: nothing may point outside the folder it came with."""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from content.errors import ContentError

_MEDIA_TYPES = {
    ".vtt": "text/vtt",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".pdf": "application/pdf",
    ".h5p": "application/zip",  # an H5P activity: a zip (content/h5p.py)
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".txt": "text/plain",
}


def media_type_for(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_relative(name: str) -> PurePosixPath:
    """A path written inside a package or author folder: relative, forward, no `..`."""
    if not name or "\\" in name or "\x00" in name:
        raise ContentError(f"path {name!r} is not allowed")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ContentError(f"path {name!r} points outside the package")
    return path


def path_below(root: Path, name: str) -> Path:
    """`name` below `root` (it may not exist), refusing escapes and any symbolic link on the way."""
    current = root
    for part in check_relative(name).parts:
        current = current / part
        if current.is_symlink():
            raise ContentError(f"{name!r} is a symbolic link, which is not allowed")
    return current


def safe_file(root: Path, name: str) -> Path:
    """The real file `name` below `root`, refusing escapes and symbolic links."""
    current = path_below(root, name)
    if not current.is_file():
        raise ContentError(f"file {name!r} is missing")
    return current


def read_small_file(root: Path, name: str, limit: int) -> bytes:
    """The bytes of a file below `root` that must stay small (a manifest, a lesson's text):
    checked for escapes and links, and refused unread when it is larger than `limit`."""
    path = safe_file(root, name)
    size = path.stat().st_size
    if size > limit:
        raise ContentError(f"{name!r} is {size:,} bytes, more than the {limit:,} allowed")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)  # a file that grew since the check is still cut here
    if len(data) > limit:
        raise ContentError(f"{name!r} is larger than the {limit:,} bytes allowed")
    return data


def decode_text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentError(f"{name!r} is not UTF-8 text") from None
