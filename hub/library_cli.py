"""`hub content remove`: remove a course from the terminal, as /admin/library does."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hub import library_choice, library_keep
from hub.home import Hub, default_home


def register(content_app: typer.Typer, console: Console) -> None:
    @content_app.command("remove")
    def content_remove(
        course_id: Annotated[str, typer.Argument(help="The course id (see `hub content list`).")],
        home: Annotated[
            Path | None,
            typer.Option("--home", help="The hub's data folder (default: $HUB_HOME or your data folder)."),
        ] = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking.")] = False,
    ) -> None:
        """Remove a course. Its files go unless another course uses them; learners' records stay."""
        hub = Hub(home or default_home())
        plan = library_keep.removal_plan(hub.db, course_id)
        if plan is None:
            console.print(
                f"[bold red]Error:[/] there is no course {course_id!r} on this hub (see `hub content list`)"
            )
            raise typer.Exit(code=1)
        console.print(f"[bold]{plan.title}[/] ({plan.course_id}, {plan.lesson_count} lessons)")
        console.print(f"Frees {library_keep.human_size(plan.frees_bytes)}", end="")
        if plan.shared_bytes:
            console.print(
                f"; {library_keep.human_size(plan.shared_bytes)} of files other courses share stay", end=""
            )
        console.print(f". Learners who started it: {plan.learners} (their records stay).")
        if not yes and sys.stdin.isatty() and not typer.confirm("Remove it?", default=False):
            console.print("Nothing was removed.")
            raise typer.Exit(code=1)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("Deleting its files", total=None)
            removed = library_keep.remove_course(
                hub.db,
                hub.blobs,
                course_id,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
        if removed is None:  # removed by someone else meanwhile
            console.print(f"{course_id} is no longer on this hub.")
            return
        library_choice.decline(hub, course_id)
        library_keep.refresh_search(hub)
        freed = library_keep.human_size(removed.freed_bytes)
        console.print(f"Removed {course_id}: {removed.title}. Space freed: {freed}.")
