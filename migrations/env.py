from alembic import context
from sqlmodel import SQLModel

import accounts.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
import cash.tables  # noqa: F401
import catalog.tables
import catalog.versions.tables
import catalog.view_tables  # noqa: F401
import contracts.tables  # noqa: F401
import customers.audit_tables
import customers.rule_tables
import customers.tables  # noqa: F401
import invoicing.tables  # noqa: F401
import notifications.tables  # noqa: F401
import partners.tables  # noqa: F401
from core.database import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "migrations.upgrade() sets sqlalchemy.url"
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a batch copy drops and recreates a table that other tables reference
            # on the driver's connection: a PRAGMA inside a transaction (SQLAlchemy's BEGIN) is ignored
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things in place
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            assert not broken, f"foreign keys broken by the migration: {broken}"
    engine.dispose()


run_migrations_online()
