"""What the browser tests share: the starter courses as authored, and steps a resident takes."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import tomllib
from functools import cache
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from content.author import read_author_folder
from content.model import Manifest, Question
from tests.conftest import run_hub
from tests.processes import Server, serve

STARTER = Path(__file__).resolve().parents[2] / "content" / "starter"


@cache
def starter(course_id: str) -> Manifest:
    """A starter course as its author wrote it (the tests' source of truth)."""
    return read_author_folder(STARTER / course_id).manifest


def starter_ids_in(language: str) -> set[str]:
    """The ids of the starter courses written in a language."""
    found = set()
    for toml in STARTER.glob("*/course.toml"):
        course = tomllib.loads(toml.read_text(encoding="utf-8"))
        if course["language"].split("-")[0] == language:
            found.add(course["id"])
    return found


def first_paragraph(markdown: str) -> str:
    """The first plain paragraph line of a lesson's Markdown, without emphasis marks."""
    for line in markdown.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-", ">", "*", "|")) and not re.match(r"\d+\.", line):
            return line.replace("**", "")
    raise AssertionError("the lesson has no plain paragraph")


def headings(markdown: str) -> list[str]:
    return re.findall(r"^## (.+?)\s*$", markdown, flags=re.MULTILINE)


def main_nav(page: Page, label: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)


def yours(page: Page) -> Locator:
    """The home page's "Courses in <your language>" section."""
    return page.locator('section[aria-labelledby="yours"]')


def choose_language(page: Page, code: str) -> None:
    """Use the header's language button and the picker page, as a resident does."""
    page.locator("header a.lang").click()
    expect(page).to_have_url(re.compile(r"/language\?next="))
    page.locator(f'ul.languages a[lang="{code}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def course_links(section: Locator) -> list[str]:
    return [link.get_attribute("href") or "" for link in section.locator("li.card h3 a").all()]


def fill_correct_answers(page: Page, questions: list[Question]) -> None:
    """Answer each question right; fields are q0, q1, … as the quiz form names them."""
    form = page.locator("form.quiz")
    for index, question in enumerate(questions):
        field = f'input[name="q{index}"]'
        if question.type == "single":
            form.locator(f'{field}[value="{question.answer}"]').check()
        elif question.type == "multiple":
            for choice in question.answer:  # type: ignore[union-attr]
                form.locator(f'{field}[value="{choice}"]').check()
        elif question.type == "truefalse":
            form.locator(f'{field}[value="{"true" if question.answer else "false"}"]').check()
        else:
            form.locator(field).fill(f"{question.answer:g}")


def setup_code(home: Path) -> str:
    """The one-time setup code `hub serve` printed for the hub in `home` (kept in its hub.db)."""
    with sqlite3.connect(home / "hub.db") as db:
        return json.loads(db.execute("SELECT value FROM settings WHERE key = 'setup_code'").fetchone()[0])


def set_up(page: Page, hub_name: str, admin: tuple[str, str], home: Path) -> None:
    """First run: type the setup code, name the server and become its admin, as the setup page asks."""
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/admin/setup$"))
    page.locator("#code").fill(setup_code(home))
    page.locator("#hub_name").fill(hub_name)
    page.locator("#name").fill(admin[0])
    page.locator("#password").fill(admin[1])
    page.get_by_role("button", name="Create the hub").click()
    expect(page.locator("header .brand")).to_have_text(hub_name)


def sign_in(page: Page, name: str, secret: str) -> None:
    page.goto("/signin")
    page.locator("#name").fill(name)
    page.locator("#pin").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("footer")).to_contain_text(f"Signed in as {name}.")


def wait_until_true(page: Page, expression: str, timeout_ms: int = 5_000) -> None:
    """Wait until a JavaScript expression is true in the page. Playwright's wait_for_function
    polls through eval() once its first look is false, which the hub's Content-Security-Policy
    (no 'unsafe-eval') refuses; page.evaluate is the browser's own evaluation and is allowed."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"waited {timeout_ms} ms for {expression}"
        time.sleep(0.1)


def serve_with(home: Path, admin: tuple[str, str], folders: list[Path]) -> Server:
    """`hub serve` on a new home with an admin (name, secret) and the author folders imported."""
    made = run_hub("users", "add", admin[0], "--role", "admin", "--secret", admin[1], home=home)
    assert made.returncode == 0, made.stdout + made.stderr
    for folder in folders:
        done = run_hub("content", "import", folder, "--allow-unverified", "--yes", home=home)
        assert done.returncode == 0, done.stdout + done.stderr
    return serve(home)


def serious_problems(page: Page) -> list[str]:
    """What axe finds serious or critical on the page as it is now, in words."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]
