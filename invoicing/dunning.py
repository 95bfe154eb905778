"""Dunning schedules: the levels an unpaid invoice goes through after its due date.

A customer may have its own schedule (customers.dunning_schedule, set by finance); the seller's
default applies otherwise. The last level of kind "collections" hands the invoice over to
collections (the order shows COLLECTIONS). Fees are printed on the notice; what settles the
invoice stays its amount (invoicing/terms.py): a fee is a claim of its own.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from models.invoices import DunningLevel

DEFAULT_SCHEDULE = (
    DunningLevel(days_after_due=7, kind="reminder"),
    DunningLevel(days_after_due=21, kind="notice", fee=Decimal("5.00")),
    DunningLevel(days_after_due=35, kind="notice", fee=Decimal("10.00")),
    DunningLevel(days_after_due=49, kind="collections"),
)


class InvalidSchedule(ValueError):
    pass


def checked(levels: Sequence[DunningLevel]) -> list[DunningLevel]:
    """A schedule as it may be kept: days rising, at least one level, collections only last."""
    levels = list(levels)
    if not levels:
        raise InvalidSchedule("a dunning schedule needs at least one level")
    days = [level.days_after_due for level in levels]
    if days != sorted(days) or len(set(days)) != len(days):
        raise InvalidSchedule("the levels' days_after_due must rise from level to level")
    if any(level.kind == "collections" for level in levels[:-1]):
        raise InvalidSchedule("only the last level may hand over to collections")
    return levels


def schedule_of(stored: list[dict[str, Any]] | None) -> list[DunningLevel]:
    """The customer's schedule as stored, or the default."""
    if not stored:
        return list(DEFAULT_SCHEDULE)
    return [DunningLevel.model_validate(level) for level in stored]
