"""Catalog and pricing tests run on SQLite and on PostgreSQL (fixture `db`, see tests/dbs.py)."""

from tests.dbs import database_fixture

db = database_fixture()
