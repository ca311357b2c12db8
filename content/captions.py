"""Caption files for videos: WebVTT as browsers show it, also made from the SubRip (.srt) files
most phone and desktop subtitle tools write."""

from __future__ import annotations

import re

from content.errors import ContentError

MAX_CAPTION_BYTES = 1024**2  # hours of subtitles are a few hundred KB
_SRT_TIMING = re.compile(r"^(\d{1,2}:\d{2}:\d{2}),(\d{3}) --> (\d{1,2}:\d{2}:\d{2}),(\d{3})(.*)$")


def to_webvtt(data: bytes) -> bytes:
    """The captions as WebVTT; a ContentError says in plain words why a file is not captions."""
    if len(data) > MAX_CAPTION_BYTES:
        raise ContentError("this caption file is larger than 1 MB; caption files are text and much smaller")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError("this caption file is not UTF-8 text; save it again as UTF-8") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].startswith("WEBVTT"):
        if not any("-->" in line for line in lines):
            raise ContentError("this WebVTT file has no timed captions")
        return text.encode()
    converted = [_SRT_TIMING.sub(r"\1.\2 --> \3.\4\5", line) for line in lines]
    if converted == lines:
        raise ContentError("this is not a caption file: choose a WebVTT (.vtt) or SubRip (.srt) file")
    return ("WEBVTT\n\n" + "\n".join(converted)).encode()
