"""The interface catalogs: the .pot matches the code, and every language translates all of it.

See docs/translating.md for the commands these tests mention.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from hub import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "hub" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGUAGES = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
ARABIC_PLURALS = (
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
)
EXTRACT = "pybabel extract -F babel.cfg -k N_ -o hub/translations/messages.pot ."
UPDATE = "pybabel update -i hub/translations/messages.pot -d hub/translations --ignore-obsolete"
# Newstyle gettext (Jinja's and ours) fills `%(name)s` placeholders, so a lone `%` breaks a page.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def messages(catalog: Catalog) -> dict[str | tuple[str, ...], Message]:
    return {m.id: m for m in catalog if m.id}


def first(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def placeholders(text: str) -> set[str]:
    return {p for p in PLACEHOLDER.findall(text) if p != "%%"}


def stray_percent(text: str) -> bool:
    return "%" in PLACEHOLDER.sub("", text)


@pytest.fixture(scope="module")
def template() -> dict[str | tuple[str, ...], Message]:
    return messages(read(POT))


def test_languages_are_found():
    assert {"fr", "es", "ar"} <= set(LANGUAGES)
    assert i18n.available_languages() == ("en", *LANGUAGES)


def test_pot_is_up_to_date_with_the_code(tmp_path: Path, template):
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-o", str(fresh), str(ROOT)]
    )
    found = set(messages(read(fresh)))
    new = sorted(first(m) for m in found - set(template))
    gone = sorted(first(m) for m in set(template) - found)
    assert not new and not gone, (
        f"hub/translations/messages.pot is out of date (new: {new}, removed: {gone}).\n"
        f"From the repository root run:\n  {EXTRACT}\n  {UPDATE}\n"
        "then translate the new entries in every hub/translations/<lang>/LC_MESSAGES/messages.po "
        "(see docs/translating.md)."
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str, template):
    catalog = read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    translated = messages(catalog)
    problems = []
    for msgid in template:
        message = translated.get(msgid)
        if message is None:
            problems.append(f"missing (run: {UPDATE}): {first(msgid)!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy (check it, then remove '#, fuzzy'): {first(msgid)!r}")
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.pluralizable and len(forms) != catalog.num_plurals:
            problems.append(f"needs {catalog.num_plurals} plural forms, has {len(forms)}: {first(msgid)!r}")
        if not all(form and form.strip() for form in forms):
            problems.append(f"not translated: {first(msgid)!r}")
    problems += [f"not in the .pot (run: {UPDATE}): {first(m)!r}" for m in set(translated) - set(template)]
    assert not catalog.fuzzy, f"{language}: the catalog header is marked fuzzy"
    assert not problems, f"{language}/LC_MESSAGES/messages.po:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language: str):
    catalog = read(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    problems = []
    for message in messages(catalog).values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(placeholders(i) for i in ids))
        for form in filter(None, forms):
            if placeholders(form) != wanted:
                problems.append(f"{form!r} has {sorted(placeholders(form))}, wants {sorted(wanted)}")
            elif stray_percent(form):
                problems.append(f"{form!r} has a lone '%' (write '%%')")
    assert not problems, f"{language}:\n  " + "\n  ".join(problems)


def test_arabic_has_six_plural_forms():
    catalog = read(TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po", "ar")
    assert catalog.num_plurals == 6
    assert catalog.plural_forms == ARABIC_PLURALS


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_hub_translates_for_the_current_locale(language: str):
    token = i18n.current_locale.set(language)
    try:
        translated = i18n.gettext("Continue learning")
        counts = {n: i18n.ngettext("%(num)d lesson", "%(num)d lessons", n) for n in (1, 2, 3, 11)}
    finally:
        i18n.current_locale.reset(token)
    assert translated and translated != "Continue learning"
    assert all(
        "%(num)d" in text and text not in ("%(num)d lesson", "%(num)d lessons") for text in counts.values()
    )
    assert i18n.gettext("Continue learning") == "Continue learning"


def test_text_direction():
    assert i18n.text_direction("ar") == "rtl"
    assert i18n.text_direction("fr") == i18n.text_direction("es") == i18n.text_direction("en") == "ltr"


def test_the_name_table_covers_what_the_hub_ships_as_babel_names_it():
    from babel import Locale

    from content import starter

    shipped = set(i18n.available_languages())
    shipped |= {folder.name.rsplit("-", 1)[1] for folder in starter.course_folders()}
    assert shipped <= set(i18n.LANGUAGE_NAMES)  # a new catalog or starter language: add its name
    for code, name in i18n.LANGUAGE_NAMES.items():
        babel = Locale.parse(code).get_display_name(code)
        assert name == babel[:1].upper() + babel[1:]


def test_other_languages_are_named_by_babel_and_unknown_codes_as_they_are():
    assert i18n.language_name("sw") == "Kiswahili"
    assert i18n.language_name("en-GB") == "English (United Kingdom)"
    assert i18n.language_name("qaa") == "qaa"  # private use: no name to show, and no error page
    assert i18n.language_name("not a code") == "not a code"


@pytest.mark.parametrize(
    ("language", "size", "shown"),
    [
        ("en", 850 * 1024, "850 KB"),
        ("en", 3 * 1024**3 + 100 * 1024**2, "3.1 GB"),
        ("fr", int(12.5 * 1024**2), "12,5 Mo"),
        ("fr", 10, "0,1 Ko"),
        ("es", int(1.5 * 1024**2), "1,5 MB"),
        ("ar", 2 * 1024**2, "2.0 ميغابايت"),  # Babel writes Arabic with Western digits and point
    ],
)
def test_sizes_are_written_in_the_readers_numbers_and_units(language: str, size: int, shown: str):
    token = i18n.current_locale.set(language)
    try:
        assert i18n.file_size(size) == shown
    finally:
        i18n.current_locale.reset(token)
