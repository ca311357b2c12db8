"""The language a text is written in, for sources that do not say (a PDF): py3langid, a kept-up
fork of langid.py whose model ships inside the package (nothing fetched at run time).

A short text says too little: below MIN_LETTERS letters the caller's default stands. The
course's language then sets its direction (Arabic right to left) and its search analyzer.

The model takes about 2 s and 75 MB to load (bench/import/README.md). The hub runs imports in its
serving process, so the model is loaded for one detection and let go at once, not kept for the
life of the server; answers are remembered (by the sample's hash) so an import's preview and its
conversion load it once.
"""

from __future__ import annotations

import hashlib

MIN_LETTERS = 40
SAMPLE_CHARS = 20_000  # a few pages tell the language as well as a whole book, much faster
_REMEMBERED = 256
_answers: dict[str, str] = {}


def _classify(sample: str) -> str:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # here: only an import needs it

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    try:
        code, _ = identifier.classify(sample)
    finally:
        del identifier
    return str(code)


def detect_language(text: str, default: str) -> str:
    """The BCP-47 code of the language `text` is mostly in, or `default` when it is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return default
    key = hashlib.sha256(sample.encode()).hexdigest()
    if key not in _answers:
        if len(_answers) >= _REMEMBERED:
            _answers.pop(next(iter(_answers)))
        _answers[key] = _classify(sample)
    return _answers[key] or default
