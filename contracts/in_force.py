"""The framework contract in force for a customer on a day.

A subsidiary uses the contract of the nearest customer up the tree that has one (its own first);
outside the contract's validity there is none, and the contract's `on_exceed` decides what an
order then gets (catalog/validation: rejected, or the seller's expert).
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from contracts.tables import Contract
from customers.tree import customer_chain


class NoValidContract(Exception):
    """The customer has no framework contract in force on the given day. `contract` is the
    customer's latest contract when it has one (its `on_exceed` decides: reject, or the expert)."""

    def __init__(self, reason: str, contract: Contract | None = None):
        super().__init__(reason)
        self.contract = contract


def effective_contract(session: Session, customer_id: str, as_of: date) -> Contract:
    """The contract of the nearest customer in the tree that has one, if it is in force."""
    for customer in customer_chain(session, customer_id):
        contracts = (
            session.execute(
                select(Contract)
                .where(col(Contract.customer_id) == customer.id)
                .order_by(col(Contract.valid_from).desc())
            )
            .scalars()
            .all()
        )
        if not contracts:
            continue
        for contract in contracts:
            if contract.valid_from <= as_of <= contract.valid_to:
                return contract
        latest = contracts[0]
        raise NoValidContract(
            f"the framework contract {latest.id} is not in force on {as_of.isoformat()} "
            f"(valid {latest.valid_from.isoformat()} to {latest.valid_to.isoformat()})",
            latest,
        )
    raise NoValidContract("there is no framework contract for this customer")
