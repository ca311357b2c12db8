"""Server-rendered pages: one Jinja2 environment for all plugins, translated per request."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import pluggy
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from hub import i18n
from hub.caches import LruCache
from hub.deps import csrf_token
from hub.http_cache import StaticUrls
from hub.learners import role_label
from hub.library import CourseCard
from hub.plugins import plugin_folder
from hub.topics import topic_label

CORE_TEMPLATES = Path(__file__).parent / "templates"


class CourseCards:
    """Course cards rendered once per course version, source mark, language and size.

    The home page and the course list show the same cards to every phone; rendering each
    card's macro on every request was most of those pages' time. A course's card changes only
    with its version or its mark, which are in the key (a new import makes a new version).
    The language is in the key too, and the least recently shown card goes first when the cache
    is full (HUB_CACHE_CARDS), so readers in four languages keep each other's cards.
    """

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment = environment
        self.cards: LruCache[Markup] = LruCache.configured("CARDS")

    def __call__(self, course: CourseCard, compact: bool = False, eager: bool = False) -> Markup:
        """`eager` for the first card of a page: its cover is what a phone paints first."""
        key = (course.id, course.version, course.source, i18n.current_locale.get(), compact, eager)
        card = self.cards.get(key)
        if card is None:
            macros = self.environment.get_template("_macros.html").module
            card = self.cards.put(key, macros.course_card(course, topic_label, compact, eager))  # type: ignore[attr-defined]
        return card


def _page_gettext(message: str) -> str:
    """A translation for a page. Jinja marks what gettext returns as safe markup; a catalog an admin
    uploaded (hub/interface_languages.py) is text, so it is escaped first: `<script>` shows as text."""
    text = i18n.gettext(message)
    return escape(text) if i18n.current_translations.get() is not None else text


def _page_ngettext(singular: str, plural: str, n: int) -> str:
    text = i18n.ngettext(singular, plural, n)
    return escape(text) if i18n.current_translations.get() is not None else text


def build_environment(manager: pluggy.PluginManager, compiled: Path) -> jinja2.Environment:
    """The pages' Jinja environment; templates are kept compiled in the folder `compiled` (Jinja
    checks each against its source), so a restarted hub does not compile its pages again."""
    folders = [plugin_folder(p, "templates") for p in manager.get_plugins()]
    compiled.mkdir(exist_ok=True)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*(f for f in folders if f), CORE_TEMPLATES]),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(_page_gettext, _page_ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals["language_name"] = i18n.language_name
    environment.globals["text_direction"] = i18n.text_direction
    environment.globals["role_label"] = role_label
    environment.globals["file_size"] = i18n.file_size
    environment.globals["when"] = i18n.when
    environment.globals["format_day"] = i18n.format_day
    environment.globals["ui_language"] = i18n.current_locale.get
    environment.globals["new_attempt_id"] = lambda: str(uuid.uuid4())  # a quiz form's (hub/progress.py)
    environment.globals["static_url"] = StaticUrls()
    environment.globals["course_card"] = CourseCards(environment)
    for functions in manager.hook.hub_template_globals():
        environment.globals.update(functions)
    return environment


def page_to_return_to(request: Request) -> str:
    """The address to come back to after choosing a language or signing in.

    A page shown in answer to a form (a quiz result) cannot be fetched again with GET, so
    the page the form was on is used instead.
    """
    if request.method == "GET":
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with what every page needs: language, direction, navigation, learner."""
    app = request.app
    language = request.scope.get("state", {}).get("language", i18n.SOURCE_LANGUAGE)
    nav = sorted(
        (item for items in app.state.plugins.hook.hub_nav_items(request=request) for item in items),
        key=lambda item: item.order,
    )
    html = app.state.templates.get_template(template).render(
        request=request,
        language=language,
        direction=i18n.text_direction(language),
        languages=app.state.languages,
        nav=nav,
        hub_name=app.state.hub_name,
        learner=getattr(request.state, "learner", None),
        csrf_token=lambda: csrf_token(request),
        here=page_to_return_to(request),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
