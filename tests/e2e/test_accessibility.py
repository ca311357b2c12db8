"""axe-core (the engine behind most accessibility checkers) on every page a resident, a tutor and an
admin meets, on a phone, in English and Arabic: no serious or critical violation anywhere.

axe 4.12 comes inside the pinned PyPI package axe-playwright-python; it is run through
``page.evaluate``, which the hub's Content-Security-Policy does not stop (no page is changed to
let it in).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.conftest import run_hub
from tests.e2e.helpers import sign_in
from tests.e2e.test_phone import RESIDENT_PAGES, open_phone
from tests.processes import Server, serve

pytestmark = pytest.mark.e2e

RESIDENT_MORE = ["/signin", "/me/data", "/courses/first-aid-ar/recovery-position", "/search?q=الأيدي",
                 "/keep/courses/hand-hygiene-en", "/keep/courses/hand-hygiene-ar", "/offline"]  # fmt: skip
TUTOR_PAGES = ["/tutor", "/tutor/studio", "/tutor/studio/new", "/tutor/import", "/tutor/pathways",
               "/tutor/classes", "/tutor/updates", "/tutor/reviews", "/tutor/jobs",
               "/tutor/needs-help"]  # fmt: skip
ADMIN_PAGES = ["/admin", "/admin/settings", "/admin/users", "/admin/keys", "/admin/sync", "/admin/bundles",
               "/admin/library", "/admin/retractions", "/admin/languages"]  # fmt: skip
BLOCKING = {"serious", "critical"}
ADMIN = ("Axel Admin", "axel-password-1")


@pytest.fixture(scope="module")
def admin_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A hub of its own with an admin: the package's shared hub must stay without one, as the
    set-up tests need it."""
    home = tmp_path_factory.mktemp("axe") / "home"
    made = run_hub("users", "add", ADMIN[0], "--role", "admin", "--secret", ADMIN[1], home=home)
    assert made.returncode == 0, made.stdout + made.stderr
    server = serve(home)
    yield server
    server.stop()


def violations(page: Page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    found = Axe().run(page).response["violations"]
    return [
        f"{path}: {v['id']} ({v['impact']}) {v['help']}: {node['target']}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"][:3]
    ]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_resident_pages_have_no_serious_accessibility_problem(browser: Browser, hub_url: str, language: str):
    page = open_phone(browser, hub_url, 360, True, language)
    problems = [p for path in [*RESIDENT_PAGES, *RESIDENT_MORE] for p in violations(page, path)]
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_tutor_and_admin_pages_have_no_serious_accessibility_problem(
    browser: Browser, admin_hub: Server, language: str
):
    page = open_phone(browser, admin_hub.url, 360, True, "en")
    sign_in(page, *ADMIN)
    page.context.add_cookies([{"name": "hub_lang", "value": language, "url": admin_hub.url}])
    problems = [p for path in [*TUTOR_PAGES, *ADMIN_PAGES] for p in violations(page, path)]
    page.context.close()
    assert not problems, "\n".join(problems)
