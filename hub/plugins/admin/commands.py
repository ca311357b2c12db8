"""`hub admin create`, `hub users …` and `hub routes`: accounts and the route table from a terminal."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub import first_run
from hub.learners import LearnerError, Role, create_account, get_account, list_accounts, reset_secret
from hub.learners import name_key as key_of


def _find(hub_db: object, name: str) -> str:
    row = hub_db.execute("SELECT id FROM learners WHERE name_key = ?", [key_of(name)]).fetchone()  # type: ignore[attr-defined]
    if row is None:
        raise LearnerError(f"There is no account called {name!r}.")
    return row[0]


def register(cli: typer.Typer) -> None:
    from hub.cli import HomeOption, console, fail, open_hub

    admin_app = typer.Typer(help="Set up the hub's first admin.", no_args_is_help=True)
    users_app = typer.Typer(help="List, add, switch off and reset accounts.", no_args_is_help=True)
    cli.add_typer(admin_app, name="admin")
    cli.add_typer(users_app, name="users")
    Secret = Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password or PIN.")
    ]

    def run(action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except LearnerError as error:
            raise fail(str(error)) from None

    @admin_app.command("create")
    def admin_create(name: str, password: Secret, home: HomeOption = None) -> None:
        """Create an admin account (the first one finishes first-run setup)."""
        hub = open_hub(home)
        run(lambda: create_account(hub.db, name, Role.ADMIN, password))
        first_run.forget(hub.db)
        console.print(f"Admin {name} created. Sign in at /signin.")

    @admin_app.command("setup-code")
    def admin_setup_code(home: HomeOption = None) -> None:
        """Show the one-time code that first-run setup (/admin/setup) asks for."""
        hub = open_hub(home)
        code = first_run.setup_code(hub.db)
        if code is None:
            raise fail("this hub already has an admin; sign in at /signin")
        console.print(f"Setup code: [bold]{code}[/] (open /admin/setup on the hub's address)")

    @users_app.command("list")
    def users_list(home: HomeOption = None) -> None:
        """List the named accounts."""
        table = Table("name", "role", "PIN/password", "state")
        for account in list_accounts(open_hub(home).db):
            table.add_row(
                account.name or "", account.role.value, "yes" if account.has_pin else "no",
                "switched off" if account.disabled else "active",
            )  # fmt: skip
        console.print(table)

    @users_app.command("add")
    def users_add(
        name: str,
        role: Annotated[Role, typer.Option(help="learner, tutor or admin")] = Role.LEARNER,
        secret: Annotated[str, typer.Option(help="PIN (learner) or password (tutor, admin).")] = "",
        home: HomeOption = None,
    ) -> None:
        """Add an account."""
        hub = open_hub(home)
        run(lambda: create_account(hub.db, name, role, secret))
        console.print(f"Added {role.value} {name}.")

    @users_app.command("disable")
    def users_disable(name: str, home: HomeOption = None) -> None:
        """Switch an account off and sign it out everywhere."""
        from hub.learners import update_account

        hub = open_hub(home)

        def switch_off() -> None:
            account = get_account(hub.db, _find(hub.db, name))
            assert account is not None
            update_account(hub.db, account.id, account.role, True)

        run(switch_off)
        console.print(f"{name} is switched off.")

    @users_app.command("reset")
    def users_reset(name: str, secret: Secret, home: HomeOption = None) -> None:
        """Give an account a new PIN or password."""
        hub = open_hub(home)
        run(lambda: reset_secret(hub.db, _find(hub.db, name), secret))
        console.print(f"New PIN or password set for {name}; they are signed out everywhere.")

    @cli.command("routes")
    def routes(
        out: Annotated[Path | None, typer.Option("-o", help="Write the Markdown table to this file.")] = None,
    ) -> None:
        """Print every route and who may call it (docs/routes.md is made with this)."""
        from hub.routes_table import markdown_table

        table = markdown_table()
        if out:
            out.write_text(table, encoding="utf-8")
        else:
            print(table, end="")
