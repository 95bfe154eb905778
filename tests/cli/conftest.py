"""CLI tests: `cli_db` is a fresh migrated database with the demo data (SQLite, then PostgreSQL
when a server listens, see tests/dbs.py) that DATABASE_URL points at; `run` invokes
`order2cash ...` on it in-process and returns the click Result.

Function-scoped so that every test may change contracts, rules and versions freely: a migration
takes about half a second on SQLite, a second on PostgreSQL.
"""

from collections.abc import Callable, Iterator

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli import app as cli
from core.settings import get_settings
from tests.dbs import BACKENDS, postgresql_database, sqlite_database


@pytest.fixture(params=BACKENDS)
def cli_db(request, tmp_path, monkeypatch) -> Iterator[Engine]:
    database = sqlite_database(tmp_path) if request.param == "sqlite" else postgresql_database()
    with database as engine:
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        get_settings.cache_clear()  # cached: it would keep the URL of the previous test
        try:
            yield engine
        finally:
            get_settings.cache_clear()


@pytest.fixture
def run(cli_db) -> Callable[..., Result]:
    """run("contracts", "show", "ACME-FC-2026", input=None) -> Result (exit_code, output)."""
    runner = CliRunner()

    def invoke(*args, input: str | None = None) -> Result:
        # wide: rich wraps table cells at the default 80 columns, splitting ids the tests look for
        result = runner.invoke(cli.app, [str(a) for a in args], input=input, env={"COLUMNS": "200"})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            # a crash also exits 1: re-raise it, so a test of a refusal cannot pass on a bug
            raise result.exception
        return result

    return invoke
