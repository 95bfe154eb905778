"""Who did something: carried on every message a person or a partner system sends."""

from pydantic import BaseModel

from core.errors import Forbidden


class Actor(BaseModel):
    id: str  # e-mail of a user, or "system", or "partner:<unit id>"
    roles: list[str] = []
    customer_id: str | None = None
    delivery_unit_id: str | None = None

    @property
    def is_seller_staff(self) -> bool:
        """Neither a customer's nor a delivery unit's, and with a role: an account without roles has
        no rights at all."""
        return self.customer_id is None and self.delivery_unit_id is None and bool(self.roles)

    @property
    def is_admin(self) -> bool:
        """One of the seller's administrators (onboarding: customers, users, contracts, units)."""
        return self.is_seller_staff and ADMIN in self.roles


SYSTEM = Actor(id="system")


def require_role(actor: Actor, *roles: str) -> None:
    """Refuses (Forbidden) unless the actor has one of `roles`."""
    if not set(roles) & set(actor.roles):
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}")


def require_seller(actor: Actor, role: str, refusal: str) -> None:
    """Refuses unless the actor is the seller's staff with `role`: a customer's user given the role
    by mistake still gets `refusal`."""
    if not actor.is_seller_staff:
        raise Forbidden(refusal)
    require_role(actor, role)


CATALOG_MANAGER = "catalog_manager"


def require_catalog_manager(actor: Actor) -> None:
    """Catalog management is the seller's catalog managers' (a customer's user given the role by
    mistake manages nothing)."""
    require_seller(actor, CATALOG_MANAGER, "Catalog management is for the seller's catalog managers")


ADMIN = "admin"
# every role an account may hold (customers' users: buyer, approver; units' users: fulfilment)
ROLES = ("admin", "approver", "buyer", CATALOG_MANAGER, "expert", "finance", "fulfilment")


def require_admin(actor: Actor) -> None:
    """Onboarding (customers, users, contracts, delivery units) is the seller's administrators'."""
    require_seller(actor, ADMIN, "Onboarding is for the seller's administrators")
