"""Issue 16, messages: what Import cannot take is refused saying what the file is, why, and what
to do instead (a zip of PDFs, a video, a sound, a caption file)."""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

import pytest

from hub import imports
from hub.home import Hub
from hub.learners import Role
from tests.conftest import signed_in, tiny_pdf


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


def test_a_zip_of_pdfs_says_it_is_one_and_how_to_import_them(hub: Hub, tmp_path: Path):
    bundle = tmp_path / "leaflets.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("wash.pdf", tiny_pdf("Wash your hands"))
        archive.writestr("water.pdf", tiny_pdf("Boil water"))
    with pytest.raises(Exception) as refused:
        imports.preview_import(hub, bundle)
    message = str(refused.value)
    assert message.startswith("leaflets.zip is a zip of 2 PDF file(s), not a Commons Hub package")
    assert "import that folder: each PDF becomes a lesson" in message


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
