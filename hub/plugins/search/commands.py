"""`hub search "words" [--lang xx]` and `hub search rebuild`."""

from __future__ import annotations

import contextlib
import re
import time
from html import unescape
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from typer.core import TyperGroup

from hub.home import Hub, default_home
from hub.search import SearchBusy, SearchIndex, index_path

console = Console()

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The hub's data folder (default: $HUB_HOME or your data folder)."),
]


class _WordsByDefault(TyperGroup):
    """`hub search some words` means `hub search find some words`; `rebuild` stays a command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["find", *args]
        return super().parse_args(ctx, args)


search_app = typer.Typer(
    cls=_WordsByDefault,
    no_args_is_help=True,
    help='Search the courses: `hub search "washing hands" [--lang fr]`, or `hub search rebuild`.',
)


def _open_hub(home: Path | None) -> Hub:
    return Hub(home or default_home())


def rebuild_with_progress(index: SearchIndex, hub: Hub) -> int:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("Indexing courses and lessons", total=None)
        return index.rebuild(hub, progress=lambda done, total: bar.update(task, completed=done, total=total))


_MARK = re.compile(r'<b class="match">(.*?)</b>', re.S)


def marks_to_rich(fragment: str) -> str:
    """Escaped HTML with `<b class="match">` marks, as Rich markup with the marks in bold."""
    out, position = [], 0
    for match in _MARK.finditer(fragment):
        out.append(escape(unescape(fragment[position : match.start()])))
        out.append(f"[bold yellow]{escape(unescape(match.group(1)))}[/]")
        position = match.end()
    out.append(escape(unescape(fragment[position:])))
    return "".join(out)


@search_app.command("find")
def find(
    words: Annotated[list[str], typer.Argument(help="The words to look for.")],
    lang: Annotated[str | None, typer.Option("--lang", help="Only results in this language (fr…).")] = None,
    limit: Annotated[int, typer.Option(help="How many results to show.")] = 10,
    home: HomeOption = None,
) -> None:
    """Search courses and lessons for some words (this is what `hub search "words"` runs)."""
    hub = _open_hub(home)
    index = SearchIndex(index_path(hub))
    if not index.open():
        console.print("The search index is missing or damaged; building it first.")
        try:
            rebuild_with_progress(index, hub)
        except SearchBusy as error:
            console.print(f"[bold red]Error:[/] {error}. Try again in a moment.")
            raise typer.Exit(code=1) from None
    else:
        with contextlib.suppress(SearchBusy):  # if the running hub is writing, search what is there
            index.sync(hub)  # courses imported since the index was last written
    results = index.search(" ".join(words), language=lang, limit=max(1, limit))
    if results.suggestion:
        console.print(f"Did you mean: [bold]{escape(results.suggestion)}[/]?")
    plural = "" if results.total == 1 else "s"
    console.print(f"{results.total} result{plural} for {escape(' '.join(words))}")
    for number, hit in enumerate(results.hits, start=1):
        where = f"{hit.course_title} · {hit.kind}" if hit.lesson_id else "course"
        title = marks_to_rich(hit.title_html)
        console.print(f"{number:>2}. [bold]{title}[/]  [dim]{escape(where)} · {hit.language}[/]")
        console.print(f"    [dim]{hit.url}[/]")
        console.print(f"    {marks_to_rich(hit.snippet_html)}", soft_wrap=False)


@search_app.command("rebuild")
def rebuild(home: HomeOption = None) -> None:
    """Rebuild the search index from the library (it is a cache: nothing is lost)."""
    hub = _open_hub(home)
    index = SearchIndex(index_path(hub))
    index.open()
    started = time.perf_counter()
    try:
        documents = rebuild_with_progress(index, hub)
    except SearchBusy as error:
        console.print(f"[bold red]Error:[/] {error}. Try again in a moment.")
        raise typer.Exit(code=1) from None
    seconds = time.perf_counter() - started
    console.print(f"Search index rebuilt: {documents} courses and lessons in {seconds:.1f} s.")
