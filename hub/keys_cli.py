"""`hub keys …`: this hub's signing key and the publisher keys it trusts (see hub/trust.py)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from content.errors import ContentError
from content.signing import SecretKey, generate_key, parse_secret_key
from hub import trust
from hub.learners import LearnerError
from hub.settings import load_settings
from hub.sources import trusted_keys

keys_app = typer.Typer(help="This hub's signing key and the publisher keys it trusts.", no_args_is_help=True)


def public_key_path(secret_path: Path) -> Path:
    """Where the public half of a key file goes: minisign.key → minisign.pub."""
    return secret_path.with_suffix(".pub") if secret_path.suffix == ".key" else Path(f"{secret_path}.pub")


def read_secret_key_file(path: Path) -> SecretKey:
    """A secret key file given on the command line, or a clear error."""
    try:
        return parse_secret_key(path.read_bytes())
    except OSError as error:
        raise ContentError(f"cannot read the key file {path} ({error.strerror})") from None
    except ContentError as error:
        raise ContentError(f"{path}: {error}") from None


def register(cli: typer.Typer) -> None:
    from hub.cli import HomeOption, console, fail, open_hub

    cli.add_typer(keys_app, name="keys")

    @keys_app.command("create")
    def keys_create(
        out: Annotated[
            Path | None,
            typer.Option("-o", "--out", help="Make a publisher key in this file (and FILE.pub) instead."),
        ] = None,
        home: HomeOption = None,
    ) -> None:
        """Make this hub's signing key (kept in HUB_HOME/keys), or a publisher key file with -o."""
        if out is not None:
            key = generate_key()
            try:
                trust.write_secret_key(out, key)
            except FileExistsError:
                raise fail(f"{out} already exists; a key is never overwritten") from None
            public_key_path(out).write_text(key.public.text(), encoding="utf-8")
            console.print(f"Secret key: {out} (keep it secret). Public key: {public_key_path(out)}")
            console.print(f"Key id {key.public.id}, public key {key.public.fingerprint}")
            return
        hub = open_hub(home)
        try:
            key = trust.create_own_key(hub.home, hub.db, load_settings(hub).hub_name)
        except LearnerError as error:
            raise fail(str(error)) from None
        folder = trust.keys_folder(hub.home)
        console.print(f"This hub's key: id {key.public.id}, public key {key.public.fingerprint}")
        console.print(f"Secret key: {folder / trust.OWN_SECRET_KEY}")
        console.print(f"Public key to give other hubs: {folder / trust.OWN_PUBLIC_KEY}")

    @keys_app.command("list")
    def keys_list(home: HomeOption = None) -> None:
        """Show this hub's key and the keys it trusts, with their fingerprints."""
        hub = open_hub(home)
        own = trust.own_key(hub.home)
        if own is None:
            console.print("This hub has no signing key yet (`hub keys create`).")
        else:
            console.print(f"This hub's key: id {own.public.id}, public key {own.public.fingerprint}")
        table = Table("key id", "name", "trusted since")
        table.add_column("public key", overflow="fold")  # people compare it whole
        for trusted in trusted_keys(hub.db):
            table.add_row(trusted.key.id, trusted.name, trusted.added_at, trusted.key.fingerprint)
        console.print(table)

    @keys_app.command("trust")
    def keys_trust(
        key: Annotated[str, typer.Argument(help="A minisign .pub file, or the public key line (RW…).")],
        name: Annotated[str, typer.Option("--name", help="The publisher's name, as residents will see it.")],
        home: HomeOption = None,
    ) -> None:
        """Trust a publisher's key: courses it signs show as verified."""
        hub = open_hub(home)
        path = Path(key)
        try:
            text = path.read_bytes() if path.is_file() else key
            trusted = trust.trust_key(hub.db, trust.read_public_key(text), name)
        except LearnerError as error:
            raise fail(str(error)) from None
        console.print(f"Trusted {trusted.name}: key id {trusted.key.id}")
        console.print(f"public key {trusted.key.fingerprint}")

    @keys_app.command("untrust")
    def keys_untrust(
        key_id: Annotated[str, typer.Argument(help="The key id, as `hub keys list` shows it.")],
        home: HomeOption = None,
    ) -> None:
        """Stop trusting a key: courses it signed lose their verified mark at once."""
        hub = open_hub(home)
        try:
            removed = trust.untrust_key(hub.db, key_id)
        except LearnerError as error:
            raise fail(str(error)) from None
        console.print(f"No longer trusted: {removed.name} ({removed.key.id}).")
