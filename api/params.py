"""Parameter types the routes share, bounded to what the databases hold: an id beyond a 64-bit
integer, or an offset beyond any list, is a 422 naming the parameter, never the database's
overflow (a 500)."""

from typing import Annotated

from fastapi import Path, Query

DB_INT_MAX = 2**63 - 1  # the largest integer a BIGINT (and SQLite's INTEGER) holds
# the tables' integer keys are INTEGER: 32 bits on PostgreSQL, which refuses a larger parameter
# for them outright (SQLite would take it; the limit is the same on both)
KEY_MAX = 2**31 - 1
# far beyond any list, and far enough from DB_INT_MAX that the queries' offset + limit fits too
MAX_OFFSET = 10**9

VersionId = Annotated[int, Path(ge=1, le=KEY_MAX, description="a catalog version's id")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="how many to skip")]
