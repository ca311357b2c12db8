"""Keep this course in a browser: a phone 360 px wide with JavaScript off asks for the booklet and
the Kiwix file and downloads them; the ZIM is served by kiwix-serve and its quiz works in Chromium
with nothing fetched from anywhere else."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, REPO_ROOT, TIMEOUT_MS, http_status, in_ci
from tests.e2e.helpers import fill_correct_answers, starter
from tests.e2e.test_phone import MIN_TAP, SMALL_TARGETS
from tests.processes import free_port

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}


def wait_for_download_link(page: Page, name: str) -> None:
    """The page refreshes itself (meta refresh) while the file is made; reload as a person would."""
    deadline = time.monotonic() + 120
    while page.get_by_role("link", name=name).count() == 0:
        assert time.monotonic() < deadline, page.content()
        time.sleep(1)
        page.reload()


def test_a_phone_without_javascript_keeps_the_booklet_and_the_kiwix_file(
    browser: Browser, hub_url: str, screenshot: Callable[[Page, str], Path]
):
    context = browser.new_context(
        **SMALL_PHONE, base_url=hub_url, java_script_enabled=False, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/courses/first-aid-en")
    page.get_by_role("link", name="Keep this course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Keep this course")
    page.get_by_role("button", name="Make the booklet").click()
    expect(page.get_by_text("Being made…")).to_be_visible()
    screenshot(page, "keep-being-made-360-nojs")
    wait_for_download_link(page, "Download the booklet")
    page.get_by_role("button", name="Make the Kiwix file").click()
    wait_for_download_link(page, "Download the Kiwix file")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(SMALL_TARGETS, MIN_TAP) == []
    screenshot(page, "keep-ready-360-nojs")
    sizes = page.locator("#booklet .size, #zim .size").all_inner_texts()
    assert len(sizes) == 2 and all("KB" in s or "MB" in s for s in sizes)
    with page.expect_download() as booklet:
        page.get_by_role("link", name="Download the booklet").click()
    assert booklet.value.suggested_filename == "First aid basics what to do first.pdf"
    assert Path(booklet.value.path()).read_bytes()[:5] == b"%PDF-"
    context.close()


@pytest.fixture(scope="module")
def kiwix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """kiwix-serve serving a ZIM of the English hand hygiene course made by `hub content zim`."""
    if shutil.which("kiwix-serve") is None:
        if in_ci():
            pytest.fail("kiwix-serve is missing (Debian kiwix-tools)")
        pytest.skip("needs kiwix-serve (Debian kiwix-tools)")
    folder = tmp_path_factory.mktemp("kiwix")
    home, zim = folder / "home", folder / "handwashing.zim"
    hub = [sys.executable, "-m", "hub"]
    subprocess.run([*hub, "init", "--home", str(home)], cwd=REPO_ROOT, check=True, capture_output=True)
    made = subprocess.run(
        [*hub, "content", "zim", str(zim), "--course", "hand-hygiene-en", "--home", str(home)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    port = free_port()
    server = subprocess.Popen(["kiwix-serve", "--address", "127.0.0.1", "--port", str(port), str(zim)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while http_status(url + "/") != 200:
            assert time.monotonic() < deadline and server.poll() is None, "kiwix-serve did not start"
            time.sleep(0.1)
        yield f"{url}/handwashing"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_zim_front_page_and_a_quiz_work_in_chromium_from_kiwix_serve(
    browser: Browser, kiwix: str, screenshot: Callable[[Page, str], Path]
):
    context = browser.new_context(**SMALL_PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.goto(kiwix)
    expect(page.get_by_role("heading", level=1)).to_have_text("Clean hands stop germs")
    page.get_by_role("link", name="Clean hands stop germs").click()
    expect(page.get_by_role("heading", name="Lessons")).to_be_visible()
    course = starter("hand-hygiene-en")
    quiz = next(lesson for lesson in course.lessons if lesson.kind == "quiz")
    page.get_by_role("link", name=quiz.title).click()
    page.get_by_role("button", name="Check my answers").click()  # nothing answered: all wrong
    expect(page.locator(".score")).to_have_text(f"0 of {len(quiz.questions)} right")
    fill_correct_answers(page, quiz.questions)
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator(".score")).to_have_text(f"{len(quiz.questions)} of {len(quiz.questions)} right")
    expect(page.locator(".explanation").first).to_be_visible()
    screenshot(page, "keep-zim-quiz-kiwix")
    origin = kiwix.rsplit("/", 1)[0]
    assert requested and all(url.startswith(origin) for url in requested), requested
    context.close()


def test_a_lesson_page_prints_without_navigation_buttons_or_players(
    browser: Browser, hub_url: str, tmp_path: Path
):
    context = browser.new_context(**SMALL_PHONE, base_url=hub_url)
    page = context.new_page()
    page.goto("/courses/hand-hygiene-en")
    course = starter("hand-hygiene-en")
    video = next(lesson for lesson in course.lessons if lesson.kind == "video")
    page.goto(f"/courses/hand-hygiene-en/{video.id}")
    for hidden in ("header.top", "footer.bottom", "form.next", "nav.pager", "video"):
        expect(page.locator(hidden).first).to_be_visible()
    page.emulate_media(media="print")
    for hidden in ("header.top", "footer.bottom", "form.next", "nav.pager", "video"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(video.title)
    expect(page.locator(".alternative .prose")).to_be_visible()  # the video's text version prints
    page.set_content('<main><a href="https://example.org/guide">A guide</a></main>')
    page.add_style_tag(url=f"{hub_url}/static/hub/style.css")
    after = page.evaluate("getComputedStyle(document.querySelector('main a'), '::after').content")
    assert after == '" (" attr(href) ")"' or "example.org/guide" in after
    pdf = page.pdf(format="A4")
    assert pdf[:5] == b"%PDF-"
    context.close()
