"""Who did something: carried on every message a person or a partner system sends."""

from pydantic import BaseModel


class Actor(BaseModel):
    id: str  # e-mail of a user, or "system", or "partner:<unit id>"
    roles: list[str] = []
    customer_id: str | None = None
    delivery_unit_id: str | None = None

    @property
    def is_seller_staff(self) -> bool:
        return self.customer_id is None and self.delivery_unit_id is None


SYSTEM = Actor(id="system")
