"""Reading ZIM files (the format Kiwix uses for offline Wikipedia and WikiMed) through libzim.

The hub keeps an imported ZIM whole, as one blob: a WikiMed ZIM holds tens of thousands of
articles and their images, and splitting it into lessons and files would multiply the work and
the disk it takes. Articles are read from the blob when someone opens them, sanitised here
(no script, style or event handler survives) with their links and images pointed back into the
same ZIM, so a reader can follow links to articles that did not become lessons too.
"""

from __future__ import annotations

import html
import posixpath
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

import nh3

from content.errors import ContentError

if TYPE_CHECKING:
    from libzim.reader import Archive  # type: ignore[import-untyped]

ZIM_MEDIA_TYPE = "application/x-zim"
MAX_ENTRY_BYTES = 16 * 1024**2  # an article or image bigger than this is not served

_ARTICLE_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "small",
    "sub", "sup", "code", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure",
    "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "div", "span",
    "section", "abbr",
}  # fmt: skip
# Kept from Kiwix ZIMs where safe: videos and sound with their captions (played from the same ZIM,
# never from elsewhere, no autoplay), and MathML's presentation elements (formulas in WikiMed).
# MathML's <annotation-xml> (which may carry HTML) and every event handler still go.
_MEDIA_TAGS = {"video", "audio", "source", "track"}
_MATHML_TAGS = {
    "math", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt",
    "mroot", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "semantics",
}  # fmt: skip
_ARTICLE_TAGS |= _MEDIA_TAGS | _MATHML_TAGS
_ARTICLE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "video": {"src", "poster", "controls", "width", "height", "preload"},
    "audio": {"src", "controls", "preload"},
    "source": {"src", "type"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "math": {"display"},
    "mfrac": {"linethickness"},
    "mo": {"stretchy", "fence", "separator"},
    "mtd": {"columnspan", "rowspan"},
}
_MEDIA_SOURCES = {("img", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("source", "src"),
                  ("track", "src")}  # fmt: skip
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = {name: re.compile(rb"\b" + name + rb"""\s*=\s*["']?([A-Za-z0-9-]{1,35})""", re.IGNORECASE)
              for name in (b"lang", b"dir")}  # fmt: skip
# ZIM metadata names languages in ISO 639-3; the hub (and its search analyzers) use the short codes.
SHORT_LANGUAGE = {
    "eng": "en", "fra": "fr", "spa": "es", "ara": "ar", "por": "pt", "deu": "de", "ita": "it",
    "rus": "ru", "zho": "zh", "hin": "hi", "ben": "bn", "swa": "sw", "tur": "tr", "fas": "fa",
    "urd": "ur", "ukr": "uk", "pol": "pl", "nld": "nl", "som": "so", "amh": "am", "tir": "ti",
    "ron": "ro", "vie": "vi", "ind": "id", "msa": "ms", "tha": "th", "jpn": "ja", "kor": "ko",
    "heb": "he", "pus": "ps", "kur": "ku", "prs": "prs",
}  # fmt: skip
_DROPPED_WITH_CONTENT = {"script", "style", "head", "title", "noscript", "template"}


@dataclass(frozen=True)
class ZimEntry:
    """One entry read from a ZIM: an article (text/html), an image, or a redirect to another path."""

    path: str
    title: str
    mimetype: str
    content: bytes
    redirect_to: str | None = None
    language: str = ""  # the ZIM's own language (its metadata), short code, "" if it does not say


def short_language(code: str) -> str:
    """A ZIM's ISO 639-3 language ("ara", or "ara,eng") as the hub's short code ("ar")."""
    first = code.split(",")[0].strip().lower()
    return SHORT_LANGUAGE.get(first, first)


def article_language(content: bytes, fallback: str) -> tuple[str, str | None]:
    """The language and direction an article declares on its <html> tag (Kiwix writes both),
    else `fallback` (the ZIM's language) and None (the direction follows the language)."""
    tag = _HTML_TAG.search(content[:4096])
    if tag is None:
        return fallback, None
    found = {name: _ATTRIBUTE[name].search(tag.group()) for name in _ATTRIBUTE}
    language = found[b"lang"].group(1).decode().lower() if found[b"lang"] else fallback
    direction = found[b"dir"].group(1).decode().lower() if found[b"dir"] else None
    return language, direction if direction in ("ltr", "rtl") else None


def open_archive(path: Path) -> Archive:
    """Open a ZIM file, refusing one libzim cannot read with a message a person understands."""
    from libzim.reader import Archive  # type: ignore[import-untyped]  # here: a serving hub saves ~5 MB

    try:
        return Archive(str(path))
    except (RuntimeError, OSError, ValueError) as error:
        raise ContentError(f"{path.name} is not a readable ZIM file ({error})") from None


@lru_cache(maxsize=8)
def _shared_archive(path: str) -> Archive:
    return open_archive(Path(path))


_archive_lock = threading.Lock()


def read_entry(zim_path: Path, entry_path: str) -> ZimEntry | None:
    """The entry at `entry_path` in a stored ZIM (kept open between calls), or None."""
    with _archive_lock:
        archive = _shared_archive(str(zim_path))
    try:
        if not archive.has_entry_by_path(entry_path):
            return None
        entry = archive.get_entry_by_path(entry_path)
        if entry.is_redirect:
            return ZimEntry(entry.path, entry.title, "", b"", entry.get_redirect_entry().path)
        item = entry.get_item()
        if item.size > MAX_ENTRY_BYTES:
            return None
        language = short_language(metadata(archive, "Language"))
        return ZimEntry(item.path, item.title, item.mimetype, bytes(item.content), language=language)
    except RuntimeError:
        return None


def main_path(archive: Archive) -> str | None:
    """The path of the ZIM's home page, following redirects, or None."""
    if not archive.has_main_entry:
        return None
    entry = archive.main_entry
    return entry.get_redirect_entry().path if entry.is_redirect else entry.path


def articles(archive: Archive) -> Iterator[tuple[str, str]]:
    """(path, title) of each article (an HTML entry that is not a redirect), home page first."""
    home = main_path(archive)
    if home:
        yield home, archive.get_entry_by_path(home).title
    for index in range(archive.entry_count):
        entry = archive._get_entry_by_id(index)
        if entry.is_redirect or entry.path == home:
            continue
        if entry.get_item().mimetype.split(";")[0].strip() == "text/html":
            yield entry.path, entry.title


def metadata(archive: Archive, key: str) -> str:
    try:
        return bytes(archive.get_metadata(key)).decode("utf-8", errors="replace").strip()
    except RuntimeError:
        return ""


def entry_url(prefix: str, entry_path: str) -> str:
    return f"{prefix}/{quote(entry_path)}"


def _link_rewriter(entry_path: str, prefix: str):  # type: ignore[no-untyped-def]
    """An nh3 attribute filter pointing relative links and images back into the same ZIM."""
    folder = posixpath.dirname(entry_path)

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) != ("a", "href") and (tag, attribute) not in _MEDIA_SOURCES:
            return value
        if value.startswith("#"):
            return value
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            return value if tag == "a" and parts.scheme in ("http", "https") else None
        if not parts.path:
            return None
        target = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
        if target.startswith("../") or target in ("..", ".") or target.startswith("/"):
            return None
        return entry_url(prefix, target) + (f"#{parts.fragment}" if parts.fragment else "")

    return rewrite


def article_html(content: bytes, entry_path: str, prefix: str) -> str:
    """An article's body as safe HTML, its links and images served from `prefix/<entry path>`."""
    return nh3.clean(
        content.decode("utf-8", errors="replace"),
        tags=_ARTICLE_TAGS,
        attributes=_ARTICLE_ATTRIBUTES,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        url_schemes={"http", "https"},
        attribute_filter=_link_rewriter(entry_path, prefix),
        link_rel="noopener noreferrer",
    )


def article_text(content: bytes, max_chars: int) -> str:
    """An article's words without markup, for search (cut at `max_chars`)."""
    spaced = content.decode("utf-8", errors="replace").replace("<", " <")  # keep words of two blocks apart
    words = nh3.clean(spaced, tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT)
    return re.sub(r"\s+", " ", html.unescape(words)).strip()[:max_chars]
