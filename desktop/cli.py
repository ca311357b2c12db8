"""`hub desktop`: the hub in a window on a laptop, shared with phones on the same Wi-Fi.

Registered by hub/cli.py. Only Typer and the hub's CLI helpers are imported here; pywebview and
Qt are imported when the command runs, so `hub --help` stays fast and works without them.
No `from __future__ import annotations`: Typer reads the annotations, which name local imports.
"""

import sys
from typing import Annotated

import typer


def register(cli: typer.Typer) -> None:
    from hub.cli import HomeOption, console, fail, open_hub, prepare, show_setup_code

    @cli.command()
    def desktop(
        home: HomeOption = None,
        host: Annotated[
            str, typer.Option(help="Address to listen on; 0.0.0.0 lets phones on the same network connect.")
        ] = "0.0.0.0",
        port: Annotated[
            int | None, typer.Option(help="Port to listen on (default: 8080, or a free one if it is taken).")
        ] = None,
    ) -> None:
        """Open the hub in a window on this computer. Closing the window stops the hub."""
        from rich.markup import escape

        from desktop.checks import gui_problem

        problem = gui_problem()
        if problem:
            raise fail(escape(problem))

        from desktop import app as desktop_app
        from desktop.server import HubServer, ServerError

        hub = open_hub(home)
        prepare(hub)

        def ready(server: HubServer) -> None:
            console.print(f"[bold green]Commons Hub is running.[/] On a phone on this Wi-Fi, open: "
                          f"[bold]{server.public_url}[/] (the window shows a QR code to scan).")  # fmt: skip
            console.print(f"Data folder: {hub.home}. Close the window to stop the hub.")
            show_setup_code(hub, server.public_url)
            sys.stdout.flush()

        try:
            stopped = desktop_app.run(hub, host, port, on_ready=ready)
        except ServerError as error:
            raise fail(escape(str(error))) from None
        if not stopped:
            raise fail("The hub's web server did not stop in time.")
        console.print("Commons Hub has stopped.")
