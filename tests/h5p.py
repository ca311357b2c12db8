"""H5P files for the tests: the fixture activity (tests/fixtures/h5p/make_h5p.py) and an author
folder that plays it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.html5 import write_app_course

FIXTURES = Path(__file__).parent / "fixtures" / "h5p"
ACTIVITY = FIXTURES / "commons-choice.h5p"  # two questions on H5P.CommonsChoice 1.0
MISSING_LIBRARY = FIXTURES / "missing-library.h5p"  # the same without H5P.CommonsStyle 1.0

H5P_LESSON = """+++
title = "Handwashing check"
kind = "h5p"
media = "media/activity.h5p"
+++
Two questions on washing hands: how long to scrub (20 seconds) and when (before eating, after the toilet).
"""


def write_h5p_course(root: Path, h5p: bytes, course_id: str = "h5p-course") -> Path:
    """An author folder with one article and one H5P lesson whose file is `h5p`."""
    return write_app_course(root, h5p, course_id, "Clean hands quiz", ("02-check.md", H5P_LESSON))


def activity_files() -> dict[str, bytes]:
    """The fixture activity's files by name."""
    with zipfile.ZipFile(ACTIVITY) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def h5p_with(changed: dict[str, bytes | None]) -> bytes:
    """The fixture activity with files replaced, added, or left out (None), by name."""
    files = activity_files()
    for name, data in changed.items():
        if data is None:
            files.pop(name)
        else:
            files[name] = data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
