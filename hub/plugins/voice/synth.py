"""Making speech offline: espeak-ng speaks, ffmpeg packs it as Opus in Ogg (mono, 16 kHz, 16 kbit/s).

Both run as lower-priority processes, so residents' pages stay quick while a library is read
aloud. Arabic is written without vowel marks, which espeak-ng cannot guess for most words (it then
reads consonant clusters); Mishkal, a rule-based diacritizer whose dictionaries ship in its PyPI
package, adds the marks first, in a process of its own (hub/plugins/voice/diacritize.py) so its
100 MB of dictionaries never sit in the server's memory.

HUB_SPEECH_CACHE, when set, names a folder where made speech is kept by its key (voice and text),
so the test suite and the benchmark make each text once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hub.jobs import run_child
from hub.plugins.voice.speech_text import SpeechPart

log = logging.getLogger(__name__)
VOICES = {"en": "en-us", "fr": "fr-fr", "es": "es", "ar": "ar"}  # espeak-ng voices by language
WORDS_PER_MINUTE = 150  # espeak-ng's default is 175; slower is easier to follow
NICENESS = 10
CACHE_ENV = "HUB_SPEECH_CACHE"
MEDIA_TYPE = "audio/ogg"
ENCODE = ["-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "16k", "-application", "voip"]
_END_MARKS = ".!?؟…:;"


class SpeechUnavailable(Exception):
    """This hub cannot make speech (no espeak-ng or ffmpeg), or not in this language."""


@functools.cache
def engine() -> str:
    """Names the voice engine and its settings; part of every speech key."""
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        raise SpeechUnavailable("espeak-ng and ffmpeg are needed to make speech")
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False)
    return f"{version.stdout.split(':')[0].strip()}/{WORDS_PER_MINUTE}wpm/opus16k"


def available() -> bool:
    """Whether this machine can make speech at all."""
    try:
        engine()
    except SpeechUnavailable:
        return False
    return True


def voice_for(language: str) -> str | None:
    """The espeak-ng voice for a course language, or None when the hub has none."""
    return VOICES.get(language.split("-")[0].lower())


def voice_id(language: str) -> str:
    voice = voice_for(language)
    if voice is None:
        raise SpeechUnavailable(f"no voice for {language}")
    return f"{engine()}/{voice}" + ("/mishkal" if voice == "ar" else "")


def spoken_text(part: SpeechPart) -> str:
    """Each sentence ends with a mark, so headings and list items get their pause."""
    return "\n".join(s if s[-1] in _END_MARKS else f"{s}." for s in part.sentences)


def diacritized(texts: list[str], keep_going: Callable[[], None]) -> list[str]:
    """Arabic texts with their vowel marks, from Mishkal in one lower-priority process; the texts
    as they are if it fails (the voice then reads them less well, but reads them)."""
    if not texts:
        return []
    done = run_child(
        [sys.executable, "-m", "hub.plugins.voice.diacritize"],
        keep_going,
        input=json.dumps(texts).encode(),
        niceness=NICENESS,
    )
    try:
        marked = json.loads(done.stdout.decode()) if done.returncode == 0 else None
    except ValueError:
        marked = None
    if not isinstance(marked, list) or len(marked) != len(texts):
        log.warning("Arabic vowel marks could not be added: %s", done.stderr.decode()[-300:])
        return texts
    return [str(m) for m in marked]


def _make(text: str, voice: str, target: Path, keep_going: Callable[[], None]) -> None:
    """espeak-ng writes a WAV file, then ffmpeg encodes it: two waits a stopping hub can cut short."""
    with tempfile.TemporaryDirectory(prefix="speech-") as work:
        source, wav = Path(work) / "text.txt", Path(work) / "speech.wav"
        source.write_text(text, encoding="utf-8")
        speak = run_child(
            ["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-f", str(source), "-w", str(wav)],
            keep_going,
            niceness=NICENESS,
        )
        if speak.returncode != 0:
            raise SpeechUnavailable(f"the voice could not read this text: {speak.stderr.decode()[-300:]}")
        encode = run_child(
            ["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(wav), *ENCODE, "-f", "ogg", str(target)],
            keep_going,
            niceness=NICENESS,
        )
        if encode.returncode != 0:
            raise SpeechUnavailable(f"the voice could not read this text: {encode.stderr.decode()[-300:]}")


def cached(part: SpeechPart, language: str) -> Path | None:
    """Where HUB_SPEECH_CACHE keeps this part's speech, if that folder is set."""
    folder = os.environ.get(CACHE_ENV)
    return Path(folder) / f"{part.key(voice_id(language))}.ogg" if folder else None


def to_read(parts: list[SpeechPart], language: str, keep_going: Callable[[], None]) -> list[str]:
    """The texts the voice reads for these parts (Arabic with its vowel marks added)."""
    texts = [spoken_text(part) for part in parts]
    return diacritized(texts, keep_going) if voice_for(language) == "ar" else texts


def make_speech(
    part: SpeechPart, language: str, target: Path, keep_going: Callable[[], None], text: str | None = None
) -> None:
    """Write the speech of a lesson part, as Ogg Opus, to `target`; `text` is what to_read gave;
    `keep_going` is called while it works (a job's report, which raises when the hub stops)."""
    voice = voice_for(language)
    if voice is None:
        raise SpeechUnavailable(f"no voice for {language}")
    kept = cached(part, language)
    if kept is not None and kept.is_file():
        shutil.copyfile(kept, target)
        return
    _make(text if text is not None else to_read([part], language, keep_going)[0], voice, target, keep_going)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(f".{os.getpid()}.part")
        shutil.copyfile(target, partial)
        os.replace(partial, kept)


def duration(path: Path) -> float:
    """Seconds of audio in a file, from ffprobe; 0.0 when it is not audio it can read."""
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "format=duration:stream=codec_type",
            "-of",
            "default=noprint_wrappers=1",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    fields = dict(line.split("=", 1) for line in probe.stdout.splitlines() if "=" in line)
    if probe.returncode != 0 or fields.get("codec_type") != "audio":
        return 0.0
    try:
        return max(0.0, float(fields.get("duration", "0")))
    except ValueError:
        return 0.0
