"""An icon for each lesson kind, drawn inline (no icon font, no emoji a phone may lack)."""

from __future__ import annotations

from markupsafe import Markup

_PATHS = {
    "article": '<path d="M6 3h9l4 4v14H6z"/><path d="M9 10h7M9 14h7M9 18h5"/>',
    "video": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M10 9l5 3-5 3z"/>',
    "audio": '<path d="M4 14v-2a8 8 0 0 1 16 0v2"/><rect x="3" y="14" width="4" height="6" rx="1"/>'
    '<rect x="17" y="14" width="4" height="6" rx="1"/>',
    "pdf": '<path d="M6 3h9l4 4v14H6z"/><path d="M9 13h6v5H9z"/>',
    "images": '<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/>'
    '<path d="M21 17l-6-6-9 9"/>',
    "quiz": '<circle cx="12" cy="12" r="9"/>'
    '<path d="M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.7.4-1 1-1 1.7M12 17h.01"/>',
    "html5": '<rect x="3" y="4" width="18" height="16" rx="2"/>'
    '<path d="M3 8h18M10 12l-2 2 2 2M14 12l2 2-2 2"/>',
}
_PATHS["h5p"] = _PATHS["html5"]  # an activity either way: the learner need not know which format
_BOOK = '<path d="M4 4h7v16H4zM13 4h7v16h-7z"/>'


def kind_icon(kind: str) -> Markup:
    """A 32 px line icon for a lesson kind; hidden from screen readers (the kind is written beside it)."""
    return Markup(
        '<svg class="kind-icon" aria-hidden="true" width="32" height="32" viewBox="0 0 24 24" fill="none"'
        ' stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        f"{_PATHS.get(kind, _BOOK)}</svg>"
    )
