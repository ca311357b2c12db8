"""H5P activities: a `.h5p` file is a zip of `h5p.json`, `content/content.json` and the libraries
(`Machine.Name-1.2/library.json` plus their scripts and styles) that play it.

It comes from a tutor or a channel, so it gets an app zip's checks (content/appzip.py: sizes, zip
bombs, paths, links) and more (`check_h5p`): h5p.json names its main library and dependencies,
every library the activity needs (and every library those need) is in the file, and content.json
is JSON. An export made without its libraries is refused in words a tutor can act on.
`h5p_text` gives the words a person reads in it, for the lesson's text version and for search.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from content.apptext import html_text
from content.appzip import CheckedZip
from content.errors import ContentError

H5P_JSON = "h5p.json"
CONTENT_JSON = "content/content.json"
MAX_JSON_BYTES = 16 * 1024**2  # h5p.json, content.json or a library.json: text, never this large
# Parts of content.json that hold the player's own labels and settings, not the author's words.
_NOT_WORDS = frozenset(
    {"l10n", "UI", "behaviour", "a11y", "metadata", "library", "subContentId", "path", "mime"}
)
_IDENTIFIER = re.compile(r"^[\w.-]+$")
_CODE = re.compile(r"^[\w-]*[./][\w./-]+$|^[0-9a-f-]{36}$")  # a file path, a library name, a UUID


class H5pZip(CheckedZip):
    NOUN = "H5P activity"
    NOT_A_ZIP = "it is not an H5P file (a .h5p file is a zip with h5p.json inside)"


@dataclass(frozen=True)
class H5pActivity:
    """What the hub needs from an H5P file: its title, main library, language, licence and words."""

    title: str
    main_library: str
    content: Any  # content.json, parsed
    language: str = ""
    license: str = ""


def _json(h5p: H5pZip, name: str, what: str) -> Any:
    found = h5p.find(name)
    if found is None:
        raise ContentError(f"this H5P file has no {name} ({what})")
    if found.size > MAX_JSON_BYTES:
        raise ContentError(f"this H5P file's {name} is too large ({found.size:,} bytes)")
    try:
        return json.loads(h5p.read(name).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ContentError(f"this H5P file's {name} is not valid JSON ({error})") from None


def _number(value: Any) -> int | None:
    """A library's version number, as an int or (in some exports) a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def _dependencies(owner: str, data: Any) -> list[tuple[str, int, int]]:
    """(machine name, major, minor) of each library `data["preloadedDependencies"]` names."""
    listed = data.get("preloadedDependencies", []) if isinstance(data, dict) else None
    if not isinstance(listed, list):
        raise ContentError(
            f"{owner} lists its libraries (preloadedDependencies) in a form the hub cannot read"
        )
    found = []
    for item in listed:
        name = item.get("machineName") if isinstance(item, dict) else None
        major, minor = (
            (_number(item.get(k)) for k in ("majorVersion", "minorVersion")) if name else (None, None)
        )
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or major is None or minor is None:
            raise ContentError(
                f"{owner} names a library without its machineName, majorVersion and minorVersion"
            )
        found.append((name, major, minor))
    return found


def _check_libraries(h5p: H5pZip, wanted: list[tuple[str, int, int]]) -> None:
    """Every library in `wanted`, and every library each of those needs, is in the file."""
    seen: set[tuple[str, int, int]] = set()
    while wanted:
        library = wanted.pop()
        if library in seen:
            continue
        seen.add(library)
        name, major, minor = library
        folder = f"{name}-{major}.{minor}"
        if h5p.find(f"{folder}/library.json") is None:
            raise ContentError(
                f"this H5P file does not carry the library {name} {major}.{minor}: export it again with its "
                "libraries included"
            )
        wanted += _dependencies(
            f"the library {name} {major}.{minor}", _json(h5p, f"{folder}/library.json", name)
        )


def read_h5p(h5p: H5pZip) -> H5pActivity:
    """Check an opened H5P file (see the module's docstring) and return what the hub keeps of it."""
    manifest = _json(h5p, H5P_JSON, "the file that says what the activity is")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("mainLibrary"), str):
        raise ContentError("this H5P file's h5p.json does not name its main library (mainLibrary)")
    needed = _dependencies("this H5P file's h5p.json", manifest)
    main = manifest["mainLibrary"]
    if main not in {name for name, _, _ in needed}:
        raise ContentError(f"this H5P file's h5p.json does not list the version of its main library {main}")
    _check_libraries(h5p, needed)
    content = _json(h5p, CONTENT_JSON, "the activity's questions and texts")
    if not isinstance(content, dict):
        raise ContentError("this H5P file's content/content.json is not an object")
    title, language, license = (manifest.get(key) for key in ("title", "language", "license"))
    return H5pActivity(
        title.strip() if isinstance(title, str) else "",
        main,
        content,
        language if isinstance(language, str) else "",
        license if isinstance(license, str) and license != "U" else "",  # "U": undisclosed
    )


def check_h5p(path: Path | BinaryIO) -> H5pActivity:
    """Refuse an H5P file that is unsafe, damaged or incomplete; what it holds when it is fine."""
    with H5pZip(path) as h5p:
        h5p.read_everything()
        return read_h5p(h5p)


def _words(value: Any, key: str = "") -> Iterator[str]:
    if key in _NOT_WORDS:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _words(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _words(v, key)
    elif isinstance(value, str) and not _CODE.match(value):
        text = html_text(value.encode())
        if any(c.isalpha() for c in text):
            yield text


def activity_text(activity: H5pActivity, max_chars: int) -> str:
    """The words of an activity (its title, questions, answers, feedback), one paragraph each."""
    parts = [activity.title, *_words(activity.content)]
    return "\n\n".join(dict.fromkeys(p for p in parts if p))[:max_chars]


def h5p_text(path: Path | BinaryIO, max_chars: int) -> str:
    """The words of an H5P file, or "" when it cannot be read (search never refuses a course)."""
    try:
        with H5pZip(path) as h5p:
            return activity_text(read_h5p(h5p), max_chars)
    except ContentError:
        return ""
