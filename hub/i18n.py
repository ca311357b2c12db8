"""Interface languages: gettext catalogs (Babel .po files) and the current request's locale.

The locale of the request being served lives in a context variable set by
`LocaleMiddleware` (hub/deps.py), so templates and Python code translate with the same `gettext`.
"""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
SOURCE_LANGUAGE = "en"
LANGUAGE_COOKIE = "hub_lang"
# The names of the languages the hub ships (its catalogs and starter courses) as Babel writes
# them, so the language switch and course cards show them without Babel's locale data (about
# 2 MB resident a language); any other language is named by Babel.
LANGUAGE_NAMES = {"ar": "العربية", "en": "English", "es": "Español", "fr": "Français"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=SOURCE_LANGUAGE)
# The catalog of a language an admin added (hub/interface_languages.py), with its fallback, for
# the request being served; None for the languages the hub ships.
current_translations: ContextVar[gettext_module.NullTranslations | None] = ContextVar(
    "current_translations", default=None
)
# The names admins gave the languages they added, for the codes Babel cannot name.
added_language_names: dict[str, str] = {}


def available_languages() -> tuple[str, ...]:
    """The source language and every language with a catalog."""
    found = sorted(p.parent.parent.name for p in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE_LANGUAGE, *found)


@cache
def _catalog(language: str) -> gettext_module.NullTranslations:
    """The language's .po file compiled in memory (Babel's catalog modules load with the first one)."""
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext_module.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def shipped_catalog(language: str) -> gettext_module.NullTranslations:
    """The catalog of a language the hub ships (an empty one for any other)."""
    return _catalog(language)


def _translations() -> gettext_module.NullTranslations:
    return current_translations.get() or _catalog(current_locale.get())


def gettext(message: str) -> str:
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


@cache
def text_direction(language: str) -> str:
    """ "rtl" for a language written right to left, by its script as CLDR records it (Arabic,
    Pashto, Persian, Hebrew…), "ltr" otherwise and for a language Babel does not know."""
    if language in LANGUAGE_NAMES:  # the shipped ones, without loading Babel's locale data
        return "rtl" if language == "ar" else "ltr"
    try:
        order = Locale.parse(language.replace("-", "_")).character_order
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


@cache
def babel_locale(code: str) -> Locale:
    """The locale to format dates and numbers in: `code`, or English where Babel does not know it.
    A Locale, not its name: Babel parsed the name again for every file size and date of a page."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(SOURCE_LANGUAGE)


def language_name(code: str) -> str:
    """A language's name in that language ("Français", "العربية"), for pickers."""
    return added_language_names.get(code) or _language_name(code)


@cache
def _language_name(code: str) -> str:
    if code in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[code]
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]


_SIZE_UNITS = ((1024**3, N_("%(size)s GB")), (1024**2, N_("%(size)s MB")))


def file_size(size: int) -> str:
    """A size as people read it, in the reader's number format and units: "850 KB", "12,5 Mo"."""
    from babel.numbers import format_decimal

    locale = babel_locale(current_locale.get())
    for scale, unit in _SIZE_UNITS:
        if size >= scale:
            return gettext(unit) % {"size": format_decimal(size / scale, format="#,##0.0", locale=locale)}
    kilobytes = max(size / 1024, 0.1) if size else 0  # a tiny file is not "0 KB"
    return gettext(N_("%(size)s KB")) % {"size": format_decimal(kilobytes, format="#,##0.#", locale=locale)}


def when(iso_time: str | None) -> str:
    """A stored UTC time ("2026-11-24T20:48:00+00:00") as the reader writes it: "Nov 24, 2026, 8:48 PM".

    The month in words and the year in full: "12/3/26" reads as March in one country and
    December in the next.
    """
    from datetime import datetime

    from babel.dates import format_date, format_time

    if not iso_time:
        return ""
    try:
        moment = datetime.fromisoformat(iso_time)
    except ValueError:
        return iso_time
    locale = babel_locale(current_locale.get())
    day = format_date(moment, format="medium", locale=locale)
    time = format_time(moment, format="short", locale=locale)
    return str(locale.datetime_formats["medium"]).format(time, day)


def format_day(value: object) -> str:
    """A date ("2026-11-16", a stored time, or a date) in the reader's language: "Nov 16, 2026"."""
    from datetime import date

    from babel.dates import format_date

    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(day, format="medium", locale=babel_locale(current_locale.get()))


def choose_language(cookie: str | None, accept_language: str, offered: tuple[str, ...]) -> str:
    """The cookie's choice if offered, else the browser's best match, else the first offered."""
    if cookie in offered:
        return cookie
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
    match = negotiate_locale([w for w in wanted if w], list(offered), sep="_")
    if match is None:
        match = negotiate_locale([w.split("_")[0] for w in wanted if w], list(offered), sep="_")
    return match or offered[0]
