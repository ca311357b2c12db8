"""Navigation links contributed by plugins."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # already translated
    order: int = 50


@dataclass(frozen=True)
class AdminPage:
    """A page of the admin area, linked from its dashboard with a line on how things stand."""

    href: str
    label: str  # already translated
    order: int = 50
    state: str = ""  # already translated; shown under "This hub at a glance" when not empty
