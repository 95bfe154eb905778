"""Today's date as order2cash counts days: in UTC, the calendar the workflows use (workflow.now()
is UTC), so a catalog read, an order's validation and an export agree on the day."""

from datetime import UTC, date, datetime


def utc_today() -> date:
    return datetime.now(UTC).date()
