"""ZIM files (Kiwix: offline Wikipedia, WikiMed): one course whose lessons are the ZIM's articles.

Design: the ZIM is kept whole as one blob and each article becomes a `zim` lesson that names
its entry path and carries the article's plain text (for search; the reader sees the article
itself, sanitised, through the hub's ZIM viewer — see content/zim.py). Converting articles into
Markdown lessons instead would lose tables and layout, copy every image into its own blob and
make a 70 000-article WikiMed into a manifest far beyond any sane size.

Caps, so a huge ZIM stays workable: at most MAX_LESSONS articles become lessons (the home page
first, then in the ZIM's order) and each carries at most ARTICLE_TEXT_CHARS characters of text,
which keeps the manifest a few MB. Every other article stays readable by following links.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from content.errors import ContentError
from content.importers.base import (
    CoursePreview,
    ImportOptions,
    Preview,
    Progress,
    check_source,
)
from content.importers.identity import stable_id, stable_ids
from content.importers.writer import PackageWriter
from content.model import LANGUAGE_PATTERN
from content.zim import (
    MAX_ENTRY_BYTES,
    ZIM_MEDIA_TYPE,
    article_text,
    articles,
    metadata,
    open_archive,
    short_language,
)

MAX_LESSONS = 500
ARTICLE_TEXT_CHARS = 3000


def _language(archive: Any, default: str) -> str:
    code = short_language(metadata(archive, "Language"))
    return code if re.match(LANGUAGE_PATTERN, code) else default


def _course(archive: Any, path: Path, options: ImportOptions) -> dict[str, Any]:
    title = metadata(archive, "Title") or path.stem
    name = metadata(archive, "Name") or title
    return {
        "id": f"zim-{stable_id(name, max_length=70)}",  # Kiwix's Name stays from edition to edition
        "version": 1,
        "title": title[:200],
        "summary": metadata(archive, "Description")[:2000],
        "language": _language(archive, options.language),
        "publisher": (metadata(archive, "Publisher") or metadata(archive, "Creator") or options.publisher)[
            :200
        ],
        "sources": [s for s in (metadata(archive, "Source"), path.name) if s],
    }


class ZimImporter:
    format = "ZIM"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".zim"

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        size = check_source(path)
        archive = open_archive(path)
        course = _course(archive, path, options)
        count = archive.article_count
        notes = []
        if count > MAX_LESSONS:
            notes.append(
                f"The first {MAX_LESSONS} of its {count} articles become lessons you can search; "
                "the others can be read by following links."
            )
        lessons = min(count, MAX_LESSONS)
        return Preview(
            format=self.format,
            source=path,
            courses=[CoursePreview(course["id"], course["title"], course["language"], lessons, size)],
            total_bytes=size,
            work_bytes=size,
            notes=notes,
            renamable=True,
        )

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        size = check_source(path)
        archive = open_archive(path)
        try:
            intact = archive.check()
        except RuntimeError:
            intact = False
        if not intact:
            raise ContentError(f"{path.name} is damaged: its checksum does not match (copy it again?)")
        found: list[tuple[str, str, str]] = []
        for entry_path, title in articles(archive):
            item = archive.get_entry_by_path(entry_path).get_item()
            if item.size > MAX_ENTRY_BYTES:
                continue
            text = article_text(bytes(item.content), ARTICLE_TEXT_CHARS)
            found.append((entry_path, (title or entry_path)[:200], text or title or entry_path))
            if len(found) == MAX_LESSONS:
                break
        if not found:
            raise ContentError(f"{path.name} has no articles to import")
        writer = PackageWriter(work / "zim")
        ref = writer.add_file(path, path.name, ZIM_MEDIA_TYPE,
                              progress=lambda done: progress(done, size) if progress else None)  # fmt: skip
        ids = stable_ids([entry_path for entry_path, _, _ in found])  # not titles: see identity.py
        lessons = [
            {
                "id": lesson_id,
                "title": title,
                "kind": "zim",
                "entry": entry_path,
                "text": text,
                "media": [ref],
            }
            for lesson_id, (entry_path, title, text) in zip(ids, found, strict=True)
        ]
        writer.finish(_course(archive, path, options), lessons)
        return [writer.root]
