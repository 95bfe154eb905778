"""The application database: engine, sessions and the column types the tables share.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and write transactions that
must serialise (invoice numbers) start with BEGIN IMMEDIATE; PostgreSQL uses row locks instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, CursorResult, Engine, Numeric, Result, String, Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine


class ExactDecimal(TypeDecorator):
    """Exact decimals: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2):
        super().__init__(precision=precision, scale=scale)
        self.precision, self.scale = precision, scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def quantize(self, value) -> Decimal:
        """The value as the column stores it: rounded commercially (half up) to the column's scale."""
        return Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = self.quantize(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


def MoneyType() -> ExactDecimal:  # noqa: N802 - reads like a type in table definitions
    return ExactDecimal(14, 2)


def RateType() -> ExactDecimal:  # noqa: N802
    return ExactDecimal(7, 4)


JSONType = JSON


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _begin below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Every SQLite transaction takes the write lock up front when asked to: a deferred
        # transaction that later upgrades to write can fail with "database is locked".
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def session_scope(engine: Engine, *, write_lock: bool = False) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error.

    `write_lock=True` serialises the transaction against other writers from its first statement
    (BEGIN IMMEDIATE on SQLite); PostgreSQL callers lock the rows they update instead.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write_lock else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class (for bulk statements)."""
    return model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes only


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched."""
    return cast(CursorResult[Any], result).rowcount
