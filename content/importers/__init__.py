"""Importers: turn what a tutor brings (a package, an author folder, a ZIM, an EPUB, an H5P file,
PDFs, a Kolibri channel) into packages that `hub.library.import_package` checks and imports in one
place.

Each format is a small module behind the `Importer` interface (content/importers/base.py):
detect a path, preview what will come in, convert it into packages in a work folder.
"""

from __future__ import annotations

from pathlib import Path

from content.errors import ContentError
from content.importers.author import AuthorFolderImporter
from content.importers.base import CoursePreview, Importer, ImportOptions, Preview, check_source
from content.importers.epub import EpubImporter
from content.importers.h5p import H5pImporter
from content.importers.kolibri import KolibriImporter
from content.importers.package import PackageImporter
from content.importers.pdf import PdfImporter
from content.importers.zim import ZimImporter

__all__ = ["IMPORTERS", "CoursePreview", "ImportOptions", "Importer", "Preview", "importer_for"]

# Order matters: a folder with course.toml is an author folder even if it also holds PDFs.
IMPORTERS: tuple[Importer, ...] = (
    AuthorFolderImporter(),
    PackageImporter(),
    ZimImporter(),
    EpubImporter(),
    H5pImporter(),
    KolibriImporter(),
    PdfImporter(),
)
SOURCE_SUFFIXES = frozenset({".zip", ".zim", ".epub", ".pdf", ".h5p", ".sqlite3"})


def importer_for(path: Path) -> Importer:
    """The importer for `path`, or a ContentError saying what the hub can import."""
    check_source(path)
    for importer in IMPORTERS:
        if importer.detect(path):
            return importer
    raise ContentError(
        f"{path.name} is not something this hub can import. It takes a Commons Hub package (.zip or "
        "folder), an author folder with course.toml, a ZIM, EPUB, PDF or H5P file, a folder or zip of "
        "PDFs, or a Kolibri channel (KOLIBRI_DATA, its content folder, or a channel's .sqlite3 database)."
    )
