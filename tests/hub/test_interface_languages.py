"""An interface language an admin adds from the browser: upload, translate, refusals, travel."""

from __future__ import annotations

import json
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from fastapi import FastAPI

from content.package import canonical_json
from hub import i18n, interface_languages, po_files, trust
from hub.home import Hub
from hub.learners import Role
from hub.search.analysis import FALLBACK, analysis_language, index_terms
from tests.conftest import BrowserClient, signed_in

PASHTO_PLURALS = "nplurals=2; plural=(n != 1);"
SKIP = "Skip to content"
SKIP_PS = "منځپانګې ته لاړ شئ"
DESCRIPTION = "Short courses on health and everyday skills. Free, no sign-up, in your language."
SIGNED_IN = "Signed in as %(name)s."
PLURAL = ("%(num)s string in the file is not used by this hub and was left out.",
          "%(num)s strings in the file are not used by this hub and were left out.")  # fmt: skip


def po_file(translations: dict[object, object], plural_forms: str = PASHTO_PLURALS) -> bytes:
    catalog = Catalog(locale=None, charset="utf-8")
    catalog.mime_headers = [("Plural-Forms", plural_forms)]
    for msgid, msgstr in translations.items():
        catalog.add(msgid, msgstr)  # type: ignore[arg-type]
    out = BytesIO()
    write_po(out, catalog)
    return out.getvalue()


def admin(hub: Hub, app: FastAPI) -> BrowserClient:
    return signed_in(hub, Role.ADMIN, app)


def as_reader(web: BrowserClient, language: str) -> BrowserClient:
    web.cookies.set(i18n.LANGUAGE_COOKIE, language)
    return web


def add_pashto(web: BrowserClient, fallback: str = "fr") -> None:
    added = web.post(
        "/admin/languages", data={"code": "ps", "name": "", "fallback": fallback}, follow_redirects=False
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == "/admin/languages/ps"


def upload(web: BrowserClient, data: bytes, code: str = "ps"):
    return web.post(f"/admin/languages/{code}/upload", files={"po_file": ("ps.po", data, "text/plain")})


def switch_on(web: BrowserClient, code: str = "ps", fallback: str = "fr") -> None:
    page = web.post(f"/admin/languages/{code}", data={"name": "پښتو", "fallback": fallback, "enabled": "on"})
    assert page.status_code == 200, page.text


def test_an_added_language_is_offered_without_a_restart_and_falls_back(hub: Hub, app: FastAPI):
    web = admin(hub, app)
    template = web.get("/admin/languages/template.pot")
    assert template.status_code == 200 and b'msgid "Skip to content"' in template.content
    add_pashto(web)
    page = web.get("/admin/languages/ps")
    assert "پښتو" in page.text  # named by Babel (CLDR)
    assert "0 of " in page.text and "Written right to left." in page.text
    taken = upload(web, po_file({SKIP: SKIP_PS, "Not in the hub": "x"}))
    assert taken.status_code == 200, taken.text
    assert "1 of " in taken.text and "1 string in the file is not used by this hub" in taken.text
    assert "ps" not in app.state.languages  # still off
    switch_on(web)
    home = as_reader(web, "ps").get("/")
    assert '<html lang="ps" dir="rtl"' in home.text
    assert SKIP_PS in home.text
    french = i18n.shipped_catalog("fr").gettext(DESCRIPTION)
    assert french != DESCRIPTION and french in home.text  # untranslated: the fallback language
    # French on a Pashto page keeps its own direction (a Unicode isolate); Pashto needs none.
    assert f"\u2068{french}\u2069" in home.text and f"\u2068{SKIP_PS}" not in home.text
    settings = as_reader(web, "ps").get("/admin/settings")
    assert settings.status_code == 200
    switch = as_reader(web, "fr").get("/language")
    assert 'lang="ps" dir="rtl">پښتو</a>' in switch.text  # offered
    web.post("/admin/languages/ps", data={"name": "پښتو", "fallback": "fr"})  # off again
    assert '<html lang="ps"' not in as_reader(web, "ps").get("/").text


def test_the_strings_page_shows_the_english_beside_each_a_page_at_a_time(hub: Hub, app: FastAPI):
    web = admin(hub, app)
    add_pashto(web)
    first = web.get("/admin/languages/ps/strings")
    assert first.text.count("<textarea") >= 25 and "Page 1 of" in first.text
    messages = [m for m in po_files.template() if m.id]
    index = next(i for i, m in enumerate(messages) if m.id == SKIP)
    page = index // 25 + 1
    shown = web.get(f"/admin/languages/ps/strings?page={page}")
    assert f'name="s-{index}"' in shown.text and SKIP in shown.text
    saved = web.post("/admin/languages/ps/strings", data={"page": str(page), f"s-{index}": SKIP_PS})
    assert saved.status_code == 200 and "Saved." in saved.text
    assert SKIP_PS in saved.text
    assert interface_languages.language(hub.db, "ps").translated == 1
    plural = next(i for i, m in enumerate(messages) if m.id == PLURAL)
    bad = web.post(
        "/admin/languages/ps/strings",
        data={"page": str(plural // 25 + 1), f"s-{plural}": ["%(num)s یو", "%(count)s ډېر"]},
    )
    assert bad.status_code == 400 and "must keep the same placeholders" in bad.text
    assert "%(count)s ډېر</textarea>" in bad.text  # what was typed is kept, to be corrected
    assert interface_languages.language(hub.db, "ps").translated == 1
    remaining = web.get("/admin/languages/ps/strings?untranslated=1")
    assert f'name="s-{index}"' not in remaining.text


def refused(hub: Hub, app: FastAPI, data: bytes, message: str) -> None:
    web = admin(hub, app)
    if not hub.db.execute("SELECT 1 FROM interface_languages").fetchone():
        add_pashto(web)
        assert upload(web, po_file({SKIP: SKIP_PS})).status_code == 200
    before = interface_languages.po_of(hub.db, "ps")
    answer = upload(web, data)
    assert answer.status_code in (400, 413), answer.text
    assert message in answer.text
    assert interface_languages.po_of(hub.db, "ps") == before
    switch_on(web)
    assert SKIP_PS in as_reader(web, "ps").get("/").text  # the running hub is unchanged


def test_a_po_file_with_a_syntax_error_is_refused(hub: Hub, app: FastAPI):
    broken = po_file({SKIP: SKIP_PS, "Home": "کور"}).replace('msgstr "کور"'.encode(), 'msgstr "کور'.encode())
    refused(hub, app, broken, "is not valid .po syntax")


def test_plural_forms_that_do_not_match_the_header_are_refused(hub: Hub, app: FastAPI):
    two = po_file({PLURAL: ("%(num)s a", "%(num)s b")})
    three = two.replace(b'msgstr[1] "%(num)s b"', b'msgstr[1] "%(num)s b"\nmsgstr[2] "%(num)s c"')
    assert three != two
    refused(hub, app, three, "more plural forms than the Plural-Forms header says")
    one = po_file({PLURAL: ("%(num)s a",)})
    refused(hub, app, one, "needs all 2 plural forms the Plural-Forms header gives; it has 1")
    refused(hub, app, po_file({SKIP: "x"}, "nplurals=2; plural=n+5;"), "Plural-Forms header cannot be read")


def test_a_translation_with_other_placeholders_is_refused(hub: Hub, app: FastAPI):
    refused(hub, app, po_file({SIGNED_IN: "%(naam)s ننوتی"}), "must keep the same placeholders")
    refused(hub, app, po_file({SIGNED_IN: "%(name)s 100% ننوتی"}), "must keep the same placeholders")
    refused(hub, app, po_file({SKIP: "{n} لاړ شئ"}), "must keep the same placeholders")


def test_a_50_mb_file_is_refused_before_it_is_read(hub: Hub, app: FastAPI):
    huge = b"# " + b"x" * (50 * 2**20) + b"\n"
    refused(hub, app, huge, "larger than the hub accepts here")
    try:
        po_files.read(b"#" * (po_files.MAX_PO_BYTES + 1), "ps")
    except po_files.PoError as error:
        assert "too large" in str(error)
    else:
        raise AssertionError("a file over the limit was read")


def test_script_in_a_translation_shows_as_text(hub: Hub, app: FastAPI):
    web = admin(hub, app)
    add_pashto(web)
    script = '<script>alert("x")</script><b onclick="x">'
    assert (
        upload(web, po_file({SKIP: script, "Signed in as %(name)s.": "<i>%(name)s</i>"})).status_code == 200
    )
    switch_on(web)
    home = as_reader(web, "ps").get("/")
    assert "<script>alert" not in home.text and "<b onclick" not in home.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in home.text


def test_a_language_babel_does_not_know_still_serves_dates_and_numbers(hub: Hub, app: FastAPI):
    web = admin(hub, app)
    assert web.post("/admin/languages", data={"code": "rom", "name": "", "fallback": "en"}).status_code == 400
    added = web.post("/admin/languages", data={"code": "rom", "name": "Romani ćhib", "fallback": "es"})
    assert added.status_code == 200 and "Romani ćhib" in added.text
    switch_on(web, "rom", "es")
    page = as_reader(web, "rom").get("/admin/library")
    assert page.status_code == 200 and '<html lang="rom" dir="ltr"' in page.text
    keys = as_reader(web, "rom").get("/admin/keys")  # its days go through format_day
    assert keys.status_code == 200 and '<html lang="rom" dir="ltr"' in keys.text
    reading_romani = i18n.current_locale.set("rom")
    try:
        assert i18n.format_day("2026-11-16") == "Nov 16, 2026"  # in English: Babel knows no "rom"
    finally:
        i18n.current_locale.reset(reading_romani)


def test_right_to_left_by_script_not_by_a_list():
    rtl = ("ar", "ps", "fa", "he", "ur", "sd", "ug", "uz-Arab", "pa-Arab")
    assert [i18n.text_direction(code) for code in rtl] == ["rtl"] * len(rtl)
    assert [i18n.text_direction(code) for code in ("en", "sw", "ti", "rom", "tr", "uz", "pa")] == ["ltr"] * 7


def test_search_folds_without_stemming_a_language_it_has_no_analyser_for():
    assert analysis_language("ps") == analysis_language("sw") == FALLBACK
    assert index_terms(FALLBACK, "Jamhuri Zinazoendelea") == ["jamhuri", "zinazoendelea"]


def made_on(maker: Hub) -> bytes:
    interface_languages.add(maker, "ps", "", "fr")
    interface_languages.upload(maker, "ps", po_file({SKIP: SKIP_PS}))
    return interface_languages.documents(maker.db)[0]


def test_a_language_is_taken_from_a_trusted_hub_only_and_unchanged(tmp_path):
    maker, other = Hub(tmp_path / "maker"), Hub(tmp_path / "other")
    document = made_on(maker)
    assert interface_languages.take_all(other, [document])[0] == 0  # maker's key not trusted
    assert "does not trust" in interface_languages.take_all(other, [document])[1][0]
    own = trust.own_key(maker.home)
    assert own is not None
    trust.trust_key(other.db, own.public, "Maker hub")
    data = json.loads(document)
    data["language"]["po"] = data["language"]["po"].replace(SKIP_PS, "<script>")
    assert "changed after it was signed" in interface_languages.take_all(other, [canonical_json(data)])[1][0]
    assert not interface_languages.languages(other.db)
    assert interface_languages.take_all(other, [document]) == (1, [])
    taken = interface_languages.language(other.db, "ps")
    assert taken.enabled and taken.translated == 1 and taken.fallback == "fr"
    assert interface_languages.take_all(other, [document]) == (0, [])  # not newer: nothing changes
    assert interface_languages.documents(other.db) == [document]  # passed on as its maker signed it


def test_an_untranslated_plural_falls_back_too(hub: Hub, app: FastAPI):
    web = admin(hub, app)
    add_pashto(web)
    upload(web, po_file({SKIP: SKIP_PS}))
    switch_on(web)
    loaded = interface_languages.refresh(app.state)
    french = i18n.shipped_catalog("fr").ngettext("%(num)d lesson", "%(num)d lessons", 5)
    assert loaded.catalogs["ps"].ngettext("%(num)d lesson", "%(num)d lessons", 5) == f"\u2068{french}\u2069"
    assert french != "%(num)d lessons"


def test_saving_the_settings_keeps_an_added_language_offered(hub: Hub, app: FastAPI):
    web = admin(hub, app)
    add_pashto(web)
    switch_on(web)
    assert "ps" in as_reader(web, "en").get("/language").text
    form = {"hub_name": "Commons Hub", "default_language": "en", "guest_retention_days": "0"}
    assert web.post("/admin/settings", data=form).status_code == 200
    assert 'lang="ps"' in as_reader(web, "en").get("/language").text
