"""A tutor translates a course into Arabic side by side on a 360 px phone, previews it right to
left and publishes it; the two courses then list each other, down to the lesson (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SAMPLE_COURSE, run_hub, write_course
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

TUTOR = ("Tariq Translator", "tariq-password-1")
SOURCE, TARGET = "stay-dry-en", "stay-dry-ar"
COURSE_TOML = str(SAMPLE_COURSE["course.toml"]).replace('"sample-course"', f'"{SOURCE}"')
COURSE_TOML = COURSE_TOML.replace('"Sample course"', '"Stay dry"')
FILES = {"course.toml": COURSE_TOML, "01-read-me.md": SAMPLE_COURSE["01-read-me.md"],
         "02-check.md": SAMPLE_COURSE["03-check.md"]}  # fmt: skip
ARABIC = {
    "title": "اقرأني",
    "body": "# مرحبًا\n\nبعض **الكلام** عن الصابون، وكيف نستعمله؟",
    "q1_prompt": "اختر ب",
    "q1_c1": "أ",
    "q1_c2": "ب",
    "q1_explanation": "ب هو الصحيح.",
    "q2_prompt": "اختر أ وج",
    "q2_c1": "أ",
    "q2_c2": "ب",
    "q2_c3": "ج",
    "q2_explanation": "أ وج.",
    "q3_prompt": "صحيح؟",
    "q3_explanation": "نعم.",
    "q4_prompt": "كم ثانية؟",
    "q4_explanation": "عشرون.",
}


def fill(page: Page, names: list[str]) -> None:
    for name in names:
        page.locator(f'[name="{name}"]').fill(ARABIC[name])


def test_a_tutor_translates_into_arabic_on_a_phone_and_residents_switch_language(
    phones, screenshot, hub_home, tmp_path: Path
):
    run_hub("users", "add", TUTOR[0], "--role", "tutor", "--secret", TUTOR[1], home=hub_home)
    folder = write_course(tmp_path / SOURCE, FILES)
    assert run_hub("content", "import", folder, "--yes", "--allow-unverified", home=hub_home).returncode == 0
    tutor = phones.open(javascript=False)
    tutor.set_viewport_size({"width": 360, "height": 740})
    sign_in(tutor, *TUTOR)

    tutor.goto("/tutor/studio")
    tutor.get_by_role("link", name="Translate a course").click()
    tutor.locator("#course").select_option(SOURCE)
    tutor.locator("#language").select_option("ar")
    tutor.get_by_role("button", name="Start translating").click()
    expect(tutor.locator("h1")).to_contain_text("Translation into العربية")
    tutor.locator("#title").fill("ابقَ جافًا")
    tutor.locator("#summary").fill("دورة صغيرة للتجربة.")
    tutor.get_by_role("button", name="Save and continue").click()

    # The first lesson: the original above the new text on a phone, the new text right to left.
    expect(tutor.locator("h1")).to_contain_text("Translate: Read me")
    original = tutor.locator(".pair-original").nth(1).bounding_box()
    new = tutor.locator("#body").bounding_box()
    assert original and new and new["y"] > original["y"] + original["height"] - 1
    assert new["width"] > 250  # one column on a phone, not two squeezed ones
    expect(tutor.locator("#body")).to_have_attribute("dir", "rtl")
    fill(tutor, ["title", "body"])
    screenshot(tutor, "translate-01-lesson-side-by-side-360")
    tutor.get_by_role("button", name="Save and continue").click()

    # The quiz: only words; a question left empty is refused and the typed words come back.
    expect(tutor.locator("h1")).to_contain_text("Translate: Check")
    expect(tutor.locator(".pair-label", has_text="Choice 2 · ✓ right answer").first).to_be_visible()
    fill(tutor, [name for name in ARABIC if name.startswith("q")])
    tutor.locator("#title").fill("تحقّق من معلوماتك")
    tutor.locator('[name="q3_prompt"]').fill("")
    tutor.get_by_role("button", name="Save and continue").click()
    expect(tutor.get_by_role("alert")).to_have_text("Question 3: write the question.")
    expect(tutor.locator('[name="q1_prompt"]')).to_have_value("اختر ب")
    screenshot(tutor, "translate-02-refused")
    fill(tutor, ["q3_prompt"])
    tutor.get_by_role("button", name="Save and preview").click()

    # The preview lays the Arabic quiz out right to left.
    expect(tutor.locator(".preview-banner")).to_be_visible()
    article = tutor.locator("article.lesson")
    expect(article).to_have_attribute("dir", "rtl")
    expect(article).to_have_attribute("lang", "ar")
    expect(article.locator("h1")).to_have_text("تحقّق من معلوماتك")
    expect(article.locator("legend").first).to_contain_text("اختر ب")
    screenshot(tutor, "translate-03-arabic-preview-360")
    direction = tutor.evaluate("getComputedStyle(document.querySelector('article.lesson')).direction")
    assert direction == "rtl"

    tutor.goto(f"/tutor/studio/translate/{TARGET}")
    tutor.get_by_role("button", name="Publish the translation").click()
    expect(tutor.locator("h1")).to_have_text("ابقَ جافًا")
    expect(tutor.get_by_role("link", name="English: Stay dry")).to_be_visible()
    screenshot(tutor, "translate-04-published")

    resident = phones.open(javascript=False)
    resident.set_viewport_size({"width": 360, "height": 740})
    resident.goto(f"/courses/{SOURCE}/read-me")
    resident.get_by_role("link", name="العربية").click()
    expect(resident).to_have_url(f"{phones.base_url}/courses/{TARGET}/read-me")
    expect(resident.get_by_role("heading", name="مرحبًا")).to_be_visible()
    expect(resident.locator("article.lesson")).to_have_attribute("dir", "rtl")
    screenshot(resident, "translate-05-resident-switched")
    assert [b for b in phones.broken if "/translate/" not in b] == []
