"""Interface languages an admin adds without code, kept in hub.db and carried to other hubs.

An added language is the hub's template (hub/translations/messages.pot) with the translations an
admin uploaded as a .po file or wrote on /admin/languages (checked by hub/po_files.py), a name, and
a fallback: a language the hub ships, whose text shows for every message not yet translated (and
the English under it), so a page is never broken. Switched on, it is offered like the shipped ones.

Every change is signed by this hub's key (made on first need) as a document:

    {"language": {"format": "commons-hub-language", "format_version": 1, "code", "name",
                  "fallback", "po", "issued_at"},
     "signature": minisign signature of the canonical JSON of "language",
                  trusted comment "commons-hub language v1"}

which travels by stick (hub/plugins/bundles/languages.py) and in the central server's catalog
(hub/plugins/sync/catalog.py). A hub takes one only signed by a key it trusts, only newer than the
one it holds, and only if its .po passes the same checks as an upload.

A running hub reloads the added languages when the table's counter moves (`refresh`), so an upload,
a stick or a sync shows on the next page without a restart.
"""

from __future__ import annotations

import gettext as gettext_module
import json
import re
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from sqlite_utils import Database

from content.package import canonical_json
from content.signing import SignatureError, parse_signature, sign, verify
from hub import i18n, po_files, sources, trust
from hub.db import transaction
from hub.home import Hub
from hub.i18n import N_
from hub.learners import LearnerError
from hub.library import now
from hub.settings import load_settings

FORMAT = "commons-hub-language"
FORMAT_VERSION = 1
COMMENT = "commons-hub language v1"
GENERATION = "interface_languages_generation"
MAX_DOCUMENT_BYTES = 3 * po_files.MAX_PO_BYTES  # JSON escapes the .po text
CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
MAX_NAME = 60


class LanguageError(LearnerError):
    """A language change the hub refuses; the message (translatable) says why."""


@dataclass(frozen=True)
class AddedLanguage:
    code: str
    name: str
    fallback: str
    enabled: bool
    translated: int
    total: int
    issued_at: str
    signer_key_id: str

    @property
    def direction(self) -> str:
        return i18n.text_direction(self.code)


_COLUMNS = "code, name, fallback, enabled, translated, total, issued_at, signer_key_id"


def languages(db: Database) -> list[AddedLanguage]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM interface_languages ORDER BY code").fetchall()
    return [AddedLanguage(r[0], r[1], r[2], bool(r[3]), *r[4:]) for r in rows]


def language(db: Database, code: str) -> AddedLanguage:
    found = next((added for added in languages(db) if added.code == code), None)
    if found is None:
        raise LanguageError(N_("This hub has no added language %(code)s."), code=code)
    return found


def po_of(db: Database, code: str) -> bytes:
    row = db.execute("SELECT po FROM interface_languages WHERE code = ?", [code]).fetchone()
    if row is None:
        raise LanguageError(N_("This hub has no added language %(code)s."), code=code)
    return bytes(row[0])


def _babel_name(code: str) -> str:
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return ""
    return (name or "")[:1].upper() + (name or "")[1:]


def _default_plurals(code: str) -> str:
    try:
        return str(get_plural(code.replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        return "nplurals=2; plural=(n != 1);"


def _check_choice(code: str, name: str, fallback: str) -> str:
    if fallback not in i18n.available_languages():
        raise LanguageError(N_("Choose the fallback among the languages this hub ships."))
    name = " ".join(name.split()) or _babel_name(code)
    if not name or len(name) > MAX_NAME:
        raise LanguageError(N_("Give the language a name of 1 to %(count)s characters."), count=MAX_NAME)
    return name


def add(hub: Hub, code: str, name: str, fallback: str) -> AddedLanguage:
    """Start a new interface language with nothing translated yet, switched off."""
    code = code.strip()
    if not CODE.match(code):
        raise LanguageError(
            N_("Write the language code as in “sw”, “ti” or “ps-AF”: 2 or 3 small letters first.")
        )
    if code in i18n.available_languages():
        raise LanguageError(N_("This hub already ships %(code)s."), code=code)
    if hub.db.execute("SELECT 1 FROM interface_languages WHERE code = ?", [code]).fetchone():
        raise LanguageError(N_("This hub already has the language %(code)s."), code=code)
    name = _check_choice(code, name, fallback)
    checked = po_files.build(code, {}, _default_plurals(code))
    _store(hub, code, name, fallback, checked, enabled=False)
    return language(hub.db, code)


def upload(hub: Hub, code: str, data: bytes) -> po_files.Checked:
    """Take the translations of a .po file, over those already here (the others stay), if the whole
    checks out; PoError leaves the language as it was."""
    current = language(hub.db, code)
    translations, header = po_files.parse(data)
    kept = po_files.translations_of(po_of(hub.db, code))
    checked = po_files.build(code, {**kept, **translations}, header)
    _store(hub, code, current.name, current.fallback, checked, current.enabled)
    return checked


def translate(hub: Hub, code: str, changes: dict[str | tuple[str, ...], str | tuple[str, ...]]) -> None:
    """Change some translations (from the strings page); the whole is checked again."""
    current = language(hub.db, code)
    po = po_of(hub.db, code)
    translations = {**po_files.translations_of(po), **changes}
    checked = po_files.build(code, translations, po_files.plural_forms(po))
    _store(hub, code, current.name, current.fallback, checked, current.enabled)


def change(hub: Hub, code: str, name: str, fallback: str, enabled: bool) -> None:
    """Rename a language, choose its fallback, switch it on or off."""
    language(hub.db, code)
    name = _check_choice(code, name, fallback)
    po = po_of(hub.db, code)
    checked = po_files.build(code, po_files.translations_of(po), po_files.plural_forms(po))
    _store(hub, code, name, fallback, checked, enabled)


def _store(hub: Hub, code: str, name: str, fallback: str, checked: po_files.Checked, enabled: bool) -> None:
    key = trust.ensure_own_key(hub.home, hub.db, load_settings(hub).hub_name)
    statement = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "code": code,
        "name": name,
        "fallback": fallback,
        "po": checked.po.decode(),
        "issued_at": now(),
    }
    document = canonical_json(
        {"language": statement, "signature": sign(canonical_json(statement), key, COMMENT)}
    )
    _write(hub.db, statement, checked, enabled, key.public.id, document)


def _write(
    db: Database,
    statement: dict[str, Any],
    checked: po_files.Checked,
    enabled: bool,
    signer: str,
    document: bytes,
) -> None:
    with transaction(db):
        db.execute(
            "INSERT INTO interface_languages (code, name, fallback, enabled, po, translated, total,"
            " issued_at, signer_key_id, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, fallback = excluded.fallback,"
            " enabled = excluded.enabled, po = excluded.po, translated = excluded.translated,"
            " total = excluded.total, issued_at = excluded.issued_at,"
            " signer_key_id = excluded.signer_key_id, document = excluded.document",
            [statement["code"], statement["name"], statement["fallback"], int(enabled), checked.po,
             checked.translated, checked.total, statement["issued_at"], signer, document],
        )  # fmt: skip


def documents(db: Database) -> list[bytes]:
    """Every added language's signed document, to carry to other hubs."""
    return [bytes(row[0]) for row in db.execute("SELECT document FROM interface_languages ORDER BY code")]


def take(hub: Hub, document: bytes) -> bool:
    """Take a language another hub made, if signed by a key this hub trusts and newer than the one here;
    True if it changed something. LanguageError (or PoError) says why not, and nothing changes."""
    if len(document) > MAX_DOCUMENT_BYTES:
        raise LanguageError(N_("A language from another hub is larger than any translation: it was refused."))
    try:
        data = json.loads(document)
        statement, signature = data["language"], parse_signature(data["signature"])
        code, name, fallback = str(statement["code"]), str(statement["name"]), str(statement["fallback"])
        po, issued_at = str(statement["po"]).encode(), str(statement["issued_at"])
        fields_ok = statement["format"] == FORMAT and statement["format_version"] == FORMAT_VERSION
    except (ValueError, KeyError, TypeError, RecursionError, SignatureError):
        raise LanguageError(
            N_("A language from another hub is damaged or not a Commons Hub language.")
        ) from None
    key = next((k for k in sources.trusted_public_keys(hub.db) if k.key_id == signature.key_id), None)
    if key is None:
        raise LanguageError(
            N_("The language %(code)s is signed by key %(key)s, which this hub does not trust."),
            code=code, key=signature.signer,
        )  # fmt: skip
    try:
        verify(canonical_json(statement), signature, key)
    except SignatureError:
        raise LanguageError(N_("The language %(code)s was changed after it was signed."), code=code) from None
    if signature.trusted_comment != COMMENT or not fields_ok or not CODE.match(code):
        raise LanguageError(
            N_("A language from another hub is damaged or not a Commons Hub language.")
        ) from None
    if code in i18n.available_languages():
        return False  # this hub ships it
    row = hub.db.execute(
        "SELECT issued_at, enabled FROM interface_languages WHERE code = ?", [code]
    ).fetchone()
    if row is not None and row[0] >= issued_at:
        return False
    name = _check_choice(code, name, fallback)
    checked = po_files.read(po, code)
    statement = {**statement, "name": name}
    _write(hub.db, statement, checked, bool(row[1]) if row else True, key.id, document)
    return True


def take_all(hub: Hub, documents: list[bytes]) -> tuple[int, list[str]]:
    """Take each language a stick or a catalog carries: (how many changed, why others were refused)."""
    taken, refused = 0, []
    for document in documents:
        try:
            taken += take(hub, document)
        except LearnerError as error:
            refused.append(str(error))
    return taken, refused


@dataclass(frozen=True)
class Loaded:
    """The added languages switched on, compiled, as a running hub serves them."""

    generation: object
    catalogs: dict[str, gettext_module.NullTranslations]


class AddedTranslations(gettext_module.GNUTranslations):
    """An added language's catalog. A message it does not translate comes from the fallback; when
    that is written the other way (French text on a Pashto page), it is set in a Unicode isolate
    (FSI … PDI), so its punctuation and word order stay its own inside the page's direction."""

    isolate = False

    def _isolated(self, text: str) -> str:
        return f"\u2068{text}\u2069" if self.isolate and text else text

    def gettext(self, message: str) -> str:
        if message in self._catalog:  # type: ignore[attr-defined]
            return super().gettext(message)
        return self._isolated(super().gettext(message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if (msgid1, 0) in self._catalog:  # type: ignore[attr-defined]
            return super().ngettext(msgid1, msgid2, n)
        return self._isolated(super().ngettext(msgid1, msgid2, n))


def _compile(code: str, po: bytes, fallback: str) -> gettext_module.NullTranslations:
    catalog = po_files.stored(po)
    for message in list(catalog):
        if message.id and isinstance(message.string, (tuple, list)) and not all(message.string):
            del catalog[message.id]  # write_mo keeps a plural with empty forms: it would show nothing
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = AddedTranslations(buffer)
    translations.add_fallback(i18n.shipped_catalog(fallback))  # a fresh object: the shared one is untouched
    translations.isolate = i18n.text_direction(code) != i18n.text_direction(fallback)
    return translations


def load(db: Database, generation: object) -> Loaded:
    rows = db.execute("SELECT code, name, fallback, po FROM interface_languages WHERE enabled = 1").fetchall()
    catalogs = {}
    for code, name, fallback, po in rows:
        catalogs[code] = _compile(code, bytes(po), fallback)
        i18n.added_language_names[code] = name
    return Loaded(generation, catalogs)


def refresh(state: Any) -> Loaded:
    """The added languages for this request, reloaded when they changed; sets `state.languages`
    (what the hub offers) to the shipped languages the settings offer plus the added ones."""
    hub: Hub = state.hub
    generation = hub.setting(GENERATION)
    loaded: Loaded | None = getattr(state, "added_languages", None)
    if loaded is None or loaded.generation != generation:
        loaded = state.added_languages = load(hub.db, generation)
        cards = state.templates.globals.get("course_card")
        if cards is not None:
            cards.cards.clear()  # a card's text may have changed with its language
    # Again only when the settings were applied anew (hub/app.py apply_settings sets state.languages
    # too) or the languages changed: offered_languages reads the translations folder.
    seen = getattr(state, "languages_seen", None)
    if seen is None or seen[0] is not state.settings or seen[1] != loaded.generation:
        offered = state.settings.offered_languages()
        state.languages = (*offered, *(code for code in loaded.catalogs if code not in offered))
        state.languages_seen = (state.settings, loaded.generation)
    return loaded
