"""Who may see an order."""

from models.actors import Actor
from models.approvals import PendingApproval
from models.orders import OrderView


def may_see_order(actor: Actor, view: OrderView) -> bool:
    """Seller staff see every order; a customer's people see their customer's orders, and
    approvers the orders waiting for them; nobody else (delivery units use their sub-orders)."""
    return may_see(actor, view.customer_id, view.pending_approval)


def may_see(actor: Actor, customer_id: str | None, pending: PendingApproval | None) -> bool:
    """The same from the order's customer and what it waits for (without reading the whole order)."""
    if actor.is_seller_staff:
        return True
    if actor.customer_id is None:
        return False
    return actor.customer_id == customer_id or (
        pending is not None and actor.customer_id in pending.approver_customer_ids
    )
