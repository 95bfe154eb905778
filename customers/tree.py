"""The customer tree: a customer, its parents and its subsidiaries.

A subsidiary uses the contract of the nearest customer up the tree that has one
(contracts/in_force.py). The same "nearest customer that has one" rule decides which price lists,
role rules and role limits apply (catalog/pricing.py, catalog/rights.py, contracts/limits.py);
customer part numbers are inherited per item (customers/part_numbers.py).
"""

from sqlalchemy import select
from sqlmodel import Session, col

from customers.tables import Customer


def customer_chain(session: Session, customer_id: str) -> list[Customer]:
    """The customer, its parent, its parent's parent...; empty when the customer is unknown."""
    chain: list[Customer] = []
    current = session.get(Customer, customer_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = session.get(Customer, current.parent_id) if current.parent_id else None
    return chain


def nearest_owner(chain_ids: list[str], owners: set[str]) -> str | None:
    """The first customer of the chain (the customer itself first) among `owners`."""
    return next((customer_id for customer_id in chain_ids if customer_id in owners), None)


def subsidiaries(session: Session, customer_id: str) -> list[Customer]:
    """Its subsidiaries, theirs, and so on (a recursive query; UNION stops at a cycle), by id."""
    tree = select(col(Customer.id)).where(col(Customer.parent_id) == customer_id).cte("subsidiaries", recursive=True)
    tree = tree.union(select(col(Customer.id)).join(tree, col(Customer.parent_id) == tree.c.id))
    return list(
        session.execute(
            select(Customer).where(col(Customer.id).in_(select(tree.c.id))).order_by(col(Customer.id))
        ).scalars()
    )


def customer_tree(session: Session, customer_id: str) -> list[str]:
    """What a customer's users see of the tree: the customer, its parents and its subsidiaries."""
    return [c.id for c in customer_chain(session, customer_id)] + [c.id for c in subsidiaries(session, customer_id)]
