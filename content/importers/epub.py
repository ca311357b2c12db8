"""EPUB books: one course, each chapter of the reading order a lesson in Markdown.

An EPUB is a zip of XHTML files: the zip passes the package checks (no `..`, no links, no zip
bomb), each chapter is read with a size cap and turned into Markdown (headings, paragraphs,
lists, tables, emphasis). A chapter with pictures (PNG, JPEG, GIF, WebP inside the book)
becomes a pictures lesson: its text first, then its pictures with the book's descriptions.
Links between chapters are left out, their text kept; SVG and pictures outside the book too.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from content.errors import ContentError
from content.importers.base import (
    CoursePreview,
    ImportOptions,
    Preview,
    Progress,
    check_source,
)
from content.importers.identity import hashed_id, stable_id, stable_ids
from content.importers.writer import PackageWriter
from content.model import LANGUAGE_PATTERN
from content.package import ZIP_READ_ERRORS, check_zip_members
from content.paths import check_relative

MAX_CHAPTER_BYTES = 4 * 1024**2
MAX_CHAPTERS = 500
_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_HTML_TYPES = {"application/xhtml+xml", "text/html"}
PICTURE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                 ".webp": "image/webp"}  # fmt: skip
MAX_PICTURE_BYTES = 10 * 1024**2
MAX_PICTURES_PER_CHAPTER = 60
MAX_NESTING = 100  # elements inside each other in one chapter; real books stay below 30


@dataclass
class Chapter:
    title: str
    text: str  # Markdown
    pictures: list[tuple[str, str]] = field(default_factory=list)  # (name in the book, description)


def _nesting(root: Any) -> int:
    """How deep elements sit inside each other, walked without recursion (converting to Markdown
    recurses once per level, so a chapter of 60,000 nested elements would exhaust the stack)."""
    deepest, level = 0, [(root, 0)]
    while level:
        tag, depth = level.pop()
        deepest = max(deepest, depth)
        level.extend((child, depth + 1) for child in tag.contents if hasattr(child, "contents"))
    return deepest


class _Book:
    """An opened EPUB: its metadata and its chapters in reading order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ContentError(f"{path.name} is not a readable EPUB file ({error})") from None
        try:
            self._read_contents()
        except BaseException:
            self.archive.close()
            raise

    def _read_contents(self) -> None:
        path = self.path
        check_zip_members(self.archive)
        container = self._xml("META-INF/container.xml")
        rootfile = container.find(".//c:rootfile", _NS)
        if rootfile is None or not rootfile.get("full-path"):
            raise ContentError(f"{path.name} does not say where its contents are (no rootfile)")
        opf_name = check_relative(rootfile.get("full-path", "")).as_posix()
        opf = self._xml(opf_name)
        self.metadata = opf.find("opf:metadata", _NS)
        self.unique_identifier = self._identifier(opf.get("unique-identifier", ""))
        items = {
            item.get("id"): item
            for item in opf.iterfind("opf:manifest/opf:item", _NS)
            if item.get("media-type") in _HTML_TYPES
        }
        folder = posixpath.dirname(opf_name)
        self.chapters: list[str] = []
        self.chapter_ids: list[str] = []  # the manifest ids: a chapter's lasting name in the book
        for ref in opf.iterfind("opf:spine/opf:itemref", _NS):
            item = items.get(ref.get("idref"))
            if item is not None and item.get("href"):
                href = unquote(item.get("href", "").split("#")[0])
                self.chapters.append(
                    check_relative(posixpath.normpath(posixpath.join(folder, href))).as_posix()
                )
                self.chapter_ids.append(ref.get("idref", ""))
        if not self.chapters:
            raise ContentError(f"{path.name} has no chapters in its reading order")

    def __enter__(self) -> _Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def _read(self, name: str, limit: int) -> bytes:
        try:
            info = self.archive.getinfo(name)
            if info.file_size > limit:
                raise ContentError(f"{name!r} in {self.path.name} is too large ({info.file_size} bytes)")
            return self.archive.read(info)
        except KeyError:
            raise ContentError(f"{self.path.name} is incomplete: {name!r} is missing") from None
        except ZIP_READ_ERRORS as error:
            raise ContentError(f"{self.path.name} is damaged ({error})") from None

    def _xml(self, name: str) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(self._read(name, MAX_CHAPTER_BYTES))
        except ElementTree.ParseError as error:
            raise ContentError(f"{name!r} in {self.path.name} is not valid XML ({error})") from None

    def _identifier(self, wanted: str) -> str:
        """The book's unique identifier (the dc:identifier its package names), else its first one."""
        if self.metadata is None:
            return ""
        found = self.metadata.findall("dc:identifier", _NS)
        named = [tag for tag in found if wanted and tag.get("id") == wanted]
        return ((named or found)[0].text or "").strip() if (named or found) else ""

    def meta(self, tag: str) -> str:
        found = self.metadata.find(f"dc:{tag}", _NS) if self.metadata is not None else None
        return (found.text or "").strip() if found is not None else ""

    def chapter(self, name: str) -> Chapter:
        """One chapter's title, its text in Markdown and the pictures it shows."""
        from bs4 import BeautifulSoup  # here: only an EPUB import needs them (~5 MB a server keeps)
        from markdownify import MarkdownConverter

        soup = BeautifulSoup(self._read(name, MAX_CHAPTER_BYTES), "html.parser")
        if _nesting(soup) > MAX_NESTING:
            raise ContentError(
                f"{name!r} in {self.path.name} has elements nested more than {MAX_NESTING} deep; "
                "no readable chapter looks like that"
            )
        pictures = [
            found for img in soup("img") if (found := self._picture(name, img.get("src"), img.get("alt")))
        ]
        for unwanted in soup(["script", "style", "img", "svg", "head"]):
            unwanted.decompose()
        for table in soup("table"):
            if table.find(["ul", "ol"]):
                _table_as_lists(soup, table)
        heading = soup.find(["h1", "h2", "h3"])
        title = heading.get_text(" ", strip=True) if heading else ""
        if heading is not None:
            heading.decompose()  # it becomes the lesson's title; the page shows that already
        body = soup.body or soup
        text = MarkdownConverter(heading_style="ATX", strip=["a"]).convert_soup(body)
        unique = list(dict.fromkeys(pictures))[:MAX_PICTURES_PER_CHAPTER]
        return Chapter(title, re.sub(r"\n{3,}", "\n\n", text).strip(), unique)

    def _picture(self, chapter: str, source: object, alt: object) -> tuple[str, str] | None:
        """The book's file a chapter's <img> shows, if it is a picture kept inside the book."""
        if not isinstance(source, str) or not source or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", source):
            return None  # none, or a web address or data: URL
        name = posixpath.normpath(posixpath.join(posixpath.dirname(chapter), unquote(source.split("#")[0])))
        if name.startswith("../") or Path(name).suffix.lower() not in PICTURE_TYPES:
            return None
        info = self.archive.NameToInfo.get(name)
        if info is None or info.file_size > MAX_PICTURE_BYTES:
            return None
        return name, (alt.strip() if isinstance(alt, str) else "")[:1000]

    def picture_bytes(self, name: str) -> bytes:
        return self._read(name, MAX_PICTURE_BYTES)


def _table_as_lists(soup: Any, table: Any) -> None:
    """A table whose cells hold lists, as a list of its rows, each a list of "heading: cell".

    Markdown tables hold one line per cell, so a list in a cell came out as literal "* item";
    a list of rows keeps the lists (and reads better on a phone than a wide table).
    """
    rows = table("tr")
    headings = [cell.get_text(" ", strip=True) for cell in rows[0](["th", "td"])] if rows else []
    has_heading_row = bool(rows) and not rows[0].find("td")
    outer = soup.new_tag("ul")
    for row in rows[1:] if has_heading_row else rows:
        item, inner = soup.new_tag("li"), soup.new_tag("ul")
        for index, cell in enumerate(row(["th", "td"])):
            entry = soup.new_tag("li")
            if has_heading_row and index < len(headings) and headings[index]:
                label = soup.new_tag("strong")
                label.string = f"{headings[index]}:"
                entry.append(label)
                entry.append(" ")
            for child in list(cell.contents):
                entry.append(child.extract())
            inner.append(entry)
        item.append(inner)
        outer.append(item)
    table.replace_with(outer)


def _course_id(book: _Book, title: str, language: str) -> str:
    """From the book's unique identifier where it has one (two books of one title differ by it),
    else from its title and language (a French and a Spanish book of one title stay apart)."""
    if book.unique_identifier:
        return f"epub-{hashed_id(title, book.unique_identifier, max_length=70)}"
    return f"epub-{stable_id(f'{title} {language}', max_length=70)}"


def _course(book: _Book, options: ImportOptions) -> dict[str, Any]:
    title = book.meta("title") or book.path.stem
    language = book.meta("language").lower()
    language = language if re.match(LANGUAGE_PATTERN, language) else options.language
    return {
        "id": _course_id(book, title, language),
        "version": 1,
        "title": title[:200],
        "summary": re.sub(r"<[^>]+>", "", book.meta("description"))[:2000],
        "language": language,
        "publisher": (book.meta("publisher") or book.meta("creator") or options.publisher)[:200],
        "license": book.meta("rights")[:200],
        "sources": [book.path.name],
    }


class EpubImporter:
    format = "EPUB"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".epub"

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        size = check_source(path)
        with _Book(path) as book:
            course = _course(book, options)
            chapters = min(len(book.chapters), MAX_CHAPTERS)
        notes = ["Pictures inside the book follow the text of their chapter."]
        found = CoursePreview(course["id"], course["title"], course["language"], chapters, size)
        return Preview(self.format, path, [found], size, notes=notes, renamable=True)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        check_source(path)
        writer = PackageWriter(work / "epub")
        chapters: list[tuple[Chapter, list[dict[str, Any]]]] = []
        with _Book(path) as book:
            course = _course(book, options)
            names = book.chapters[:MAX_CHAPTERS]
            ids = stable_ids(book.chapter_ids[:MAX_CHAPTERS])
            found: list[str] = []
            for number, name in enumerate(names, start=1):
                chapter = book.chapter(name)
                chapter.title = chapter.title or f"Part {number}"
                images = [
                    {"file": writer.add_bytes(book.picture_bytes(picture), posixpath.basename(picture),
                                              PICTURE_TYPES[Path(picture).suffix.lower()]),
                     "alt": alt or f"Picture {index} of “{chapter.title}”"}
                    for index, (picture, alt) in enumerate(chapter.pictures, start=1)
                ]  # fmt: skip
                if chapter.text or images:
                    chapters.append((chapter, images))
                    found.append(ids[number - 1])
                if progress:
                    progress(number, len(names))
        if not chapters:
            raise ContentError(f"{path.name} has no chapters with text or pictures")
        lessons = [
            {"id": lesson_id, "title": chapter.title[:200], "kind": "images" if images else "article",
             "text": chapter.text, **({"images": images} if images else {})}
            for lesson_id, (chapter, images) in zip(found, chapters, strict=True)
        ]  # fmt: skip
        writer.finish(course, lessons)
        return [writer.root]
