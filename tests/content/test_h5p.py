"""Issue 15, H5P files: what content/h5p.py takes, what it refuses (in words a tutor can act on),
and the words it finds in an activity for its text version and for search."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from content.errors import ContentError
from content.h5p import activity_text, check_h5p, h5p_text
from tests.h5p import ACTIVITY, MISSING_LIBRARY, activity_files, h5p_with
from tests.html5 import symlink_entry, zip_with


def refusal(data: bytes) -> str:
    with pytest.raises(ContentError) as refused:
        check_h5p(io.BytesIO(data))
    return str(refused.value)


def test_the_fixture_activity_is_taken_with_its_title_library_language_and_licence():
    activity = check_h5p(ACTIVITY)
    assert activity.title == "Washing hands: a short check"
    assert activity.main_library == "H5P.CommonsChoice"
    assert (activity.language, activity.license) == ("en", "CC BY 4.0")


def test_a_file_without_a_library_it_needs_is_refused_naming_the_library():
    """H5P.CommonsStyle is needed by H5P.CommonsChoice, not by h5p.json itself: found all the same."""
    with pytest.raises(ContentError) as refused:
        check_h5p(MISSING_LIBRARY)
    assert str(refused.value) == (
        "this H5P file does not carry the library H5P.CommonsStyle 1.0: export it again with its "
        "libraries included"
    )


def test_a_file_without_its_main_library_is_refused_naming_it():
    files = {name: None for name in activity_files() if name.startswith("H5P.CommonsChoice-1.0/")}
    assert "does not carry the library H5P.CommonsChoice 1.0" in refusal(h5p_with(files))


def manifest(**changes: object) -> bytes:
    data = json.loads(activity_files()["h5p.json"])
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


BAD_MANIFESTS = {
    "no h5p.json": (h5p_with({"h5p.json": None}), "this H5P file has no h5p.json"),
    "h5p.json not JSON": (h5p_with({"h5p.json": b"{title: oops"}), "h5p.json is not valid JSON"),
    "no mainLibrary": (
        h5p_with({"h5p.json": manifest(mainLibrary=None)}),
        "h5p.json does not name its main library (mainLibrary)",
    ),
    "main library not listed": (
        h5p_with({"h5p.json": manifest(mainLibrary="H5P.Other")}),
        "does not list the version of its main library H5P.Other",
    ),
    "dependencies not a list": (
        h5p_with({"h5p.json": manifest(preloadedDependencies="H5P.CommonsChoice")}),
        "lists its libraries (preloadedDependencies) in a form the hub cannot read",
    ),
    "a dependency without its version": (
        h5p_with({"h5p.json": manifest(preloadedDependencies=[{"machineName": "H5P.CommonsChoice"}])}),
        "names a library without its machineName, majorVersion and minorVersion",
    ),
    "no content.json": (h5p_with({"content/content.json": None}), "has no content/content.json"),
    "content.json not JSON": (
        h5p_with({"content/content.json": b'{"questions": ['}),
        "content/content.json is not valid JSON",
    ),
    "content.json not an object": (
        h5p_with({"content/content.json": b"[1, 2]"}),
        "content/content.json is not an object",
    ),
}


@pytest.mark.parametrize("case", BAD_MANIFESTS)
def test_a_file_that_does_not_say_what_it_is_is_refused_in_words(case: str):
    data, expected = BAD_MANIFESTS[case]
    assert expected in refusal(data)


def test_versions_written_as_strings_are_read_as_numbers():
    """Some exporters write "majorVersion": "1"."""
    listed = [{"machineName": "H5P.CommonsChoice", "majorVersion": "1", "minorVersion": "0"}]
    assert check_h5p(io.BytesIO(h5p_with({"h5p.json": manifest(preloadedDependencies=listed)})))


def test_not_a_zip_is_refused():
    assert refusal(b"<html>a web page saved as .h5p</html>") == (
        "it is not an H5P file (a .h5p file is a zip with h5p.json inside)"
    )


def test_the_app_zip_checks_apply_to_h5p_files_too():
    """content/appzip.py's CheckedZip: paths out of the zip, links and zip bombs."""
    climbing = h5p_with({"../../evil.js": b"alert(1)"})
    assert "the H5P activity's file '../../evil.js' points outside the H5P activity" in refusal(climbing)
    linked = zip_with([*activity_files().items(), symlink_entry("secrets", "/etc/passwd")])
    assert "the H5P activity's file 'secrets' is a symbolic link" in refusal(linked)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in activity_files().items():
            archive.writestr(name, data)
        archive.writestr("content/images/huge.png", bytes(5_000_000))  # 5 MB packs to ~5 KB
    assert "'content/images/huge.png' is compressed suspiciously well (a zip bomb?)" in refusal(
        out.getvalue()
    )


def test_the_words_are_the_questions_answers_and_feedback_without_html_labels_or_code():
    text = activity_text(check_h5p(ACTIVITY), 10_000)
    for words in ("Washing hands: a short check", "How long should you scrub your hands with soap?",
                  "20 seconds", "Before eating and after the toilet", "Germs are invisible."):  # fmt: skip
        assert words in text
    assert "<strong>" not in text and "<p>" not in text
    assert "You got :score" not in text  # the activity's labels (l10n), not its author's words
    assert "H5P.CommonsChoice" not in text


def test_the_words_of_a_file_that_cannot_be_read_are_none_rather_than_an_error(tmp_path: Path):
    assert h5p_text(io.BytesIO(b"not a zip"), 1000) == ""
    assert h5p_text(MISSING_LIBRARY, 1000) == ""
    assert len(h5p_text(ACTIVITY, 40)) == 40
