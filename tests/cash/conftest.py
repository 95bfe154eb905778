"""Cash tests: the service's on SQLite and on PostgreSQL (fixture `db`, see tests/dbs.py); the
HTTP ones on the running system (tests/system.py)."""

from tests.dbs import database_fixture

db = database_fixture()
