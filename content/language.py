"""The language a text is written in, for sources that do not say (a PDF): py3langid, a kept-up
fork of langid.py whose model ships inside the package (nothing fetched at run time).

A short text says too little: below MIN_LETTERS letters the caller's default stands. The
course's language then sets its direction (Arabic right to left) and its search analyzer.
"""

from __future__ import annotations

MIN_LETTERS = 40
SAMPLE_CHARS = 20_000  # a few pages tell the language as well as a whole book, much faster


def detect_language(text: str, default: str) -> str:
    """The BCP-47 code of the language `text` is mostly in, or `default` when it is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return default
    import py3langid  # here: its model (about 20 MB in memory) loads on first use

    code, _ = py3langid.classify(sample)
    return str(code) or default
