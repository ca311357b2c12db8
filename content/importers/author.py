"""Author folders (`course.toml` plus Markdown lessons): the package reader builds them in memory."""

from __future__ import annotations

from pathlib import Path

from content.importers.base import ImportOptions, Preview, Progress
from content.importers.package import preview_package


class AuthorFolderImporter:
    format = "author folder"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and (path / "course.toml").is_file()

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        return preview_package(path, self.format)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        return [path]
