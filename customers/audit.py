"""The audit trail of a customer's commercial terms: who changed a contract's terms or items, or a
customer's price lists, role rules, role limits, part numbers, special items, quality rules or
sub-assortment, when, and what the entity was before and is after.

The edit functions (contracts/terms.py, customer_rules.py, price_list_admin.py, quality.py,
subassortments.py) take the `actor` and call `record` in their own transaction: a change and its
record commit, or roll back, together. An edit that leaves everything as it was records nothing.
Entities are kept as plain JSON: a table row's columns (decimals as strings at the column's scale,
as stored; dates ISO), or the API's model of a set of rules.
"""

import json
from datetime import UTC, datetime
from typing import Any, get_args

from pydantic_core import to_jsonable_python
from sqlalchemy import BigInteger, literal, select
from sqlmodel import Session, SQLModel, col

from core.database import ExactDecimal, table_of
from customers.audit_tables import CatalogChange
from models.catalog_changes import CatalogChangeOut, CatalogChangePage, Kind

KINDS: tuple[str, ...] = get_args(Kind)
MAX_LIMIT = 500
MAX_ID = 2**63 - 1  # the largest id either database could hand out (BIGINT, SQLite's INTEGER)


def plain(value: Any) -> Any:
    """JSON values only: decimals and dates as strings, models as dicts."""
    return to_jsonable_python(value)


def row(entity: SQLModel | None, exclude: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """A table row's columns as plain JSON (None for none), decimals as the column stores them:
    4.2 given and 4.20 read back are the same."""
    if entity is None:
        return None
    values = {}
    for column in table_of(type(entity)).columns:
        if column.name in exclude:
            continue
        value = getattr(entity, column.name)
        if isinstance(column.type, ExactDecimal) and value is not None:
            value = column.type.quantize(value)
        values[column.name] = value
    return plain(values)


def record(
    session: Session,
    *,
    actor: str,
    kind: str,
    before: Any,
    after: Any,
    customer_id: str | None = None,
    contract_id: str | None = None,
    subject: str | None = None,
) -> CatalogChange | None:
    """Adds the change to the session's transaction; nothing when `before` and `after` are the same."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of change {kind!r}")
    if not actor:
        raise ValueError("a change needs the actor who made it")
    before, after = plain(before), plain(after)
    if before == after:
        return None
    change = CatalogChange(
        at=datetime.now(UTC),
        actor=actor,
        customer_id=customer_id,
        contract_id=contract_id,
        kind=kind,
        subject=subject,
        before=before,
        after=after,
    )
    session.add(change)
    return change


def _out(change: CatalogChange) -> CatalogChangeOut:
    at = change.at if change.at.tzinfo is not None else change.at.replace(tzinfo=UTC)  # SQLite drops it
    action = "created" if change.before is None else "deleted" if change.after is None else "changed"
    return CatalogChangeOut(
        id=change.id,
        at=at,
        actor=change.actor,
        customer_id=change.customer_id,
        contract_id=change.contract_id,
        kind=change.kind,
        subject=change.subject,
        action=action,
        before=change.before,
        after=change.after,
    )


def changes(
    session: Session,
    *,
    customer_id: str | None = None,
    contract_id: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> CatalogChangePage:
    """The recorded changes, newest first, `limit` at a time; the next page starts below
    `next_before_id` (keyset pagination by id: new records do not shift the pages)."""
    query = select(CatalogChange).order_by(col(CatalogChange.id).desc()).limit(limit + 1)
    for column, value in (
        (col(CatalogChange.customer_id), customer_id),
        (col(CatalogChange.contract_id), contract_id),
        (col(CatalogChange.kind), kind),
    ):
        if value is not None:
            query = query.where(column == value)
    if before_id is not None and before_id <= MAX_ID:  # beyond: every id is below it
        # compared as a BIGINT: the column is an INTEGER, and PostgreSQL refused a bound beyond one
        query = query.where(col(CatalogChange.id) < literal(before_id, BigInteger()))
    rows = list(session.execute(query).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return CatalogChangePage(changes=[_out(r) for r in rows], next_before_id=rows[-1].id if more else None)


def summary(before: Any, after: Any) -> str:
    """One line for people (the CLI): what differs between two snapshots."""
    if before is None:
        return "created " + _compact(after)
    if after is None:
        return "deleted " + _compact(before)
    if isinstance(before, dict) and isinstance(after, dict):
        return ", ".join(
            f"{key}: {_compact(before.get(key))} → {_compact(after.get(key))}"
            for key in dict.fromkeys([*before, *after])
            if before.get(key) != after.get(key)
        )
    return f"{_compact(before)} → {_compact(after)}"


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
