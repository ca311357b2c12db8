"""`hub content zim OUT.zim`: the whole library (or one course, or a pathway) as a Kiwix file."""

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def register() -> None:
    from hub.cli import HomeOption, console, content_app, fail, open_hub

    @content_app.command("zim")
    def content_zim(
        out: Annotated[Path, typer.Argument(help="Where to write the ZIM file, e.g. library.zim.")],
        course: Annotated[str | None, typer.Option("--course", help="Only this course (its id).")] = None,
        pathway: Annotated[
            int | None, typer.Option("--pathway", help="Only this pathway (its number).")
        ] = None,
        home: HomeOption = None,
    ) -> None:
        """Write the library, a course or a pathway as a ZIM file the Kiwix apps open offline."""
        from hub.keep import store
        from hub.keep.documents import load_contents
        from hub.keep.making import zim_title
        from hub.keep.zimfile import write_zim

        hub = open_hub(home)
        scope = (
            store.course_scope(course)
            if course
            else store.pathway_scope(pathway)
            if pathway
            else store.LIBRARY
        )
        courses = store.scope_courses(hub.db, scope)
        if not courses:
            raise fail("there is no such course or pathway on this hub, or it holds no course")
        contents = load_contents(hub.db, hub.blobs, [cid for cid, _ in courses])
        title, name = zim_title(hub.db, scope, contents.courses[0].course.title)
        part = out.with_name(out.name + ".part")
        part.unlink(missing_ok=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("Writing", total=None)

            def step(done: int, total: int, message: str) -> None:
                progress.update(task, completed=done, total=total, description=message[:40])

            try:
                write_zim(contents, title, name, part, step)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        os.replace(part, out)
        for line in contents.left_out:
            console.print(f"[yellow]Left out:[/] {line}")
        console.print(f"Wrote {out} ({out.stat().st_size:,} bytes, {len(contents.courses)} courses).")
