"""What a resident meets on a small phone, measured: 320 and 360 px wide, JavaScript on and off,
English and Arabic.

Each test walks the resident's pages and collects every problem it finds, so one failure lists
all of them: the first result must sit within the first screen on /search and /courses, no
element may be wider than the screen, every tap target must be at least 44 px, captions must be
readable, and text in another direction than its card (an English "3 lessons" in an Arabic card)
must be isolated so it does not read backwards.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import run_hub
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

SCREENS = {320: 640, 360: 740}
SEARCH_WORDS = {"en": "hands", "ar": "الأيدي"}
RESIDENT_PAGES = [
    "/",
    "/courses",
    "/search?q=hands",
    "/courses/hand-hygiene-en",
    "/courses/hand-hygiene-en/why-hands",
    "/courses/hand-hygiene-en/how-to-wash",
    "/courses/hand-hygiene-en/quiz",
    "/courses/vaccination-basics-en/questions-leaflet",
    "/courses/hand-hygiene-ar",
    "/me",
    "/language",
]
MIN_TAP = 44

VARIANTS = [
    pytest.param(width, javascript, language, id=f"{width}px-{'js' if javascript else 'nojs'}-{language}")
    for width in SCREENS
    for javascript in (True, False)
    for language in ("en", "ar")
]


def open_phone(browser: Browser, hub_url: str, width: int, javascript: bool, language: str) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": SCREENS[width]},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
        base_url=hub_url,
        java_script_enabled=javascript,
        locale="en-US",
    )
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "hub_lang", "value": language, "url": hub_url}])
    return context.new_page()


# Every element whose box sticks out of the screen, except those a scroll box holds or that are
# hidden on purpose (the skip link waits off-screen until focused).
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const scrolls = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const o = getComputedStyle(up).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.skip, .visually-hidden')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el)) {
      found.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} ` +
        `${Math.round(r.left)}..${Math.round(r.right)} "${(el.textContent || '').trim().slice(0, 40)}"`);
    }
  }
  if (document.documentElement.scrollWidth > width + 1)
    found.push(`page scrolls sideways: ${document.documentElement.scrollWidth} px`);
  return found;
}"""

# Every visible link, button, field and summary smaller than 44 px either way. A checkbox or radio
# is measured by the label around it (the label is what a finger taps). Links inside a sentence of
# lesson text are exempt, as WCAG 2.5.8 exempts inline targets.
SMALL_TARGETS = """(minimum) => {
  const found = [];
  const targets = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary');
  for (let el of targets) {
    if (el.closest('.skip, .visually-hidden, .prose, .snippet')) continue;
    const label = el.closest('label');
    if (el.matches('input[type=checkbox], input[type=radio]') && label) el = label;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    if (r.height < minimum - 0.5 || r.width < minimum - 0.5) {
      found.push(`${el.tagName.toLowerCase()} ${Math.round(r.width)}x${Math.round(r.height)} ` +
        `"${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}"`);
    }
  }
  return found;
}"""

# In each card, every run of words must be marked with the language and direction of its script:
# Arabic letters under an element saying rtl (and lang ar), Latin letters under one saying ltr.
BIDI_MIXED = r"""() => {
  const found = [];
  const arabic = /[\u0600-\u06FF]/g, latin = /[A-Za-z]/g;
  for (const card of document.querySelectorAll('li.card, ol.results > li')) {
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const a = (text.match(arabic) || []).length, l = (text.match(latin) || []).length;
      if (!a && !l) continue;
      const el = node.parentElement;
      if (el.closest('.visually-hidden')) continue;
      const wantRtl = a > l;
      const dirEl = el.closest('[dir]');
      const dir = dirEl ? dirEl.getAttribute('dir') : 'ltr';
      const langEl = el.closest('[lang]');
      const lang = (langEl ? langEl.getAttribute('lang') : '').split('-')[0];
      const dirOk = dir === 'auto' || (dir === 'rtl') === wantRtl;
      const langOk = (lang === 'ar') === wantRtl;
      if (!dirOk || !langOk) found.push(`"${text.slice(0, 40)}" marked lang=${lang} dir=${dir}`);
    }
  }
  return found;
}"""


def first_item_top(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"nothing matches {selector} on {page.url}"
    return box["y"] + min(box["height"], 40)


@pytest.mark.parametrize(("width", "javascript", "language"), VARIANTS)
def test_first_result_is_on_the_first_screen(browser, hub_url, screenshot, width, javascript, language):
    page = open_phone(browser, hub_url, width, javascript, language)
    problems = []
    for path, item in (
        (f"/search?q={SEARCH_WORDS[language]}", "ol.results > li"),
        ("/courses", "ul.cards > li.card"),
    ):
        page.goto(path)
        top = first_item_top(page, item)
        if top > SCREENS[width]:
            problems.append(f"{path}: the first result's title is at {top:.0f} px, below {SCREENS[width]} px")
        screenshot(page, f"phone-first-{path.strip('/').split('?')[0]}-{width}-{language}-{javascript}")
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("width", "javascript", "language"), VARIANTS)
def test_nothing_wider_than_the_screen_and_every_target_big_enough(
    browser, hub_url, width, javascript, language
):
    page = open_phone(browser, hub_url, width, javascript, language)
    problems = []
    for path in RESIDENT_PAGES:
        page.goto(path)
        problems += [f"{path} too wide: {p}" for p in page.evaluate(WIDER_THAN_SCREEN)]
        problems += [f"{path} small target: {p}" for p in page.evaluate(SMALL_TARGETS, MIN_TAP)]
    page.context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_words_in_another_direction_are_isolated_in_cards(browser, hub_url, language):
    page = open_phone(browser, hub_url, 360, False, language)
    problems = []
    # A learner with progress, so the home page shows the "Continue learning" card and its count.
    page.goto("/courses/hand-hygiene-ar/" + "why-hands")
    for path in ("/", "/courses?lang=all", f"/search?q={SEARCH_WORDS['ar']}", "/search?q=hands"):
        page.goto(path)
        problems += [f"{path}: {p}" for p in page.evaluate(BIDI_MIXED)]
    page.context.close()
    assert not problems, f"{len(problems)} runs not isolated:\n" + "\n".join(problems)


def test_a_whole_card_opens_its_course(browser, hub_url):
    page = open_phone(browser, hub_url, 360, False, "en")
    page.goto("/courses")
    card = page.locator("ul.cards > li.card").first
    href = card.locator("h3 a").get_attribute("href")
    cover = card.locator("img.cover")
    target = cover if cover.count() else card.locator("p").first
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # where a finger lands
    page.wait_for_url(f"**{href}")
    page.context.close()


def _cue_nodes(node: dict, found: list[int]) -> None:
    """The node ids of the caption boxes Chromium draws inside the video's own shadow tree."""
    attributes = node.get("attributes", [])
    if dict(zip(attributes[::2], attributes[1::2], strict=True)).get("pseudo") == "cue":
        found.append(node["nodeId"])
    for key in ("children", "shadowRoots"):
        for child in node.get(key, []):
            _cue_nodes(child, found)


@pytest.mark.parametrize("width", SCREENS)
@pytest.mark.parametrize("course", ["hand-hygiene-en", "hand-hygiene-ar"])
def test_captions_are_readable_in_the_phone_player(browser, hub_url, screenshot, width, course):
    page = open_phone(browser, hub_url, width, True, course[-2:])
    page.goto(f"/courses/{course}/how-to-wash")
    page.evaluate(
        """() => new Promise(done => { const video = document.querySelector('video');
             video.textTracks[0].mode = 'showing';
             video.addEventListener('seeked', () => setTimeout(done, 300), {once: true});
             video.currentTime = 4; })"""
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    cues: list[int] = []
    _cue_nodes(cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"], cues)
    assert cues, "no caption is drawn at 4 s"
    for node in cues:
        style = cdp.send("CSS.getComputedStyleForNode", {"nodeId": node})["computedStyle"]
        font_size = float(next(s["value"] for s in style if s["name"] == "font-size").removesuffix("px"))
        assert font_size >= 16, f"captions are {font_size:.1f} px tall in a {width} px wide player"
    screenshot(page, f"phone-captions-{course}-{width}")
    page.context.close()


@pytest.mark.parametrize("width", SCREENS)
def test_a_pdf_lesson_shows_its_summary_and_a_big_open_button_on_a_phone(browser, hub_url, width):
    page = open_phone(browser, hub_url, width, False, "en")
    page.goto("/courses/vaccination-basics-en/questions-leaflet")
    assert not page.locator("object.pdf").is_visible(), "a phone shows an empty box instead of the PDF"
    opener = page.get_by_role("link", name="Open the document").bounding_box()
    summary = page.locator("article .prose").bounding_box()
    assert opener and summary and opener["height"] >= MIN_TAP
    assert summary["y"] < SCREENS[width], f"the summary starts at {summary['y']:.0f} px"
    page.context.close()


def test_the_pathways_editor_fits_a_phone(browser, hub_url, hub_home):
    made = run_hub("users", "add", "Pat Pathways", "--role", "tutor", "--secret", "pat-password-1",
                   home=hub_home)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    page = open_phone(browser, hub_url, 320, False, "en")
    sign_in(page, "Pat Pathways", "pat-password-1")
    page.goto("/tutor/pathways")
    page.locator("#new-pathway").fill("Health first steps")
    page.get_by_role("button", name="Create the pathway").click()
    page.get_by_role("button", name="Add", exact=True).first.wait_for()
    problems = page.evaluate(WIDER_THAN_SCREEN)
    page.context.close()
    assert not problems, "\n".join(problems)
