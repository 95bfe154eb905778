from tests.dbs import database_fixture

db = database_fixture(scope="function")  # every test on SQLite, then on PostgreSQL, a database each
