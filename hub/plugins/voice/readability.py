"""Reading ease of a lesson, with a measure made for each language, and what makes it hard.

- en: Flesch reading ease, 206.835 − 1.015 × words/sentence − 84.6 × syllables/word.
- fr: Kandel & Moles (1958), Flesch's formula refitted for French: 207 − 1.015 × w/s − 73.6 × syl/w.
- es: Fernández Huerta (1959): 206.84 − 1.02 × w/s − 0.60 × syllables per 100 words.
- ar: OSMAN (El-Haj & Rayson, 2016): 200.791 − 1.015 × w/s − 24.181 × (hard words + syllables +
  complex words + "faseeh" words) / words, where a hard word has more than five letters, a complex
  word more than four syllables, and a faseeh word more than five syllables with one of ء ئ ؤ ذ ظ
  or the endings وا ون. Arabic is written without short vowels, so a word's syllables are its long
  vowels and vowel marks where written, else estimated as one per two letters.

All four read 0 (very hard) to 100 (very easy); a plain-language target is 60 or more. Syllables in
en/fr/es are counted as groups of vowel letters (French and English lose a final mute e): an
estimate good to a few points, as every such formula is. A word is rare when wordfreq, whose word
lists ship inside its package, puts it under 1 in a million words of the language (Zipf < 3).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from hub.plugins.voice.speech_text import markdown_sentences

LONG_SENTENCE_WORDS = 25
RARE_ZIPF = 3.0
MAX_LISTED = 12
_LETTER = "(?:[^\\W\\d_]|[\u064b-\u0652\u0670])"  # Arabic vowel marks are part of a word
_WORD = re.compile(f"{_LETTER}+(?:['’-]{_LETTER}+)*")
_VOWEL_GROUPS = re.compile(r"[aeiouyàâäéèêëîïôöûùüÿœæáíóú]+", re.IGNORECASE)
_ARABIC_MARKS = re.compile("[\u064e\u064f\u0650\u0627\u0648\u064a\u0649]")  # short vowels, long vowels
_MEASURES = {"en": "Flesch", "fr": "Kandel–Moles", "es": "Fernández Huerta", "ar": "OSMAN"}


@dataclass(frozen=True)
class Ease:
    measure: str
    score: int  # 0 (very hard) to 100 (very easy)
    words: int
    sentences: int
    long_sentences: list[str]
    rare_words: list[str]

    @property
    def plain(self) -> bool:
        return self.score >= 60


def syllables(word: str, language: str) -> int:
    if language == "ar":
        marks = len(_ARABIC_MARKS.findall(word))
        return max(1, marks if re.search("[\u064b-\u0652]", word) else math.ceil(len(word) / 2))
    groups = len(_VOWEL_GROUPS.findall(word))
    if language in ("en", "fr") and len(word) > 3 and word.lower().endswith("e") and groups > 1:
        groups -= 1
    return max(1, groups)


@lru_cache(maxsize=20_000)
def _zipf(word: str, language: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, language))


def rare(word: str, language: str) -> bool:
    return len(word) > 3 and _zipf(word.lower(), language) < RARE_ZIPF


def reading_ease(markdown: str, language: str) -> Ease | None:
    """The lesson text's reading ease, or None for a language without a measure or a text without words."""
    language = language.split("-")[0].lower()
    if language not in _MEASURES:
        return None
    sentences = [s for s in markdown_sentences(markdown) if _WORD.search(s)]
    words = [w for s in sentences for w in _WORD.findall(s)]
    if not words:
        return None
    per_sentence = len(words) / len(sentences)
    counts = [syllables(w, language) for w in words]
    per_word = sum(counts) / len(words)
    if language == "en":
        score = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    elif language == "fr":
        score = 207 - 1.015 * per_sentence - 73.6 * per_word
    elif language == "es":
        score = 206.84 - 1.02 * per_sentence - 0.60 * per_word * 100
    else:
        hard = sum(len(w) > 5 for w in words)
        complex_ = sum(c > 4 for c in counts)
        faseeh = sum(
            c > 5 and (re.search("[ءئؤذظ]", w) or w.endswith(("وا", "ون"))) is not None
            for w, c in zip(words, counts, strict=True)
        )
        score = (
            200.791 - 1.015 * per_sentence - 24.181 * (hard + sum(counts) + complex_ + faseeh) / len(words)
        )
    long_sentences = [s for s in sentences if len(_WORD.findall(s)) > LONG_SENTENCE_WORDS]
    rare_words = sorted({w for w in words if rare(w, language)}, key=str.lower)
    return Ease(
        _MEASURES[language],
        max(0, min(100, round(score))),
        len(words),
        len(sentences),
        long_sentences[:MAX_LISTED],
        rare_words[:MAX_LISTED],
    )
