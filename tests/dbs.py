"""Databases to run the catalog and invoicing tests on: a migrated SQLite file and a fresh, migrated
PostgreSQL database (dropped afterwards), both loaded with the demo data.

`database_fixture` makes a module- or package-level fixture parametrised over both; the
PostgreSQL variant is skipped, with the reason, when no server listens on 127.0.0.1:5432.

The database of the running system (the API, page and workflow tests) is SQLite unless
TEST_DATABASE=postgresql (`make test-postgresql`).
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from core.database import make_engine
from demo.seed import load_demo_data
from migrations import upgrade

BACKENDS = ["sqlite", "postgresql"]
SYSTEM_BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
PG_HOST = "127.0.0.1:5432"
PG_USERS = ("postgres", "root")


def _admin_connection() -> tuple[psycopg.Connection, str]:
    errors = []
    for user in PG_USERS:
        try:
            return psycopg.connect(f"postgresql://{user}@{PG_HOST}/postgres", autocommit=True, connect_timeout=3), user
        except psycopg.OperationalError as exc:
            errors.append(f"{user}: {str(exc).strip()}")
    pytest.skip(f"PostgreSQL is not reachable at {PG_HOST} ({'; '.join(errors)})")


def migrated(url: str) -> Engine:
    upgrade(url)
    engine = make_engine(url)
    load_demo_data(engine)
    return engine


@contextmanager
def sqlite_database(directory: Path) -> Iterator[Engine]:
    engine = migrated(f"sqlite:///{directory / 'app.db'}")
    yield engine
    engine.dispose()


@contextmanager
def postgresql_database() -> Iterator[Engine]:
    admin, user = _admin_connection()
    name = f"o2c_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        engine = None
        try:
            engine = migrated(f"postgresql+psycopg://{user}@{PG_HOST}/{name}")
            yield engine
        finally:
            if engine is not None:
                engine.dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_fixture(scope: str = "package"):
    """A fixture `db`: an Engine on SQLite, then on PostgreSQL."""

    @pytest.fixture(scope=scope, params=BACKENDS)
    def db(request, tmp_path_factory) -> Iterator[Engine]:
        if request.param == "sqlite":
            with sqlite_database(tmp_path_factory.mktemp("sqlite")) as engine:
                yield engine
        else:
            with postgresql_database() as engine:
                yield engine

    return db


@contextmanager
def system_database(directory: Path) -> Iterator[Engine]:
    """A migrated database with the demo data on TEST_DATABASE's backend (default: SQLite)."""
    if SYSTEM_BACKEND not in BACKENDS:
        raise RuntimeError(f"TEST_DATABASE is {' or '.join(BACKENDS)}, not {SYSTEM_BACKEND}")
    with sqlite_database(directory) if SYSTEM_BACKEND == "sqlite" else postgresql_database() as engine:
        yield engine
