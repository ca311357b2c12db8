"""The words a person sees in an HTML5 app, for search: the visible text of its HTML pages.

Scripts, styles and templates are left out (their words are code, not what the app shows);
alt texts and titles are kept. A damaged or unreadable app gives no words rather than an error:
search must never refuse a course the import already took.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

from content.appzip import AppZip
from content.errors import ContentError

_HIDDEN = frozenset({"script", "style", "template", "svg", "math", "head"})
_KEPT_IN_HEAD = "title"
_SPACES = re.compile(r"\s+")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MAX_PAGES = 50  # an app's HTML pages read for its words


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self._hidden: list[str] = []  # the hiding elements we are inside, innermost last
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden.append(tag)
        elif tag == _KEPT_IN_HEAD:
            self._in_title = True
        elif not self._hidden:
            self.words += [value for name, value in attrs if name in ("alt", "title", "aria-label") and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and tag in self._hidden:
            while self._hidden and self._hidden.pop() != tag:
                pass
        elif tag == _KEPT_IN_HEAD:
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if not self._hidden or self._in_title:
            self.words.append(data)


def html_text(page: bytes) -> str:
    """The visible words of one HTML page, spaces squeezed."""
    parser = _VisibleText()
    parser.feed(page.decode("utf-8", errors="replace"))
    parser.close()
    return _SPACES.sub(" ", " ".join(parser.words)).strip()


def app_text(app_zip: Path | BinaryIO, max_chars: int) -> str:
    """The visible words of an app zip's HTML pages (index.html first), at most `max_chars`."""
    try:
        with AppZip(app_zip) as app:
            pages = sorted(
                (f for f in app.files() if f.name.lower().endswith(_HTML_SUFFIXES)),
                key=lambda f: (f.name != "index.html", f.name),
            )[:MAX_PAGES]
            texts, length = [], 0
            for page in pages:
                text = html_text(app.read(page.name))
                texts.append(text)
                length += len(text)
                if length >= max_chars:
                    break
    except ContentError:
        return ""
    return "\n".join(t for t in texts if t)[:max_chars]
