"""Navigation links contributed by plugins."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # already translated
    order: int = 50
