"""Caption files: WebVTT kept; SubRip, SubStation, TTML, SAMI and YouTube .sbv made WebVTT, in
UTF-8, UTF-16 or Windows-1252 (files re-encoded here by iconv, as PCs write them); anything else
refused in plain words."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from content.captions import MAX_CAPTION_BYTES, to_webvtt
from content.errors import ContentError

SRT = (
    "1\r\n00:00:01,000 --> 00:00:02,500\r\nLavez-vous les mains, ça évite la grippe.\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,000\r\nPendant 20 secondes.\r\n"
)


def iconv(text: str, encoding: str) -> bytes:
    """`text` re-encoded by iconv (glibc), the way an old Windows or Notepad file comes."""
    assert shutil.which("iconv"), "iconv (glibc) is needed to make the caption files"
    return subprocess.run(["iconv", "-f", "UTF-8", "-t", encoding], input=text.encode(), capture_output=True,
                          check=True).stdout  # fmt: skip


def test_subrip_becomes_webvtt():
    vtt = to_webvtt(("\ufeff" + SRT).encode()).decode()
    assert vtt.startswith(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nLavez-vous les mains, ça évite la grippe."
    )
    assert "00:00:03.000 --> 00:00:04.000" in vtt and "," not in vtt.split("Lavez")[0]


@pytest.mark.parametrize("encoding", ["WINDOWS-1252", "UTF-16", "UTF-16LE", "ISO-8859-15"])
def test_subrip_in_the_encodings_pcs_write_becomes_webvtt(encoding: str):
    data = iconv(SRT, encoding)
    if encoding == "UTF-16LE":
        data = b"\xff\xfe" + data  # Notepad's "Unicode": little-endian with its byte order mark
    assert data != SRT.encode()
    vtt = to_webvtt(data).decode()
    assert "Lavez-vous les mains, ça évite la grippe." in vtt and "00:00:01.000 --> 00:00:02.500" in vtt


ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, \
MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\b1}Wash{\\b0} your hands\\Nnow
"""
TTML = (
    '<?xml version="1.0" encoding="utf-8"?><tt xmlns="http://www.w3.org/ns/ttml"><body><div>'
    '<p begin="00:00:01.000" end="00:00:02.000">Wash your hands</p></div></body></tt>'
)
SAMI = (
    "<SAMI><HEAD><TITLE>x</TITLE></HEAD><BODY><SYNC Start=1000><P Class=ENCC>Wash your hands</P></SYNC>"
    "<SYNC Start=2000><P Class=ENCC>&nbsp;</P></SYNC></BODY></SAMI>"
)
SBV = "0:00:01.000,0:00:02.000\nWash your hands\n\n0:00:03.000,0:00:04.000\nwith soap\n"


@pytest.mark.parametrize("text", [ASS, TTML, SAMI, SBV], ids=["ass", "ttml", "sami", "sbv"])
def test_other_subtitle_formats_become_webvtt(text: str):
    vtt = to_webvtt(text.encode()).decode()
    assert vtt.startswith("WEBVTT") and "00:00:01.000 --> 00:00:02.000\nWash your hands" in vtt
    assert "{" not in vtt and "<" not in vtt  # SubStation and markup tags do not show as text


def test_webvtt_is_kept_as_it_is():
    vtt = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"
    assert to_webvtt(vtt) == vtt


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (b"Just some notes about the video.", "not a caption file this hub reads"),
        (b"WEBVTT\n\nNOTE nothing timed here\n", "no timed captions"),
        (b"x" * (MAX_CAPTION_BYTES + 1), "larger than 1 MB"),
    ],
)
def test_what_is_not_captions_is_refused_in_plain_words(data: bytes, reason: str):
    with pytest.raises(ContentError, match=reason):
        to_webvtt(data)
