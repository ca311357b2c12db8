"""`hub sync token create|enroll|now|hubs|revoke`: the command-line side of HTTP sync."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from hub.cli import HomeOption, console, fail, open_hub
from hub.lifecycle_cli import say_lifecycle
from hub.plugins.sync import central, client
from hub.settings import CENTRAL_ROLE, ROLE_SETTING, load_settings

sync_app = typer.Typer(help="Sync with a central server over the network.", no_args_is_help=True)
token_app = typer.Typer(help="One-time enrolment tokens (on the central server).", no_args_is_help=True)
sync_app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="The name of the hub that will use the token.")] = "hub",
    days: Annotated[int, typer.Option(help="How many days the token stays valid.")] = central.TOKEN_DAYS,
    home: HomeOption = None,
) -> None:
    """Make a one-time token a new hub enrols with (shown once; only its hash is kept)."""
    hub = open_hub(home)
    try:
        token = central.create_token(hub.sync_db, name, days)
    except central.Refused as error:
        raise fail(escape(str(error))) from None
    if hub.setting(ROLE_SETTING) != CENTRAL_ROLE:
        console.print("[yellow]Note:[/] this hub is not serving as a central server yet "
                      "(start it with `hub serve --role central`).")  # fmt: skip
    console.print(f"Enrolment token for {escape(name)} (valid {days} days, usable once):")
    console.print(token, markup=False, highlight=False)


@sync_app.command("enroll")
def sync_enroll(
    url: Annotated[
        str, typer.Argument(help="The central server's address, e.g. http://central.example:8080")
    ],
    token: Annotated[str, typer.Argument(help="The one-time token the central admin made for this hub.")],
    home: HomeOption = None,
) -> None:
    """Enrol this hub with a central server; from then on it syncs on its own."""
    hub = open_hub(home)
    try:
        centre = client.enroll(hub, url, token, load_settings(hub).hub_name)
    except client.SyncFailed as error:
        raise fail(escape(str(error))) from None
    console.print(f"Enrolled with {escape(centre['name'])} ({escape(centre['url'])}). "
                  f"Courses signed by it are now trusted.")  # fmt: skip


@sync_app.command("now")
def sync_now(home: HomeOption = None) -> None:
    """Sync with the central server now: push progress, pull progress and new courses."""
    hub = open_hub(home)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Syncing", total=None)

        def report(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total or None, description=escape(message))

        try:
            result = client.sync_and_record(hub, report)
        except client.SyncFailed as error:
            raise fail(escape(str(error))) from None
    console.print(f"Pushed {result.pushed} progress changes, pulled {result.pulled} new ones.")
    for course in result.courses:
        console.print(f"Brought in {escape(course)}.")
    if result.blob_bytes:
        console.print(f"Downloaded {result.blob_bytes / 1024**2:,.1f} MB of files.")
    for note in result.skipped:
        console.print(f"[yellow]Not taken:[/] {escape(note)}")
    say_lifecycle(console, result.waiting, result.retracted, result.retractions_refused, "yellow")


@sync_app.command("hubs")
def sync_hubs(home: HomeOption = None) -> None:
    """List the hubs enrolled with this central server."""
    hub = open_hub(home)
    table = Table("device id", "name", "enrolled", "last seen", "revoked")
    for enrolled in central.enrolled_hubs(hub.sync_db):
        table.add_row(enrolled.device_id, enrolled.name, enrolled.enrolled_at, enrolled.last_seen_at or "-",
                      enrolled.revoked_at or "-")  # fmt: skip
    console.print(table)


@sync_app.command("revoke")
def sync_revoke(
    device: Annotated[str, typer.Argument(help="The hub's device id (see `hub sync hubs`).")],
    home: HomeOption = None,
) -> None:
    """Refuse every later request of an enrolled hub (what it already sent stays)."""
    hub = open_hub(home)
    try:
        revoked = central.revoke(hub.sync_db, device)
    except central.Refused as error:
        raise fail(escape(str(error))) from None
    console.print(f"Revoked {escape(revoked.name)} ({revoked.device_id}).")
