"""Commons Hub packages (a `.zip` or a folder with manifest.json): imported as they are."""

from __future__ import annotations

from pathlib import Path

from content.importers.base import CoursePreview, ImportOptions, Preview, Progress, check_source
from content.importers.pdf import is_zip_of_pdfs
from content.package import MANIFEST, open_package


def preview_package(path: Path, format_name: str) -> Preview:
    """Open (and so validate) a package or author folder and say what it holds."""
    check_source(path)
    with open_package(path) as package:
        course = package.manifest.course
        size = sum(ref.size for ref in package.manifest.files().values())
        lessons = len(package.manifest.lessons)
        return Preview(
            format=format_name,
            source=path,
            courses=[CoursePreview(course.id, course.title, course.language, lessons, size, course.version)],
            total_bytes=size,
            signed=package.signature is not None,
        )


class PackageImporter:
    format = "package"

    def detect(self, path: Path) -> bool:
        if path.is_dir():
            return (path / MANIFEST).is_file()
        return path.suffix.lower() == ".zip" and not is_zip_of_pdfs(path)

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        return preview_package(path, self.format)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        return [path]
