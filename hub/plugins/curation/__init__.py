"""Built-in plugin: the course lifecycle — updates waiting for approval, retractions, review dates.

Pages: /tutor/updates (new versions waiting, approve or decline; the admin's choice between
automatic updates and approval), /tutor/reviews (courses past their review date) and
/admin/retractions (retract a course with this hub's key, take a retraction file, see the ones
held). Commands: `hub content retract` and `hub content take-retraction` (hub/lifecycle_cli.py).
The logic lives in hub/updates.py, hub/retractions.py and hub/reviews.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub import reviews, updates
from hub.hookspecs import OnDemand, hookimpl
from hub.i18n import gettext, ngettext
from hub.nav import AdminPage

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from hub.home import Hub


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("admin", "tutor"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.curation import routes

    return [routes.router]


@hookimpl
def hub_admin_pages(hub: Hub) -> list[AdminPage]:
    waiting, overdue = len(updates.pending(hub.db)), len(reviews.past_review(hub.db))
    waiting_text = ngettext(
        "%(num)d new version waits for approval", "%(num)d new versions wait for approval", waiting
    )
    overdue_text = ngettext(
        "%(num)d course is past its review date", "%(num)d courses are past their review date", overdue
    )
    return [
        AdminPage("/tutor/updates", gettext("Course updates"), 42,
                  waiting_text % {"num": waiting} if waiting else ""),
        AdminPage("/tutor/reviews", gettext("Courses past their review date"), 43,
                  overdue_text % {"num": overdue} if overdue else ""),
        AdminPage("/admin/retractions", gettext("Retractions"), 44),
    ]  # fmt: skip


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub import lifecycle_cli

    lifecycle_cli.register(cli)
