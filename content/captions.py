"""Caption files for videos and sound: WebVTT as browsers show it, made from whatever subtitle
file a tutor has: SubRip (.srt), SubStation (.ass/.ssa), TTML, SAMI (.smi), MPL2, YouTube's
.sbv, in UTF-8, UTF-16 or an old Windows code page (charset-normalizer finds which), converted by
pysubs2. WebVTT already is what browsers take, so it is kept as written (re-encoded as UTF-8).
"""

from __future__ import annotations

import re

from content.errors import ContentError

MAX_CAPTION_BYTES = 1024**2  # hours of subtitles are a few hundred KB
_SBV_TIMING = re.compile(r"^(\d+):(\d{2}):(\d{2})\.(\d{3}),(\d+):(\d{2}):(\d{2})\.(\d{3})\s*$", re.MULTILINE)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
FORMATS = (
    "WebVTT (.vtt), SubRip (.srt), SubStation (.ass, .ssa), TTML (.ttml, .xml), SAMI (.smi) or YouTube (.sbv)"
)


def caption_text(data: bytes) -> str:
    """The file's text, whatever its encoding; a ContentError when it is not text at all."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # here: only a caption upload needs it

    best = from_bytes(data).best()
    if best is None or "\x00" in str(best):
        raise ContentError(f"this is not a text file, so it cannot be captions: choose a {FORMATS} file")
    return str(best)


def _sbv_as_subrip(text: str) -> str:
    """YouTube's .sbv ("0:00:01.000,0:00:04.000" then the words) as SubRip, which pysubs2 reads."""
    return _SBV_TIMING.sub(r"\1:\2:\3,\4 --> \5:\6:\7,\8", text)


def to_webvtt(data: bytes) -> bytes:
    """The captions as WebVTT; a ContentError says in plain words why a file is not captions."""
    if len(data) > MAX_CAPTION_BYTES:
        raise ContentError("this caption file is larger than 1 MB; caption files are text and much smaller")
    text = caption_text(data).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("WEBVTT"):
        if "-->" not in text:
            raise ContentError("this WebVTT file has no timed captions")
        return text.encode()
    import pysubs2  # here: only a caption upload needs it

    if _SBV_TIMING.search(text):
        text = _sbv_as_subrip(text)
    try:
        subtitles = pysubs2.SSAFile.from_string(text)
    except (pysubs2.exceptions.Pysubs2Error, ValueError, KeyError, IndexError) as error:
        raise ContentError(
            f"this is not a caption file this hub reads ({error}): choose a {FORMATS} file"
        ) from None
    subtitles.events = [
        event for event in subtitles.events if not event.is_comment and event.plaintext.strip()
    ]
    if not subtitles.events:
        raise ContentError("this caption file has no timed captions")
    return subtitles.to_string("vtt").encode()
