from pydantic import BaseModel


class Notification(BaseModel):
    """A message to people in a role (of a customer or a delivery unit). `key` makes sending
    idempotent: the same key is delivered once however often the activity is retried."""

    key: str
    role: str
    customer_id: str | None = None
    delivery_unit_id: str | None = None
    subject: str
    body: str
    order_id: str | None = None
