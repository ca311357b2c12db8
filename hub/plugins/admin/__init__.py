"""Built-in plugin: first-run setup, the admin area, the tutor overview and account commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub import background, privacy
from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext
from hub.learners import Learner, Role
from hub.nav import AdminPage, NavItem
from hub.settings import load_settings

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter, Request

    from hub.home import Hub

RETENTION_CHECK_SECONDS = 3600


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("admin", "tutor"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.admin import keys, languages, routes

    return [routes.router, keys.router, languages.router]


@hookimpl
def hub_nav_items(request: Request) -> list[NavItem]:
    learner: Learner | None = getattr(request.state, "learner", None)
    role = learner.effective_role if learner else Role.GUEST
    items = []
    if role.rank >= Role.TUTOR.rank:
        items.append(NavItem("/tutor", gettext("Tutor"), 40))
    if role == Role.ADMIN:
        items.append(NavItem("/admin", gettext("Admin"), 50))
    return items


@hookimpl
def hub_admin_pages(hub: Hub) -> list[AdminPage]:
    return [
        AdminPage("/admin/users", gettext("Accounts"), 10),
        AdminPage("/admin/settings", gettext("Settings"), 20),
        AdminPage("/admin/keys", gettext("Signing keys"), 30),
        AdminPage("/admin/languages", gettext("Interface languages"), 35),
        AdminPage("/tutor", gettext("Learners' progress"), 90),
    ]


def _forget_old_guests(hub: Hub) -> None:
    privacy.forget_old_guests(hub.db, load_settings(hub).guest_retention_days)


@hookimpl
def hub_startup(hub: Hub) -> None:
    background.every(hub, "retention", RETENTION_CHECK_SECONDS, _forget_old_guests)


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub.plugins.admin import commands

    commands.register(cli)
