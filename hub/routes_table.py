"""The table of every route and who may call it, built from the routes themselves."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from hub.access import required_role
from hub.learners import Role
from hub.route_index import every_route

WHO = {
    Role.GUEST: "anyone (guests too)",
    Role.LEARNER: "learners with a profile, tutors, admins",
    Role.TUTOR: "tutors, admins",
    Role.ADMIN: "admins",
}


def route_roles(app: FastAPI) -> list[tuple[str, str, Role | None, Role | None]]:
    """(method, path, role, stricter role when a setting is off) for every route."""
    rows = []
    for route in every_route(app):
        if isinstance(route, APIRoute):
            role = required_role(route)
            stricter = None
            for dependency in route.dependant.dependencies:
                stricter = getattr(dependency.call, "stricter_role", stricter)
            for method in sorted(route.methods):
                rows.append((method, route.path, role, stricter if stricter != role else None))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def markdown_table() -> str:
    from hub.app import create_app
    from hub.home import Hub
    from hub.plugins import manager_for

    with tempfile.TemporaryDirectory() as home:
        hub = Hub(Path(home))
        app = create_app(hub, manager_for(hub, load_entry_points=False))
        lines = [
            "# Routes and who may call them",
            "",
            "Made by `hub routes -o docs/routes.md` from the routes' own declarations; a test keeps",
            "it current. Static files under `/static/` are public.",
            "",
            "| method | path | who may call it |",
            "| --- | --- | --- |",
        ]
        for method, path, role, stricter in route_roles(app):
            who = WHO[role] if role else "UNDECLARED"
            if stricter:
                who += f" (only {WHO[stricter]} when the admin turns guest learning off)"
            lines.append(f"| {method} | `{path}` | {who} |")
    return "\n".join(lines) + "\n"
