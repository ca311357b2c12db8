"""An H5P file (`.h5p`): one course with one h5p lesson, played by the hub's H5P player.

The file is checked whole first (content/h5p.py: zip safety, h5p.json, every library present,
content.json); a refused file changes nothing. The lesson's text version is the activity's own
words (questions, answers, feedback), so search finds them and a learner who cannot play it can
read them. The course id comes from the activity's title, so a file exported again with the same
title updates the course instead of adding a second one.
"""

from __future__ import annotations

import re
from pathlib import Path

from content.h5p import H5pActivity, activity_text, check_h5p
from content.importers.base import (
    CoursePreview,
    ImportOptions,
    Preview,
    Progress,
    check_source,
    title_from_name,
)
from content.importers.identity import stable_id
from content.importers.writer import PackageWriter
from content.model import LANGUAGE_PATTERN

MAX_TEXT_CHARS = 200_000
MEDIA_TYPE = "application/zip"


def _checked(path: Path) -> H5pActivity:
    check_source(path)
    return check_h5p(path)


def _title(path: Path, activity: H5pActivity) -> str:
    return (activity.title or title_from_name(path.stem) or path.name)[:200]


def _language(activity: H5pActivity, options: ImportOptions) -> str:
    """The language h5p.json names ("und" and malformed ones aside), else the import's default."""
    named = activity.language
    return named if re.match(LANGUAGE_PATTERN, named) and named != "und" else options.language


class H5pImporter:
    format = "H5P"

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".h5p"

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        activity = _checked(path)
        title = _title(path, activity)
        size = path.stat().st_size
        course = CoursePreview(f"h5p-{stable_id(title, 70)}", title, _language(activity, options), 1, size)
        notes = [f"An H5P activity ({activity.main_library}), played on this hub by its own H5P player."]
        return Preview(self.format, path, [course], size, work_bytes=size, notes=notes, renamable=True)

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        activity = _checked(path)
        title = _title(path, activity)
        writer = PackageWriter(work / "h5p")
        ref = writer.add_file(path, path.name, MEDIA_TYPE)
        text = activity_text(activity, MAX_TEXT_CHARS) or title
        lesson = {"id": stable_id(title), "title": title, "kind": "h5p", "media": [ref], "text": text}
        course = {
            "id": f"h5p-{stable_id(title, 70)}",
            "version": 1,
            "title": title,
            "language": _language(activity, options),
            "publisher": options.publisher,
            "license": activity.license[:200],
            "sources": [path.name],
        }
        writer.finish(course, [lesson])
        if progress:
            progress(ref["size"], ref["size"])
        return [writer.root]
