"""The customer tree and the framework contract in force for a customer.

A subsidiary uses the contract of the nearest customer up the tree that has one (its own first).
The same "nearest customer that has one" rule decides which price lists, role rules and role
limits apply (catalog/pricing.py, catalog/rights.py, catalog/limits.py); customer part numbers
are inherited per item (catalog/partnumbers.py).
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from catalog.tables import Contract, Customer


class NoValidContract(Exception):
    """The customer has no framework contract in force on the given day. `contract` is the
    customer's latest contract when it has one (its `on_exceed` decides: reject, or the expert)."""

    def __init__(self, reason: str, contract: Contract | None = None):
        super().__init__(reason)
        self.contract = contract


def customer_chain(session: Session, customer_id: str) -> list[Customer]:
    """The customer, its parent, its parent's parent...; empty when the customer is unknown."""
    chain: list[Customer] = []
    current = session.get(Customer, customer_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = session.get(Customer, current.parent_id) if current.parent_id else None
    return chain


def effective_contract(session: Session, customer_id: str, as_of: date) -> Contract:
    """The contract of the nearest customer in the tree that has one, if it is in force."""
    for customer in customer_chain(session, customer_id):
        contracts = (
            session.execute(
                select(Contract).where(Contract.customer_id == customer.id).order_by(Contract.valid_from.desc())
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


def nearest_owner(chain_ids: list[str], owners: set[str]) -> str | None:
    """The first customer of the chain (the customer itself first) among `owners`."""
    return next((customer_id for customer_id in chain_ids if customer_id in owners), None)
