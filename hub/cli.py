"""The `hub` command: serve, set up, and manage content and plugins."""

from __future__ import annotations

import ssl
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from content.errors import ContentError
from content.package import build_package, write_package
from content.signing import UnverifiedContent
from hub import first_run, imports, keys_cli, library, library_cli, server
from hub.address import hub_url, qr_text
from hub.home import Hub, default_home
from hub.plugins import build_manager, enabled_plugins, installed_plugins, manager_for, switch_plugin
from hub.service import service_app
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import storage

app = typer.Typer(help="Commons Hub: an offline learning hub for your community.", no_args_is_help=True)
content_app = typer.Typer(help="Build, import, export and list courses.", no_args_is_help=True)
plugins_app = typer.Typer(help="See, enable and disable plugins.", no_args_is_help=True)
app.add_typer(content_app, name="content")
app.add_typer(plugins_app, name="plugins")
app.add_typer(service_app, name="service")
console = Console()


def add_plugin_commands() -> None:
    """Let every installed plugin add its commands (enabled or not: the CLI manages plugins)."""
    build_manager(installed_plugins()).hook.hub_commands(cli=app)


HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The hub's data folder (default: $HUB_HOME or your data folder)."),
]


class Role(StrEnum):
    hub = "hub"
    central = CENTRAL_ROLE


def open_hub(home: Path | None) -> Hub:
    try:
        return Hub(home or default_home())
    except storage.DatabaseError as error:
        raise fail(str(error)) from None


def fail(message: str) -> typer.Exit:
    console.print(f"[bold red]Error:[/] {message}")
    return typer.Exit(code=1)


def prepare(hub: Hub) -> None:
    """Import the starter courses on the first run, then let plugins do their one-time work."""
    with console.status("Importing the starter courses…") as status:
        count = hub.import_starter(lambda name: status.update(f"Importing starter course {name}…"))
    if count:
        console.print(f"Imported {count} starter courses.")
    manager_for(hub).hook.hub_prepare(hub=hub)


def show_setup_code(hub: Hub, url: str | None = None) -> None:
    """While the hub has no admin: the one-time code that sets it up, and the address that uses it."""
    code = first_run.setup_code(hub.db)
    if code is None:
        return
    where = "open:" if url else "start it (`hub serve`) and open /admin/setup."
    console.print(f"[bold]This hub has no admin yet.[/] To set it up, {where}")
    if url:
        console.print(f"  {url}{first_run.setup_path(code)}", soft_wrap=True)
    console.print(f"Setup code: [bold]{code}[/] (only whoever sees this terminal has it; it works once).")


@app.command()
def init(home: HomeOption = None) -> None:
    """Create the hub's data folder and import the starter courses."""
    hub = open_hub(home)
    prepare(hub)
    console.print(f"The hub is ready in {hub.home}")
    show_setup_code(hub)


def check_tls(certfile: Path | None, keyfile: Path | None) -> list[str]:
    """The certificate and key files as the server takes them, once they load together (or none)."""
    if certfile is None and keyfile is None:
        return []
    if certfile is None or keyfile is None:
        raise fail("HTTPS needs both --certfile and --keyfile")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        raise fail(f"the certificate {certfile} and key {keyfile} cannot be used: {error}") from None
    return [str(certfile.resolve()), str(keyfile.resolve())]


@app.command()
def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 means every network.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    role: Annotated[
        Role | None,
        typer.Option(help="Serve as a hub, or as the central server hubs sync with (remembered)."),
    ] = None,
    certfile: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this certificate (PEM; with --keyfile).")
    ] = None,
    keyfile: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM).")] = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="Central server: keep the sync tables in this PostgreSQL database "
            "(postgresql://user@host/name; remembered; what hub.db holds of them moves along)."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Central server on PostgreSQL: worker processes serving it.")
    ] = 1,
) -> None:
    """Start the hub. Phones on the same Wi-Fi open the address it prints."""
    tls = check_tls(certfile, keyfile)
    hub = open_hub(home)
    if role is not None:
        hub.set_setting(ROLE_SETTING, role.value)
    central = hub.setting(ROLE_SETTING) == CENTRAL_ROLE
    if database is not None:
        if not central:
            raise fail("only a central server keeps its sync tables in PostgreSQL (add --role central)")
        try:
            copied = hub.use_sync_database(database)
        except storage.DatabaseError as error:
            raise fail(str(error)) from None
        console.print(f"Sync tables in PostgreSQL ({copied} rows moved from hub.db).")
    if workers > 1 and not (central and isinstance(hub.sync_db, storage.PgDatabase)):
        raise fail("several workers serve a central server on PostgreSQL only (--role central --database …)")
    prepare(hub)
    url = hub_url(host, port, secure=bool(tls))
    console.print(f"[bold green]Commons Hub is running.[/] On a phone on this Wi-Fi, open: [bold]{url}[/]")
    print(qr_text(url), end="")
    console.print(f"Or scan the code above. A page to show residents: {url}join")
    console.print(f"Data folder: {hub.home}. Press Ctrl+C to stop.")
    show_setup_code(hub, url)
    sys.stdout.flush()
    server.run(hub, host, port, *tls, workers=workers)


@content_app.command("list")
def content_list(home: HomeOption = None) -> None:
    """List the courses on this hub."""
    hub = open_hub(home)
    table = Table("id", "version", "language", "lessons", "title", "source")
    for course in hub.courses():
        table.add_row(course.id, str(course.version), course.language, str(course.lesson_count),
                      course.title, course.source.label())  # fmt: skip
    console.print(table)


@content_app.command("build")
def content_build(
    source: Annotated[Path, typer.Argument(help="An author folder with course.toml.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Package to write: a folder, or a .zip file.")],
    sign: Annotated[
        Path | None, typer.Option("--sign", help="Sign it with this minisign secret key file.")
    ] = None,
) -> None:
    """Build a package from an author's folder."""
    try:
        key = keys_cli.read_secret_key_file(sign) if sign else None
        manifest = build_package(source, out, key)
    except ContentError as error:
        raise fail(str(error)) from None
    signed = f", signed by key {key.public.id}" if key else ", not signed"
    console.print(f"Built {manifest.course.id} v{manifest.course.version} "
                  f"({len(manifest.lessons)} lessons) into {out}{signed}")  # fmt: skip


@content_app.command("export")
def content_export(
    course_id: Annotated[str, typer.Argument(help="The course id (see `hub content list`).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Package to write: a folder, or a .zip file.")],
    home: HomeOption = None,
) -> None:
    """Export a course as a package, with the manifest and signature it came with."""
    hub = open_hub(home)
    stored = library.stored_package(hub.db, hub.blobs, course_id)
    if stored is None:
        raise fail(f"there is no course {course_id!r} on this hub (see `hub content list`)")
    try:
        write_package(out, stored.manifest_raw, stored.signature, stored.files)
    except ContentError as error:
        raise fail(f"{course_id} was not exported: {error}") from None
    signed = "with its signature" if stored.signature else "not signed"
    console.print(f"Exported {course_id} into {out} ({signed})")


def show_preview(checked: imports.HubPreview) -> None:
    preview = checked.preview
    table = Table("course", "language", "lessons", "size", title=f"{preview.source.name}: {preview.format}")
    for course in preview.courses:
        course_id = checked.renames.get(course.id, course.id)
        replaces = checked.replaces.get(course_id)
        title = course.title + (f" (replaces version {replaces})" if replaces else "")
        if course_id in checked.different:
            title = f"{course.title} (replaces a DIFFERENT course: {checked.different[course_id]})"
        table.add_row(title, course.language, str(course.lessons), f"{course.bytes / 1024**2:,.1f} MB")
    console.print(table)
    mark = checked.mark
    signer = {
        "verified": f"{mark.name} (key {mark.key_id}, trusted by this hub)",
        "untrusted": f"key {mark.key_id}, which this hub does not trust",
    }.get(mark.status, "nobody (not signed)")
    console.print(f"Signed by: {signer}. Free disk: {checked.free_bytes / 1024**3:,.1f} GB.")
    for note in preview.notes:
        console.print(note)
    if checked.different and preview.renamable:
        console.print("To keep both courses, import it again with --beside.")


@content_app.command("import")
def content_import(
    path: Annotated[
        Path,
        typer.Argument(
            help="A package, an author folder, a ZIM, EPUB or PDF file, a folder of PDFs, or a Kolibri "
            "channel (KOLIBRI_DATA, its content folder or a channel's .sqlite3)."
        ),
    ],
    allow_unverified: Annotated[
        bool,
        typer.Option(
            "--allow-unverified",
            help="Also take content that is unsigned or signed by a key this hub does not trust; "
            "residents see it marked as not verified.",
        ),
    ] = False,
    beside: Annotated[
        bool,
        typer.Option(
            "--beside",
            help="When a different course on the hub has the same id, import this one beside it "
            "(with an id of its own) instead of replacing it.",
        ),
    ] = False,
    home: HomeOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Import without asking.")] = False,
) -> None:
    """Import courses. Shows what comes in and who signed it first; nothing changes unless all of it
    is valid. Content must be signed by a trusted key (`hub keys trust`) unless --allow-unverified."""
    hub = open_hub(home)
    try:
        checked = imports.preview_import(hub, path, beside=beside)
        show_preview(checked)
        imports.check_importable(checked)
    except ContentError as error:
        raise fail(f"{path.name} was not imported: {error}") from None
    if not yes and sys.stdin.isatty() and not typer.confirm("Import it?", default=True):
        console.print("Nothing was imported.")
        raise typer.Exit(code=1)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"Importing {path.name}", total=None)

        def report(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total, description=message)

        try:
            results = imports.run_import(
                hub, path, report, checked, allow_unverified=allow_unverified, beside=beside
            )
        except UnverifiedContent as error:
            raise fail(f"{path.name} was not imported: {error} (--allow-unverified)") from None
        except ContentError as error:
            raise fail(f"{path.name} was not imported: {error}") from None
    cards = {card.id: card for card in hub.courses()}
    for result in results:
        was = f" (replacing version {result.replaced_version})" if result.replaced_version else ""
        console.print(f"Imported {result.course_id} v{result.version}: {result.title}{was}")
        console.print(cards[result.course_id].source.label())


@plugins_app.command("list")
def plugins_list(home: HomeOption = None) -> None:
    """List installed plugins and whether each is enabled."""
    hub = open_hub(home)
    enabled = enabled_plugins(hub)
    table = Table("plugin", "enabled", "module")
    for name, plugin in installed_plugins().items():
        table.add_row(name, "yes" if name in enabled else "no", getattr(plugin, "__name__", "?"))
    console.print(table)


def _set_plugin(home: Path | None, name: str, on: bool) -> None:
    hub = open_hub(home)
    if name not in installed_plugins():
        raise fail(f"no plugin called {name!r} is installed (see `hub plugins list`)")
    switch_plugin(hub, name, on)
    console.print(f"Plugin {name} {'enabled' if on else 'disabled'}. Restart the hub to apply.")


@plugins_app.command("enable")
def plugins_enable(name: str, home: HomeOption = None) -> None:
    """Enable an installed plugin."""
    _set_plugin(home, name, True)


@plugins_app.command("disable")
def plugins_disable(name: str, home: HomeOption = None) -> None:
    """Disable a plugin (it stays installed)."""
    _set_plugin(home, name, False)


keys_cli.register(app)
library_cli.register(content_app, console)  # `hub content remove`
add_plugin_commands()
__import__("desktop.cli").cli.register(app)  # `hub desktop` (desktop → hub; its GUI imports are lazy)
