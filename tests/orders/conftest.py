from tests.dbs import database_fixture

db = database_fixture()  # every test here on SQLite, then on PostgreSQL
