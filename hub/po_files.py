"""Reading and checking an interface translation (a gettext .po file) an admin brings.

A .po file is checked whole before anything is kept, and each problem is said in words a
translator can act on (with the line where there is one): a syntax error, a Plural-Forms header
that does not match the translations' plural forms, a translation whose placeholders differ from
the English (`%(name)s`, `{n}`), a stray `%`. Babel's reader is lenient (it reads `msgid "Hello`
without its closing quote as "Hell"), so the lines are checked here first.

The translations kept are those of messages in the hub's template (hub/translations/messages.pot):
others are counted and left out. A translation is text: pages escape it (hub/pages.py), so markup
in a msgstr shows as characters, never as markup.
"""

from __future__ import annotations

import gettext as gettext_module
import re
from dataclasses import dataclass
from functools import cache
from io import BytesIO

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from hub.i18n import N_, TRANSLATIONS_DIR
from hub.learners import LearnerError

TEMPLATE = TRANSLATIONS_DIR / "messages.pot"
MAX_PO_BYTES = 4 * 2**20  # the shipped catalogs are about 200 KB each

_STRING = r'"(?:[^"\\]|\\.)*"'
_LINE = re.compile(rf"^\s*(?:(?:msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\])\s+)?{_STRING}\s*$")
# `%(name)s` as Python formats it (newstyle gettext), and `{name}` as str.format does.
_PERCENT = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")
_BRACES = re.compile(r"\{\w*\}")


class PoError(LearnerError):
    """A .po file the hub refuses; the message (translatable) says what to fix."""


def placeholders(text: str) -> list[str]:
    """The placeholders of a message, sorted (`%%` is a percent sign, not a placeholder)."""
    return sorted([p for p in _PERCENT.findall(text) if p != "%%"] + _BRACES.findall(text))


def _stray_percent(text: str) -> bool:
    return "%" in _PERCENT.sub("", text)


@cache
def template() -> Catalog:
    """The hub's interface template: every message a translation may translate."""
    with TEMPLATE.open("rb") as handle:
        return read_po(handle)


def template_bytes() -> bytes:
    return TEMPLATE.read_bytes()


def _check_lines(text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _LINE.match(line):
            continue
        raise PoError(
            N_("Line %(line)s of the file is not valid .po syntax: %(text)s"), line=number, text=stripped[:80]
        )


def _check_message(message: Message, plurals: int) -> None:
    """Refuse a translation that would break a page: wrong plural count or other placeholders."""
    english = message.id if isinstance(message.id, str) else message.id[0]
    if isinstance(message.id, (tuple, list)):
        forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if any(forms) and (len(forms) != plurals or not all(forms)):
            raise PoError(
                N_(
                    "“%(text)s” needs all %(wanted)s plural forms the Plural-Forms header gives;"
                    " it has %(found)s."
                ),
                text=english[:80], found=sum(1 for form in forms if form), wanted=plurals,
            )  # fmt: skip
        allowed = set(placeholders(message.id[0])) | set(placeholders(message.id[1]))
        for form in forms:
            if form and (not set(placeholders(form)) <= allowed or _stray_percent(form)):
                raise PoError(_PLACEHOLDERS, text=english[:80], wanted=" ".join(sorted(allowed)) or "—")
        return
    if message.string and (
        placeholders(message.string) != placeholders(english) or _stray_percent(message.string)
    ):
        raise PoError(_PLACEHOLDERS, text=english[:80], wanted=" ".join(placeholders(english)) or "—")


_PLACEHOLDERS = N_(
    "The translation of “%(text)s” must keep the same placeholders as the English (%(wanted)s), "
    "and write a percent sign as %%%%."
)


@dataclass(frozen=True)
class Checked:
    """A checked translation, as the hub keeps it: the template with these translations."""

    po: bytes
    translated: int
    total: int
    left_out: int  # messages in the file that the template does not have


def _count(catalog: Catalog) -> tuple[int, int]:
    messages = [m for m in catalog if m.id]
    done = sum(1 for m in messages if (all(m.string) if isinstance(m.string, (tuple, list)) else m.string))
    return done, len(messages)


def build(
    code: str, translations: dict[str | tuple[str, ...], str | tuple[str, ...]], plural_forms: str | None
) -> Checked:
    """The template filled with `translations` (msgid → msgstr), checked, as .po bytes."""
    base = template()
    catalog = Catalog(locale=None, project="Commons Hub", charset="utf-8", language_team=code)
    count, expression = _plural_header(plural_forms)
    catalog.mime_headers = [("Plural-Forms", f"nplurals={count}; plural={expression};")]
    plurals = catalog.num_plurals
    for message in base:
        if not message.id:
            continue
        string = translations.get(message.id, "")
        if isinstance(message.id, (tuple, list)) and not isinstance(string, (tuple, list)):
            string = ("",) * plurals
        checked = Message(message.id, string, context=message.context)
        _check_message(checked, plurals)
        catalog[message.id] = checked
    output = BytesIO()
    write_po(output, catalog, omit_header=False)
    done, total = _count(catalog)
    known = {message.id if isinstance(message.id, str) else tuple(message.id) for message in base}
    left_out = sum(1 for key in translations if key not in known)
    return Checked(output.getvalue(), done, total, left_out)


_PLURAL_HEADER = re.compile(r"^\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?);?\s*$")


def _plural_header(header: str | None) -> tuple[int, str]:
    if not header:
        return 2, "(n != 1)"
    match = _PLURAL_HEADER.match(header)
    count = int(match.group(1)) if match else 0
    try:
        plural = gettext_module.c2py(match.group(2)) if match and 1 <= count <= 6 else None
        if plural is None or not all(0 <= plural(n) < count for n in range(1001)):
            raise ValueError
    except (ValueError, RecursionError):
        raise PoError(N_("The Plural-Forms header cannot be read: %(text)s"), text=header[:80]) from None
    return count, match.group(2)


def read(data: bytes, code: str) -> Checked:
    """Check a .po file and return what the hub keeps of it; PoError says what is wrong."""
    translations, header = parse(data)
    return build(code, translations, header)


Translations = dict[str | tuple[str, ...], str | tuple[str, ...]]


def parse(data: bytes) -> tuple[Translations, str | None]:
    """The translations of a .po file and its Plural-Forms header, its syntax checked; PoError if not."""
    if len(data) > MAX_PO_BYTES:
        raise PoError(N_("This file is too large for a translation (at most %(size)s)."), size="4 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PoError(N_("This file is not a .po file in UTF-8.")) from None
    _check_lines(text)
    try:
        catalog = read_po(BytesIO(text.encode()), abort_invalid=True)
    except PoFileError as error:
        if "num_plurals" in str(error):
            raise PoError(N_("A message has more plural forms than the Plural-Forms header says.")) from None
        raise PoError(N_("The file cannot be read as a .po file: %(text)s"), text=str(error)[:120]) from None
    except (ValueError, SyntaxError) as error:
        raise PoError(N_("The file cannot be read as a .po file: %(text)s"), text=str(error)[:120]) from None
    header = _header(catalog, "Plural-Forms")
    translations = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    if not translations:
        raise PoError(N_("This file translates none of the hub's messages."))
    return translations, header


def _header(catalog: Catalog, name: str) -> str | None:
    for key, value in catalog.mime_headers:
        if key.lower() == name.lower():
            return str(value)
    return None


def stored(po: bytes) -> Catalog:
    """A kept translation (made by `build`) read back."""
    return read_po(BytesIO(po))


def plural_forms(po: bytes) -> str | None:
    return _header(stored(po), "Plural-Forms")


def translations_of(po: bytes) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    return {m.id: m.string for m in stored(po) if m.id}
