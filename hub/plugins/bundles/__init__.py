"""Built-in plugin: carry progress between hubs on a USB stick (see sync/bundle.py, docs/sync.md).

Adds `hub bundle export DIR`, `hub bundle import DIR [--trust-device ID]` and
`hub device show` (this hub's device id, which another hub's admin checks before trusting it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer


@hookimpl
def hub_commands(cli: typer.Typer) -> None:
    from hub.plugins.bundles import commands

    cli.add_typer(commands.bundle_app, name="bundle")
    cli.add_typer(commands.device_app, name="device")
