"""A lesson's Markdown rendered to HTML once, not on every view.

Rendering (and sanitising) a lesson's Markdown was a fifth of the CPU of a lesson view. The text
is the key, so a new version of a lesson with other words is rendered anew, and the same words
in two versions or two courses are rendered once; HUB_CACHE_LESSON_HTML lessons are kept, the
least recently viewed dropped first (hub/caches.py).
"""

from __future__ import annotations

from content.markdown import render_markdown
from hub.caches import LruCache

_rendered: LruCache[str] = LruCache.configured("LESSON_HTML")


def lesson_markdown_html(text: str) -> str:
    """`render_markdown(text)`, from the cache when this text was rendered before."""
    if not text:
        return ""
    return _rendered.get_or_make(text, lambda: render_markdown(text))
