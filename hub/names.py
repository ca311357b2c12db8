"""People's names: the spelling kept, the key that says "same name", the skeleton that says "looks alike".

The same name can be typed as different code points: "José" with one é (NFC) or with e and a
combining accent (NFD), "ﬁona" with a ligature, a fullwidth "Ａda". The name is stored in NFC,
and its key (unique per hub) is NFKC + casefold, so those twins are one name.

Different letters can also look the same: a Cyrillic "А" is not a Latin "A", so "Аda Admin"
has its own key, yet on a screen it is Ada Admin. The skeleton (after Unicode's UTS #39, with
a small table of the look-alikes that matter for names written in Latin letters) maps
look-alikes to one letter, so a name whose skeleton is a staff member's can be refused.

No dependency: `confusables` 1.2.0 ships the full Unicode table but is unmaintained since 2021
and installs a top-level `tests` package; `confusable-homoglyphs` has no skeleton and loads a
900 KB table into memory. Names are short and the table below covers the Cyrillic, Greek and
Armenian letters, digits and pairs ("rn", "vv") that pass for Latin ones.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 40

# Kept in a stored name: they change how Persian, Arabic and Indic names are written.
_JOINERS = {"\u200c", "\u200d"}

_LOOK_ALIKES = str.maketrans(
    dict(
        zip(
            "АВЕКМНОРСТУХІЈЅҮӀ" "аеорсухіјѕһԁԛԝӏѵ"  # Cyrillic
            "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ" "αορινκχυϲϳ"  # Greek
            "օսոհ" "ıɑɡɩ" "01I|",  # Armenian, Latin variants, digits and strokes
            "ABEKMHOPCTYXlJSYl" "aeopcyxijshdqwlv"
            "ABEZHlKMNOPTYX" "aopivkxucj"
            "ounh" "iagi" "Olll",
            strict=True,
        )
    )
)  # fmt: skip
_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def _without_format_characters(text: str, keep: set[str] | frozenset[str] = frozenset()) -> str:
    """Drop invisible characters (zero-width spaces, direction overrides) and control characters."""
    return "".join(c for c in text if c in keep or unicodedata.category(c) not in ("Cf", "Cc"))


def clean(name: str) -> str:
    """The spelling to store: NFC, no invisible characters but joiners, single spaces."""
    name = _without_format_characters(unicodedata.normalize("NFC", name), keep=_JOINERS)
    return " ".join(name.split())


def key(name: str) -> str:
    """Equal for names that are the same text however typed: NFKC, casefolded, single spaces."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(_without_format_characters(folded).split())


def skeleton(name: str) -> str:
    """Equal for names that look alike: accents dropped, look-alike letters and pairs mapped to one.

    Case counts, as it does on a screen: a capital I passes for an l, a small i does not.
    """
    decomposed = unicodedata.normalize("NFKD", _without_format_characters(name))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = " ".join(letters.translate(_LOOK_ALIKES).casefold().split())
    for pair, letter in _PAIRS:
        text = text.replace(pair, letter)
    return text


def looks_alike(name: str, other: str) -> bool:
    """Whether two names look the same as written, or once written in the same case ("ΑDA" and "Ada")."""
    return bool({skeleton(name), skeleton(name.casefold())} & {skeleton(other), skeleton(other.casefold())})
