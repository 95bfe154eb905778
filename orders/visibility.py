"""Who may see an order."""

from models.actors import Actor
from models.orders import OrderView


def may_see_order(actor: Actor, view: OrderView) -> bool:
    """Seller staff see every order; a customer's people see their customer's orders, and
    approvers the orders waiting for them; nobody else (delivery units use their sub-orders)."""
    if actor.is_seller_staff:
        return True
    if actor.customer_id is None:
        return False
    pending = view.pending_approval
    return actor.customer_id == view.customer_id or (
        pending is not None and actor.customer_id in pending.approver_customer_ids
    )
