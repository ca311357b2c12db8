"""`hub bundle export|import DIR` and `hub device show`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hub.cli import HomeOption, console, fail, open_hub
from hub.db import transaction
from hub.home import Hub
from hub.lifecycle_cli import say_lifecycle
from hub.plugins.bundles import carry
from hub.plugins.sync import client
from sync import bundle, store
from sync.device import KEY_FILE, load_or_create

bundle_app = typer.Typer(help="Carry progress and courses between hubs on a USB stick.", no_args_is_help=True)
device_app = typer.Typer(help="This hub's identity as a device.", no_args_is_help=True)

StickArgument = Annotated[Path, typer.Argument(help="The USB stick (or any folder), e.g. /media/stick.")]


@contextmanager
def _bar(title: str) -> Iterator[bundle.Progress]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(title, total=None)
        yield lambda done, total, message: bar.update(
            task, completed=done, total=total or None, description=f"{title}: {escape(message)}"
        )


def _export(hub: Hub, stick: Path) -> dict[str, Any]:
    with _bar("Writing onto the stick") as progress:
        try:
            return carry.export_summary(carry.export_to(hub, stick, progress))
        except bundle.BundleError as error:
            raise fail(escape(str(error))) from None
        except OSError as error:
            raise fail(f"could not write onto {stick}: {error.strerror or error}") from None


def _say_exported(summary: dict[str, Any]) -> None:
    dropped = summary["files_dropped"]
    console.print(
        f"Wrote {summary['changes_written']} new progress changes in {summary['files_written']} files"
        f" to {escape(summary['folder'])}"
        + (f"; removed {dropped} files every known hub already holds." if dropped else ".")
    )
    if summary["courses_carried"]:
        console.print(
            f"The stick carries {summary['courses_carried']} courses the hubs it goes to may lack"
            f" ({summary['courses_written']} new on it,"
            f" {summary['bytes_copied'] / 1024**2:,.1f} MB of files copied)."
        )


@bundle_app.command("export")
def bundle_export(stick: StickArgument, home: HomeOption = None) -> None:
    """Put this hub's new progress, the courses its peers may lack, and what it acknowledges on a stick.
    Only what the stick does not hold yet is written."""
    hub = open_hub(home)
    _say_exported(_export(hub, stick))


@bundle_app.command("import")
def bundle_import(
    stick: StickArgument,
    trust_device: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-device",
            help="Introduce the hub with this device id (check it with `hub device show` on that hub).",
        ),
    ] = None,
    allow_unverified: Annotated[
        bool,
        typer.Option(
            "--allow-unverified",
            help="Also take courses that are unsigned or signed by a key this hub does not trust; "
            "residents see them marked as not verified.",
        ),
    ] = False,
    write_back: Annotated[
        bool,
        typer.Option(
            help="Afterwards write this hub's acknowledgements, progress and courses onto the stick."
        ),
    ] = True,
    home: HomeOption = None,
) -> None:
    """Take in the progress and courses other hubs put on a stick. Progress comes in only if all of it
    checks out; each course only if its signature and every file check out. Exits with 1 when
    anything was refused."""
    hub = open_hub(home)
    with _bar("Checking the stick") as progress:
        try:
            outcome = carry.import_from(
                hub, stick, set(trust_device or ()), allow_unverified, write_back=False, progress=progress
            )
        except bundle.NotIntroduced as error:
            hint = " ".join(f"--trust-device {device}" for device in error.devices)
            raise fail(f"{escape(str(error))} Then import again with {hint}.") from None
        except bundle.BundleError as error:
            raise fail(escape(str(error))) from None
    for device in outcome.not_introduced:
        console.print(
            f"[yellow]Note:[/] the folder of device {device} was not read: this hub has not been"
            f" introduced to it. Check its id with `hub device show` there, then import again with"
            f" --trust-device {device}."
        )
    for note in outcome.waiting:
        console.print(f"[yellow]Note:[/] {escape(note)}")
    if outcome.changes_refused:
        console.print(
            f"[yellow]Note:[/] {outcome.changes_refused} changes were left out: they are about learners"
            " of another hub, which the hub that wrote them may not change (docs/security.md)."
        )
    console.print(
        f"Imported {outcome.new_changes} new progress changes from {outcome.hubs_read} hubs"
        f" ({outcome.already_here} were already here)."
    )
    for course in outcome.imported:
        console.print(f"Imported course {course['id']} v{course['version']}: {escape(course['title'])}")
    for refused in outcome.refused:
        console.print(f"[red]Refused:[/] {escape(refused)}")
    if outcome.pathways:
        console.print(f"Brought {outcome.pathways} learning pathways of the central server up to date.")
    if outcome.pathways_refused:
        console.print(f"[red]Refused:[/] {escape(outcome.pathways_refused)}")
    say_lifecycle(console, outcome.waiting_approval, outcome.retracted, outcome.retractions_refused, "red")
    if outcome.languages:
        console.print(f"Took in or updated {outcome.languages} interface languages.")
    for refused in outcome.languages_refused:
        console.print(f"[red]Language refused:[/] {escape(refused)}")
    if write_back:
        _say_exported(_export(hub, stick))
    if outcome.refused or outcome.pathways_refused or outcome.retractions_refused:
        raise typer.Exit(1)


@device_app.command("show")
def device_show(home: HomeOption = None) -> None:
    """Print this hub's device id: another hub's admin compares it before trusting this hub's sticks."""
    hub = open_hub(home)
    console.print(f"Device id: [bold]{hub.device.id}[/]")
    console.print(f"Public key: {hub.device.public_key}")


@device_app.command("new")
def device_new(
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
    home: HomeOption = None,
) -> None:
    """Give this hub a device key of its own: for a hub made by copying another hub's SD card.

    Its progress then leaves under the new id (other hubs' admins check it again); what it wrote
    under the shared id is dropped, as the other hub's changes under it come back from peers.
    """
    hub = open_hub(home)
    old = hub.device
    if not yes and not typer.confirm(f"Replace device id {old.id} with a new one?"):
        raise typer.Exit(1)
    keys = hub.home / "keys"
    assert old.key  # read before the file is retired: the old key signs its learners' hand-overs
    (keys / KEY_FILE).replace(keys / f"{KEY_FILE}.retired-{old.id}")
    new = load_or_create(keys)
    with transaction(hub.db):
        store.leave_shared_device(hub.db, old, new)
        hub.set_setting(client.CENTRAL_SETTING, None)  # the enrolment was the other hub's
        hub.set_setting(client.STATUS_SETTING, None)
    console.print(
        f"This hub's device id is now [bold]{new.id}[/] (it was {old.id}); its progress is logged"
        " anew under it. Enrol it with the central server with a new token, and let other hubs'"
        " admins check the new id."
    )
