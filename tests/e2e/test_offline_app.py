"""The offline web app in Chromium, as a phone meets it (issue 12, item 4).

The hub serves HTTPS at https://hub.test:PORT with a certificate from a throw-away test CA; Chromium
trusts that CA through a fresh NSS database in its own HOME, as a phone trusts a CA its owner
installed (never by ignoring certificate errors), and reaches hub.test through host-resolver rules
that map the name to loopback. A resident saves a course, the hub stops, she reads and answers
away from it, the hub comes back and her answers arrive once. At http://hub.test (not loopback, so
not a secure context) no worker is registered and the page says why. An older hub's worker is
replaced by the new one, with its caches, and the saved course survives.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, TIMEOUT_MS
from tests.e2e.helpers import STARTER, fill_correct_answers, sign_in, starter, wait_until_true
from tests.processes import REPO, free_port, wait_until

pytestmark = pytest.mark.e2e

COURSE = "hand-hygiene-en"
SAVED = "Saved on this phone: it opens without the hub."
PHONE_COPY = "You are reading a copy saved on this phone"
# The hub's server with its version number set, as an older or newer hub would run.
SERVE = (
    "import sys; from pathlib import Path; import hub; hub.__version__ = sys.argv[1]; "
    "from hub.home import Hub; from hub.server import run; "
    "run(Hub(Path(sys.argv[2])), '127.0.0.1', int(sys.argv[3]), sys.argv[4], sys.argv[5])"
)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_test_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA (ca.pem) and a certificate it signed for hub.test (hub.crt, hub.key), as docs/https.md makes."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    usage = dict(content_commitment=False, data_encipherment=False, key_agreement=False,
                 encipher_only=False, decipher_only=False)  # fmt: skip
    ca = (
        x509.CertificateBuilder().subject_name(_name("Hub test CA")).issuer_name(_name("Hub test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True,
                                     key_encipherment=False, **usage), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder().subject_name(_name("hub.test")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hub.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     key_encipherment=False, **usage), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = folder / "ca.pem", folder / "hub.crt", folder / "hub.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return paths


@dataclass
class SecureHub:
    """A hub home served over HTTPS on a fixed port, stopped and started again as a test needs."""

    home: Path
    port: int
    certfile: Path
    keyfile: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://hub.test:{self.port}"

    def start(self, version: str | None = None) -> None:
        import hub

        command = [sys.executable, "-c", SERVE, version or hub.__version__, str(self.home), str(self.port),
                   str(self.certfile), str(self.keyfile)]  # fmt: skip
        log = (self.home.parent / "secure-serve.log").open("ab")
        self.process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                        stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_until(self._answers, "the hub to answer over HTTPS", 30)

    def _answers(self) -> bool:
        assert self.process and self.process.poll() is None, "the hub stopped"
        try:
            return httpx.get(f"https://127.0.0.1:{self.port}/", verify=False, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # uvicorn waits for the browser's open connections: not for long
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)

    def count(self, sql: str, *args: object) -> int:
        with sqlite3.connect(self.home / "hub.db") as db:
            return db.execute(sql, args).fetchone()[0]


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_test_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def phone_browser(browser: Browser, test_ca: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Browser]:  # fmt: skip
    """Chromium trusting the test CA through the NSS database in its own HOME, hub.test on loopback."""
    home = tmp_path_factory.mktemp("phone-home")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    trust = ["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "testca", "-i", str(test_ca[0])]
    subprocess.run(trust, check=True)
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP hub.test 127.0.0.1"],
        env={**os.environ, "HOME": str(home)},
    )  # fmt: skip
    yield launched
    launched.close()


@pytest.fixture
def secure_hub(tmp_path: Path, test_ca: tuple[Path, Path, Path]) -> Iterator[SecureHub]:
    home = tmp_path / "home"
    subprocess.run([sys.executable, "-m", "hub", "init", "--home", str(home)], cwd=REPO, check=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True)  # fmt: skip
    served = SecureHub(home, free_port(), test_ca[1], test_ca[2])
    yield served
    served.stop()


def phone(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 740}}, base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def open_ready(page: Page, path: str) -> None:
    """Open a page and wait until the offline app on it has done its work (sent, refreshed, shown)."""
    page.goto(path)
    wait_until_true(page, "document.documentElement.dataset.offlineApp === 'ready'", 15_000)


def save_course(page: Page, course_id: str) -> None:
    open_ready(page, "/offline")
    wait_until_true(page, "!!navigator.serviceWorker.controller", 10_000)
    block = page.locator(f'[data-offline-course="{course_id}"]')
    block.get_by_role("button", name="Save on this phone").click()
    expect(block.locator("[data-offline-status]")).to_have_text(SAVED, timeout=30_000)
    expect(block.get_by_role("button", name="Save on this phone")).to_be_hidden()
    expect(block.get_by_role("button", name="Remove from this phone")).to_be_visible()


def outbox(page: Page) -> int:
    return page.evaluate("HubStore.all('outbox').then(entries => entries.length)")


@pytest.mark.parametrize("who", ["guest", "profile"])
def test_a_saved_course_opens_and_takes_answers_away_from_the_hub_which_arrive_once(
    phone_browser: Browser, secure_hub: SecureHub, screenshot, who: str
):
    if who == "profile":
        subprocess.run([sys.executable, "-m", "hub", "users", "add", "Amina", "--secret", "1234", "--home",
                        str(secure_hub.home)], cwd=REPO, check=True, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    secure_hub.start()
    context, page = phone(phone_browser, secure_hub.url)
    if who == "profile":
        sign_in(page, "Amina", "1234")
    save_course(page, COURSE)
    expect(page.locator("[data-offline-saved-list]")).to_contain_text("Clean hands stop germs")
    screenshot(page, f"offline-saved-{who}")

    secure_hub.stop()  # she goes home: the hub cannot be reached
    page.goto("/courses/hand-hygiene-en/why-hands")
    expect(page.locator("h1")).to_have_text("Why clean hands matter")
    expect(page.locator("footer").get_by_text(PHONE_COPY)).to_be_visible()
    expect(page.locator("footer").get_by_text("no internet needed while")).to_be_hidden()
    screenshot(page, f"offline-lesson-away-{who}")
    page.get_by_role("button", name="Done, next lesson").click()
    expect(page).to_have_url(f"{secure_hub.url}/offline/kept?course={COURSE}")
    expect(page.locator("h1")).to_have_text("Kept on this phone")
    page.goto("/courses/hand-hygiene-en/how-to-wash")  # the video lesson's poster picture was saved
    poster = page.locator("video").get_attribute("poster") or ""
    assert poster and page.evaluate(f"fetch('{poster}').then(r => r.ok)")
    page.goto("/courses/hand-hygiene-en/quiz")
    quiz = next(lesson for lesson in starter(COURSE).lessons if lesson.kind == "quiz")
    fill_correct_answers(page, quiz.questions)
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator("main")).to_contain_text("you will see your quiz score then")
    screenshot(page, f"offline-quiz-kept-{who}")
    assert outbox(page) == 2
    # Two tabs sending at once, or a reply lost on the way, send an answer twice: copy it in the outbox.
    page.evaluate("""HubStore.all('outbox').then(entries => {
        const quiz = entries.find(e => e.url.endsWith('/quiz'));
        return HubStore.put('outbox', Object.assign({}, quiz, {id: crypto.randomUUID()}));
    })""")
    page.goto("/courses/first-aid-en")  # not saved: the list of what is on the phone instead
    expect(page.locator("h1")).to_have_text("On this phone")
    assert secure_hub.count("SELECT count(*) FROM quiz_attempts") == 0

    secure_hub.start()  # back on the hub's Wi-Fi
    open_ready(page, "/")
    assert outbox(page) == 0
    open_ready(page, "/offline")
    expect(page.locator("footer").get_by_text(PHONE_COPY)).to_be_hidden()
    passed = "SELECT count(*) FROM quiz_attempts WHERE course_id = ? AND passed"
    assert secure_hub.count(passed, COURSE) == 1
    done = "SELECT count(*) FROM progress WHERE lesson_id = 'why-hands' AND completed_at IS NOT NULL"
    assert secure_hub.count(done) == 1
    assert secure_hub.count("SELECT count(DISTINCT learner_id) FROM quiz_attempts") == 1
    if who == "profile":  # hers, not a new guest's
        mine = "SELECT count(*) FROM quiz_attempts q JOIN learners l ON l.id = q.learner_id WHERE l.name = ?"
        assert secure_hub.count(mine, "Amina") == 1
    page.goto("/courses/hand-hygiene-en/quiz")
    expect(page.locator("main")).to_contain_text("Your best score so far")  # the same learner, on the hub

    open_ready(page, "/offline")
    page.locator("[data-offline-saved-list]").get_by_role("button").click()  # she removes the course
    expect(page.locator("[data-offline-saved-list]")).to_contain_text("No course is saved on this phone yet.")
    kept = "caches.open('commons-hub-courses-v1').then(c => c.keys())"
    assert page.evaluate(f"{kept}.then(keys => keys.filter(r => r.url.includes('/courses/')).length)") == 0
    context.close()


def test_over_plain_http_at_a_name_no_worker_is_registered_and_the_page_says_why(
    phone_browser: Browser, hub_url: str, screenshot
):
    context, page = phone(phone_browser, hub_url.replace("127.0.0.1", "hub.test"))
    page.goto("/offline")
    assert page.evaluate("window.isSecureContext") is False
    registered = "navigator.serviceWorker.getRegistrations().then(r => r.length)"
    assert page.evaluate(f"'serviceWorker' in navigator ? {registered} : 0") == 0
    expect(page.locator("main")).to_contain_text("this hub does not have one")
    expect(page.locator("main")).to_contain_text("booklet, its audio or a Kiwix file")
    expect(page.locator("footer")).to_contain_text("Away from the hub these pages do not open")
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("On this phone")
    screenshot(page, "offline-plain-http")
    context.add_cookies([{"name": "hub_lang", "value": "ar", "url": page.url}])
    page.goto("/offline")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("main")).to_contain_text("وهذه المنصة ليس لها عنوان كهذا")
    screenshot(page, "offline-plain-http-ar")
    context.close()


def test_an_older_hubs_worker_is_replaced_and_a_newer_course_version_replaces_the_saved_one(
    phone_browser: Browser, secure_hub: SecureHub, screenshot, tmp_path: Path
):
    secure_hub.start(version="0.0.1-old")
    context, page = phone(phone_browser, secure_hub.url)
    save_course(page, COURSE)
    caches = "caches.keys().then(names => names.filter(n => n.startsWith('commons-hub-')))"
    assert any(name.startswith("commons-hub-shell-0.0.1-old-") for name in page.evaluate(caches))

    secure_hub.stop()
    new_version(secure_hub.home, tmp_path)  # meanwhile a tutor brought version 2 of the course
    secure_hub.start()  # and the hub itself was updated
    open_ready(page, "/offline")
    versions = "HubStore.all('saved').then(saved => saved.map(s => s.version))"
    wait_until_true(page, f"{versions}.then(v => v.length === 1 && v[0] === 2)", 15_000)
    replaced = f"{caches}.then(names => !names.some(n => n.includes('0.0.1-old')) && names.length === 2)"
    wait_until_true(page, replaced, 15_000)
    names = page.evaluate(caches)
    assert "commons-hub-courses-v1" in names and not any("0.0.1-old" in name for name in names)
    context.add_cookies([{"name": "hub_lang", "value": "ar", "url": secure_hub.url}])
    open_ready(page, "/offline")  # in Arabic, right to left, the saved course still listed
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("[data-offline-saved-list]")).to_contain_text("Clean hands stop germs")
    expect(page.get_by_role("button", name="احفظ على هذا الهاتف").first).to_be_visible()
    screenshot(page, "offline-updated-ar")
    secure_hub.stop()
    page.goto("/courses/hand-hygiene-en/why-hands")  # the phone's copy is the new version
    expect(page.locator("h1")).to_have_text("Why clean hands matter, revised")
    expect(page.locator("footer").get_by_text(PHONE_COPY)).to_be_visible()
    context.close()


def new_version(home: Path, scratch: Path) -> None:
    """Import version 2 of the course, with its first lesson renamed, as a tutor would."""
    folder = scratch / COURSE
    shutil.copytree(STARTER / COURSE, folder)
    toml = folder / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("version = 1", "version = 2"), encoding="utf-8")
    lesson = folder / "01-why-hands.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(
        text.replace('"Why clean hands matter"', '"Why clean hands matter, revised"'), encoding="utf-8"
    )
    command = ["content", "import", str(folder), "--allow-unverified", "--yes", "--home", str(home)]
    subprocess.run([sys.executable, "-m", "hub", *command], cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip


def test_a_course_saved_with_its_media_plays_them_away_from_the_hub(
    phone_browser: Browser, secure_hub: SecureHub
):
    secure_hub.start()
    context, page = phone(phone_browser, secure_hub.url)
    open_ready(page, "/offline")
    wait_until_true(page, "!!navigator.serviceWorker.controller", 10_000)
    block = page.locator(f'[data-offline-course="{COURSE}"]')
    block.get_by_label(re.compile("Also keep the videos, audio and PDF files")).check()
    block.get_by_role("button", name="Save on this phone").click()
    expect(block.locator("[data-offline-status]")).to_have_text(SAVED, timeout=30_000)
    secure_hub.stop()
    page.goto("/courses/hand-hygiene-en/how-to-wash")
    source = page.locator("video source").first.get_attribute("src")
    asked = f"fetch('{source}', {{headers: {{range: 'bytes=0-99'}}}})"
    part = f"{asked}.then(r => [r.status, r.headers.get('content-range')])"
    status, content_range = page.evaluate(part)  # a video asks for parts of its file
    assert status == 206 and content_range.startswith("bytes 0-99/"), (status, content_range)
    context.close()
