"""Caption files: WebVTT kept, SubRip made WebVTT, anything else refused in plain words."""

from __future__ import annotations

import pytest

from content.captions import MAX_CAPTION_BYTES, to_webvtt
from content.errors import ContentError


def test_subrip_becomes_webvtt():
    srt = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\nWash your hands.\r\n\r\n"
        "2\r\n00:00:03,000 --> 00:00:04,000\r\nFor 20 seconds.\r\n"
    )
    vtt = to_webvtt(srt.encode()).decode()
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nWash your hands.")
    assert "00:00:03.000 --> 00:00:04.000" in vtt and "," not in vtt.split("Wash")[0]


def test_webvtt_is_kept_as_it_is():
    vtt = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"
    assert to_webvtt(vtt) == vtt


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (b"Just some notes about the video.", "not a caption file"),
        (b"WEBVTT\n\nNOTE nothing timed here\n", "no timed captions"),
        (b"x" * (MAX_CAPTION_BYTES + 1), "larger than 1 MB"),
    ],
)
def test_what_is_not_captions_is_refused_in_plain_words(data: bytes, reason: str):
    with pytest.raises(ContentError, match=reason):
        to_webvtt(data)
