"""Every HTML form route, fuzzed as each role with a valid CSRF token (issue 17: "fuzz the HTML forms").

For each POST route outside /api/ (found from the app's own routes), hypothesis sends random,
huge, odd-unicode, repeated and missing fields, sometimes with files, to real and fuzzed ids, as
each role the route lets in (guest, learner, tutor, admin; test_access covers the refused ones).
No answer may be a server error, a refusal (4xx) must leave the hub's database as it was (except
the sign-in failures a refused sign-in is meant to count), and afterwards the hub's pages still
render (nothing stored poisons them).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import first_run, interface_languages, learners, pathways, trust
from hub.access import required_role
from hub.app import create_app
from hub.home import Hub
from hub.learners import Role
from hub.plugins import manager_for
from hub.route_index import every_route
from tests.conftest import BrowserClient, hub_with_accounts

ROLES = (Role.GUEST, Role.LEARNER, Role.TUTOR, Role.ADMIN)
CSRF = "fuzz-csrf-token"
EXAMPLES = 30
DRAFT = "fuzz-course-en"
TEMPLATES = Path(__file__).resolve().parents[2] / "hub"
# Every field name a hub form has (from the templates), and the quiz's numbered answers.
FIELDS = sorted(
    {m for t in TEMPLATES.rglob("*.html") for m in re.findall(r'name="(\w+)"', t.read_text("utf-8"))}
    - {"csrf_token", "viewport"}
    | {f"q{i}" for i in range(4)}
)
PAGES = ("/", "/courses/sample-course", "/courses/sample-course/check", "/me", "/tutor", "/admin/users",
         f"/tutor/studio/drafts/{DRAFT}")  # fmt: skip
NOT_COMPARED = {"sign_in_limits"}  # a refused sign-in counts a failure: that is its job


def form_routes(app: FastAPI) -> dict[str, tuple[Role, ...]]:
    """Each form route's path, with the roles allowed through it (the others are test_access's)."""
    routes = (r for r in every_route(app) if isinstance(r, APIRoute))
    return {
        r.path: tuple(who for who in ROLES if who.rank >= (required_role(r) or Role.ADMIN).rank)
        for r in routes
        if "POST" in r.methods and not r.path.startswith("/api/")
    }


@pytest.fixture(scope="module")
def template_home() -> Iterator[Path]:
    """A hub with a course, a draft with a lesson, a pathway, a class and one account per role."""
    with tempfile.TemporaryDirectory() as folder:
        accounts = {r: (r.value.title(), "1234" if r == Role.LEARNER else "a-password") for r in ROLES[1:]}
        hub = hub_with_accounts(Path(folder) / "home", accounts)
        home = hub.home
        pathways.create_pathway(hub.db, "A way")
        trust.ensure_own_key(home, hub.db, "Fuzz hub")  # a trusted key to delete
        interface_languages.add(hub, "ps", "", "fr")  # an added interface language to change
        with client_as(create_app(hub, manager_for(hub, load_entry_points=False)), hub, Role.TUTOR) as tutor:
            new = {"title": "Fuzz course", "language": "en", "category": "health", "publisher": "Us"}
            assert tutor.post("/tutor/studio/new", data=new, follow_redirects=False).status_code == 303
            lesson = {"kind": "quiz", "title": "Check"}
            assert tutor.post(f"/tutor/studio/drafts/{DRAFT}/lessons", data=lesson).status_code == 200
            made = tutor.post("/tutor/classes", data={"name": "Fuzz class", "language": "en"})
            assert made.status_code == 200  # class 1, taught by the tutor
        hub.db.conn.close()
        yield home


def client_as(app: FastAPI, hub: Hub, role: Role) -> BrowserClient:
    client = BrowserClient(app, base_url="http://hub.test")  # the token in a header, as scripts send it
    client.cookies.set("hub_csrf", CSRF)
    if role != Role.GUEST:
        account = next(a for a in learners.list_accounts(hub.db) if a.name == role.value.title())
        client.cookies.set("hub_session", learners.start_session(hub.db, account.id))
    return client


def digest(hub: Hub) -> str:
    """A digest of every table's rows."""
    found = hashlib.sha256()
    tables = hub.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for (table,) in tables.fetchall():
        if table not in NOT_COMPARED:
            rows = hub.db.execute(f'SELECT * FROM "{table}"').fetchall()
            found.update(f"{table}:{sorted(map(repr, rows))}".encode())
    return found.hexdigest()


class Watch:
    """Tells whether the hub's data changed since the last look, reading it all only after a commit."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.version, self.digest = self._version(), digest(hub)

    def _version(self) -> int:  # moves when another connection (the app's) commits
        return self.hub.db.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        version = self._version()
        if version == self.version:
            return False
        before, self.version, self.digest = self.digest, version, digest(self.hub)
        return self.digest != before


ODD = st.sampled_from([
    "", " ", "0", "-1", "99999999999999999999", "1e999", "NaN", "-inf", "on", "true", "null", "[]",
    "../../../etc/passwd", "/", "//evil.test", "\\\\server\\share", "\x00", "a\x00b", "\u202eevil",
    "\ufeff", "e\u0301", "ﷺ", "🧼" * 50, "𝕏𝔶", "<script>alert(1)</script>", "{{7*7}}", "%(x)s", "%s%n",
    "x" * 70_000, "é" * 30_000, "Admin", "fr", "en", "admin", "tutor", "learner", "sample-course", DRAFT,
    "save", "preview", "publish", "up", "down", "add", "remove", "rename", "article", "video", "audio",
    "pdf", "images", "quiz", "single", "multiple", "truefalse", "numeric", "1", "2", "0:x", "0:",
])  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)
FIELD = st.integers(0, 3).flatmap(lambda n: TEXT.filter(bool) if n == 0 else st.sampled_from(FIELDS))


def form(*known: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Fields, repeated or not, with odd values and any `known` good ones."""
    value = st.one_of(ODD, TEXT, st.integers().map(str), *([st.sampled_from(known)] if known else []))
    return st.lists(st.tuples(FIELD, value), max_size=12)


FILES = st.lists(
    st.tuples(
        st.sampled_from(["file", "cover", "key_file", "retraction_file", "po_file"]),
        TEXT,
        st.binary(max_size=2048),
    ),
    max_size=2,
)


def real_values(route: str, hub: Hub) -> dict[str, list[str]]:
    """For each path parameter, the ids that lead somewhere on the template hub."""
    studio = route.startswith("/tutor/studio")
    return {
        "course_id": [DRAFT if studio else "sample-course"],
        "lesson_id": ["check" if studio or route.endswith("quiz") else "read-me"],
        "learner_id": [a.id for a in learners.list_accounts(hub.db)],
        "index": ["0", "1"],
        "pathway_id": ["1"],
        "key_id": [hub.db.execute("SELECT key_id FROM trusted_keys").fetchone()[0]],
        "class_id": ["1"],
        "assignment_id": ["1"],
        "quiz_id": ["1"],
        "tutor_id": [a.id for a in learners.list_accounts(hub.db)],
        "action": ["open", "close"],
        "version": ["1", "2"],
        "code": ["ps"],
    }


def path_for(route: str, hub: Hub) -> st.SearchStrategy[str]:
    """The route with each parameter, three times in four, a real id, else a fuzzed one."""
    names = re.findall(r"{(\w+)}", route)
    real = real_values(route, hub)
    fuzzed = TEXT.filter(bool).map(lambda t: quote(t, safe=""))
    choices = [
        st.integers(0, 3).flatmap(lambda n, name=name: fuzzed if n == 0 else st.sampled_from(real[name]))
        for name in names
    ]

    def build(values: tuple[str, ...]) -> str:
        path = route
        for name, value in zip(names, values, strict=True):
            path = path.replace("{" + name + "}", value)
        return path

    return st.tuples(*choices).map(build)


def _routes() -> dict[str, tuple[Role, ...]]:
    with tempfile.TemporaryDirectory() as folder:
        hub = Hub(Path(folder))
        return form_routes(create_app(hub, manager_for(hub, load_entry_points=False)))


ROUTES = _routes()


def test_every_form_route_is_fuzzed():
    assert len(ROUTES) >= 40 and "/admin/setup" in ROUTES and "/signin" in ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_a_form_route_survives_anything_and_refusals_change_nothing(route: str, template_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    hub = Hub(home)
    known = []
    if route == "/admin/setup":  # first run: no admin yet, and the code is among the values tried
        hub.db.execute("UPDATE learners SET role = 'tutor' WHERE role = 'admin'")
        known = [first_run.setup_code(hub.db) or ""]
    app = create_app(hub, manager_for(hub, load_entry_points=False))
    clients = {role: client_as(app, hub, role) for role in ROUTES[route]}
    watch = Watch(hub)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(role=st.sampled_from(ROUTES[route]), path=path_for(route, hub), form=form(*known), files=FILES)
    def post(role: Role, path: str, form: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> None:
        fields: dict[str, list[str]] = {"csrf_token": [CSRF]}
        for name, value in form:
            fields.setdefault(name, []).append(value)
        answer = clients[role].post(
            path, data=fields, files=[(f, (n, b)) for f, n, b in files] or None, follow_redirects=False
        )
        assert answer.status_code < 500, (role, path, form, answer.text[:500])
        changed = watch.changed()
        assert not (changed and answer.status_code >= 400), f"{role} {path}: refused, yet the hub changed"

    try:
        post()
        for page in PAGES:  # nothing stored on the way poisons a page (as the most trusted role here)
            assert clients[ROUTES[route][-1]].get(page).status_code < 500, (route, page)
    finally:
        for client in clients.values():
            client.close()
