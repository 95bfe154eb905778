from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class DeliveryUnit(SQLModel, table=True):
    """Fulfils sub-orders. With a `webhook_url` it is notified by signed HTTP calls to its backend;
    without, its people work in the partner portal."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    kind: str = "partner"  # "own" (the seller's warehouse) or "partner"
    webhook_url: str | None = None
    webhook_secret: str  # whsec_..., signs both directions
    contact_email: str | None = Field(default=None, max_length=254)
    adapter: str = Field(default="webhook", max_length=32)  # how its backend is spoken to
    # after a rotation the previous secret still verifies inbound webhooks until then
    previous_webhook_secret: str | None = None
    previous_secret_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    secret_rotated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class WebhookReceipt(SQLModel, table=True):
    """Webhook ids already acted on: a replayed `webhook-id` has no second effect."""

    delivery_unit_id: str = Field(primary_key=True, max_length=64)
    webhook_id: str = Field(primary_key=True, max_length=200)
    received_at: datetime
    suborder_id: str
    event_type: str
