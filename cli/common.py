"""What the `order2cash catalog | contracts | customers` commands share: the console, who acts (the
actor the catalog records), the database engine of one command, ending a command with an error,
and how amounts print."""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from core.settings import get_settings

if TYPE_CHECKING:  # the database modules load when a command needs them, not for --help
    from sqlalchemy import Engine

    from models.actors import Actor

console = Console()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


# the command line has no login: whoever reaches the database acts, named by the OS user (drafts'
# created_by, publications, the audit trail of commercial terms)
ACTOR = f"cli:{_os_user()}"


def cli_actor() -> "Actor":
    """The command line as the services see it: the seller's catalog manager ACTOR (no login)."""
    from models.actors import Actor

    return Actor(id=ACTOR, roles=["catalog_manager"])


@contextmanager
def engine() -> Iterator["Engine"]:
    """The database of DATABASE_URL for one command."""
    from core.database import make_engine

    db = make_engine(get_settings().database_url)
    try:
        yield db
    finally:
        db.dispose()  # a CLI call should not leave pooled connections behind (PostgreSQL)


def fail(*messages: str) -> NoReturn:
    """Prints each message in red and ends the command with exit code 1."""
    for message in messages:
        console.print(f"[red]{escape(message)}[/red]")  # messages quote file content and ids: no markup
    raise typer.Exit(1)


def money(value: Decimal | None, none: str = "–") -> str:
    return none if value is None else f"{value:,.2f}"
