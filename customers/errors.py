"""What editing and reading a customer's rules refuses (kinds of core/errors.py)."""

from core.errors import Conflict, Invalid, NotFound


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str):
        super().__init__(f"customer {customer_id} not found")
        self.customer_id = customer_id


class RuleNotFound(NotFound):
    """The customer has no such price list, role rule, role limit, part number or special item."""


class InvalidRule(Invalid):
    def __init__(self, reason: str, field: str):
        super().__init__(reason, field=field)


class RuleConflict(Conflict, InvalidRule):
    """The id is taken by another customer's row (a price list's id is unique over all customers)."""

    def __init__(self, reason: str, field: str):
        InvalidRule.__init__(self, reason, field)
