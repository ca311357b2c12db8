"""Issue 16, messages: what Import cannot take is refused saying what the file is, why, and what
to do instead (a video, a sound, a caption file). A zip of PDFs is imported: test_pdf_imports.py."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from hub.home import Hub
from hub.learners import Role
from tests.conftest import signed_in


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "talk.wma",
            "talk.wma is a video or a sound recording, not a course. Make it a lesson in the Studio",
        ),
        ("clip.mp4", "clip.mp4 is a video or a sound recording, not a course."),
        ("clip.fr.srt", "clip.fr.srt is a caption file. Add it to its video in the Studio"),
    ],
)
def test_media_given_to_import_are_pointed_to_the_studio(hub: Hub, name: str, says: str):
    tutor = signed_in(hub, Role.TUTOR)
    refused = tutor.post("/tutor/import/upload", files={"file": (name, b"data")})
    assert refused.status_code == 400
    assert says in html.unescape(refused.text)
