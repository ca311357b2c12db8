"""Sources for importer tests, made in the test: a real ZIM (libzim's writer), an EPUB, PDFs."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest
from libzim.writer import Creator, Hint, Item, StringProvider  # type: ignore[import-untyped]

from content.model import slug
from tests.conftest import SAMPLE_COURSE, tiny_pdf, write_course

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)

ZIM_ARTICLES = {
    "Home": ("Health library", "<h1>Health library</h1><p>Start with <a href='Malaria'>malaria</a>.</p>"),
    "Malaria": (
        "Malaria",
        "<h1>Malaria</h1><script>alert('x')</script><p onclick='steal()'>Sleep under a mosquito net"
        " treated with insecticide.</p><img src='I/net.png' alt='A bed net'>"
        "<p><a href='Dengue#signs'>Dengue</a> <a href='../../etc/passwd'>out</a>"
        " <a href='javascript:alert(1)'>js</a></p>",
    ),
    "Dengue": ("Dengue fever", "<h1>Dengue</h1><p id='signs'>High fever, headache, joint pain.</p>"),
}


class _Entry(Item):  # type: ignore[misc]
    def __init__(self, path: str, title: str, mimetype: str, content: str | bytes) -> None:
        super().__init__()
        self.path, self.title, self.mimetype, self.content = path, title, mimetype, content

    def get_path(self) -> str:
        return self.path

    def get_title(self) -> str:
        return self.title

    def get_mimetype(self) -> str:
        return self.mimetype

    def get_contentprovider(self) -> StringProvider:
        return StringProvider(self.content)

    def get_hints(self) -> dict[Hint, bool]:
        return {Hint.FRONT_ARTICLE: self.mimetype == "text/html"}


def make_zim(
    path: Path, articles: dict[str, tuple[str, str]] | None = None, title: str = "Test WikiMed"
) -> Path:
    with Creator(str(path)).config_indexing(False, "eng") as creator:
        creator.set_mainpath("Home")
        for entry_path, (entry_title, body) in (articles or ZIM_ARTICLES).items():
            html = f"<html><head><title>{entry_title}</title></head><body>{body}</body></html>"
            creator.add_item(_Entry(entry_path, entry_title, "text/html", html))
        creator.add_item(_Entry("I/net.png", "", "image/png", PNG))
        creator.add_metadata("Title", title)
        creator.add_metadata("Name", "test_wikimed")
        creator.add_metadata("Language", "eng")
        creator.add_metadata("Publisher", "Kiwix test")
        creator.add_metadata("Description", "A tiny medical wiki")
    return path


def make_epub(
    path: Path,
    chapters: list[tuple[str, str]] | None = None,
    pictures: dict[str, bytes] | None = None,
    *,
    ids: list[str] | None = None,
    identifier: str = "",
    title: str = "Healthy Home",
    language: str = "en",
) -> Path:
    """A small EPUB; each chapter also points at ../img/x.png, which the book does not hold,
    and `pictures` are files put under OEBPS/img/ for chapters to show. Its manifest ids are
    `ids`, else slugs of the chapters' titles; `identifier` is its unique identifier, if any."""
    chapters = chapters or [
        ("Clean water", "<h1>Clean water</h1><p>Boil drinking water for one minute to kill germs.</p>"),
        ("Storing food", "<h1>Storing food</h1><ul><li>Keep raw meat apart.</li><li>Cool it fast.</li></ul>"),
    ]
    ids = ids or [slug(title, f"c{n}") for n, (title, _) in enumerate(chapters)]
    items = "".join(
        f'<item id="{ids[n]}" href="text/ch{n}.xhtml" media-type="application/xhtml+xml"/>'
        for n in range(len(chapters))
    )
    spine = "".join(f'<itemref idref="{ids[n]}"/>' for n in range(len(chapters)))
    identity = f'<dc:identifier id="book-id">{identifier}</dc:identifier>' if identifier else ""
    opf = f"""<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>{identity}
<dc:language>{language}</dc:language><dc:creator>Community Nurses</dc:creator></metadata>
<manifest>{items}</manifest><spine>{spine}</spine></package>"""
    container = """<?xml version="1.0"?>
<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">
<rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/book.opf", opf)
        for n, (title, body) in enumerate(chapters):
            archive.writestr(
                f"OEBPS/text/ch{n}.xhtml",
                f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>'
                f"<body>{body}<img src='../img/x.png'/></body></html>",
            )
        for name, data in (pictures or {}).items():
            archive.writestr(f"OEBPS/img/{name}", data)
    return path


def make_pdf_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "01-oral-rehydration.pdf").write_bytes(tiny_pdf("Mix salt and sugar in clean water"))
    (folder / "02-bandages.pdf").write_bytes(tiny_pdf("Press on the wound with a clean cloth"))
    (folder / "notes.txt").write_text("not a PDF")
    return folder


# Hostile files: what a stick or an upload may carry to break an import (issue 17, findings 10 and 14).

DEEP = 100_000  # levels of nesting: far past Python's recursion limit


def nested_manifest_zip(path: Path) -> Path:
    """A zip whose manifest.json is a list inside a list, DEEP times."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", "[" * DEEP + "]" * DEEP)
    return path


def nested_author_folder(root: Path, where: str) -> Path:
    """The sample author folder with DEEP nested arrays in course.toml or a lesson's front matter."""
    nested = "x = " + "[" * DEEP + "]" * DEEP + "\n"
    if where == "course.toml":
        return write_course(root, **{"course.toml": nested + str(SAMPLE_COURSE["course.toml"])})
    lesson = str(SAMPLE_COURSE["01-read-me.md"]).replace("+++\n", "+++\n" + nested, 1)
    return write_course(root, **{"01-read-me.md": lesson})


def bad_crc_zip(package: Path, out: Path) -> Path:
    """A copy of a package zip with one byte of its first blob flipped: the zip's CRC no longer matches."""
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as archive:
        info = next(i for i in archive.infolist() if i.filename.startswith("blobs/"))
    data[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def deep_epub(path: Path, levels: int = 60_000) -> Path:
    """An EPUB whose one chapter holds `levels` elements each inside the last."""
    return make_epub(path, [("Deep", "<div>" * levels + "deep inside" + "</div>" * levels)])


def with_duplicate(package: Path, name: str, first: bytes, out: Path) -> Path:
    """A copy of a package zip where `name` appears twice: `first` before the package's own copy."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, first)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": that is the point
            for info in source.infolist():
                archive.writestr(info, source.read(info))
    return out


# PDFs that would run something in the reader's viewer (finding 12): each says "scripted" when it can.
ALERT = b"<< /S /JavaScript /JS (app.alert('Your phone is infected: call 0800 000 000')) >>"
SCRIPTED_PDFS = {
    "opening script": tiny_pdf("Wash your hands", b"/OpenAction 6 0 R ", ALERT),
    "named script": tiny_pdf("Wash your hands", b"/Names << /JavaScript << /Names [(a) 6 0 R] >> >> ", ALERT),
    "script inline": tiny_pdf("Wash your hands", b"/OpenAction " + ALERT + b" "),
    "launch": tiny_pdf("Wash your hands", b"/OpenAction << /S /Launch /F (cmd.exe) >> "),
    "form sent away": tiny_pdf("Wash your hands", b"/OpenAction << /S /SubmitForm /F (http://x.test/) >> "),
}


# Files made with the tools tutors' files come from (Debian's zim-tools), not with the hub's own libraries.

ZIMWRITERFS = shutil.which("zimwriterfs")
needs_zimwriterfs = pytest.mark.skipif(
    ZIMWRITERFS is None and os.environ.get("CI") != "true",
    reason="zimwriterfs (Debian zim-tools) is not installed",
)


def zimwriterfs(
    out: Path,
    pages: dict[str, tuple[str, str]],
    *,
    title: str,
    name: str,
    language: str = "ara",
    lang: str = "ar",
    direction: str = "rtl",
) -> Path:
    """A ZIM packed by Kiwix's zimwriterfs from a folder of pages: {file name: (title, body HTML)};
    the first page is the welcome page; `lang` "" leaves <html> without lang and dir."""
    folder = out.parent / f"{out.stem}-html"  # may hold media already
    folder.mkdir(parents=True, exist_ok=True)
    declared = f' lang="{lang}" dir="{direction}"' if lang else ""
    for file_name, (page_title, body) in pages.items():
        (folder / file_name).write_text(
            f"<!DOCTYPE html><html{declared}><head><meta charset='utf-8'>"
            f"<title>{page_title}</title></head><body>{body}</body></html>",
            encoding="utf-8",
        )
    (folder / "icon.png").write_bytes(_png_48())
    subprocess.run(
        [ZIMWRITERFS or "zimwriterfs", f"--welcome={next(iter(pages))}", "--illustration=icon.png",
         f"--language={language}", f"--title={title}", "--description=Made for a test",
         "--creator=Test writers", "--publisher=Test", f"--name={name}", "--withoutFTIndex",
         str(folder), str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def _png_48() -> bytes:
    """A 48x48 PNG, the illustration zimwriterfs requires."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x20\x60\xa0" * 48 for _ in range(48))
    header = struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def weasy_pdf(path: Path, pages: list[str], *, lang: str = "en", direction: str = "ltr") -> Path:
    """A PDF of real text, one page per item, drawn by WeasyPrint with Debian's Noto fonts
    (embedded, shaped: Arabic as a typesetter writes it)."""
    from weasyprint import HTML

    body = "".join(f'<section style="page-break-after: always"><p>{text}</p></section>' for text in pages)
    html = (
        f'<html lang="{lang}" dir="{direction}"><body style="font-family: \'Noto Naskh Arabic\', '
        f"'Noto Sans', sans-serif\">{body}</body></html>"
    )
    HTML(string=html).write_pdf(path)
    return path


def encrypted_copy(source: Path, target: Path) -> Path:
    """`source` protected the common way: it opens without a password, but copying is restricted."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(
        user_password="", owner_password="owner-secret", permissions_flag=0b0100, algorithm="AES-128"
    )
    with target.open("wb") as out:
        writer.write(out)
    return target
