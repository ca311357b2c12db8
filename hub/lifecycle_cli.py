"""`hub content retract` and `hub content take-retraction` (hub/retractions.py, docs/content.md)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from content import retraction as statement
from content.errors import ContentError
from content.retraction import RetractionError
from hub import keys_cli, retractions
from hub.library import now
from hub.trust import own_key


def say_lifecycle(
    console: Console, waiting: list[str], retracted: int, refused: list[str], style: str
) -> None:
    """What a sync or a stick brought of the course lifecycle: new versions waiting for approval,
    retractions taken and refused (printed in `style`: a stick's refusals fail its import)."""
    for course in waiting:
        console.print(f"{escape(course)} waits for approval (Admin → Course updates).")
    if retracted:
        console.print(f"Took in {retracted} retraction(s): those courses are hidden now.")
    for note in refused:
        console.print(f"[{style}]Retraction refused:[/] {escape(note)}")


def register(cli: typer.Typer) -> None:
    from hub.cli import HomeOption, console, content_app, fail, open_hub

    @content_app.command("retract")
    def content_retract(
        course_id: Annotated[str, typer.Argument(help="The course's id (see `hub content list`).")],
        reason: Annotated[str, typer.Option("--reason", help="Why, in words residents will read.")],
        version: Annotated[
            int | None, typer.Option("--version", help="Retract this version only (default: every version).")
        ] = None,
        sign: Annotated[
            Path | None,
            typer.Option(
                "--sign", help="The publisher's minisign secret key file (default: this hub's key)."
            ),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("-o", "--out", help="Also write the signed retraction to this file.")
        ] = None,
        home: HomeOption = None,
    ) -> None:
        """Sign a retraction of a course (or one version) and take it here; it then travels to every hub
        with the sync and on sticks. Only the course's publisher key or the central server's key may."""
        hub = open_hub(home)
        try:
            key = keys_cli.read_secret_key_file(sign) if sign else own_key(hub.home)
            if key is None:
                raise ContentError(
                    "this hub has no signing key: give --sign KEYFILE, or make one with `hub keys create`"
                )
            made = statement.make(course_id, version, reason, key, now())
        except ContentError as error:
            raise fail(str(error)) from None
        if out is not None:
            out.write_bytes(made.document)
            console.print(f"Wrote the retraction of {made.what}, signed by key {key.public.id}, to {out}.")
        try:
            _, new = retractions.take(hub, made.document)
        except RetractionError as error:
            if out is None:
                raise fail(f"Refused, nothing was changed: {error}") from None
            console.print(
                f"[yellow]Not taken on this hub:[/] {error}. A hub that may take it can import {out}."
            )
            return
        console.print(f"Retracted {made.what}: hidden on this hub" + ("." if new else " (it already was)."))

    @content_app.command("take-retraction")
    def content_take_retraction(
        path: Annotated[Path, typer.Argument(help="A retraction file (`hub content retract … -o FILE`).")],
        home: HomeOption = None,
    ) -> None:
        """Check a retraction file against the keys this hub trusts and take it (the course is hidden)."""
        hub = open_hub(home)
        try:
            data = path.read_bytes()[: statement.MAX_BYTES + 1]
            made, new = retractions.take(hub, data)
        except OSError as error:
            raise fail(f"cannot read {path} ({error.strerror})") from None
        except RetractionError as error:
            raise fail(f"Refused, nothing was changed: {error}") from None
        console.print(f"Retracted {made.what}: hidden on this hub" + ("." if new else " (it already was)."))
