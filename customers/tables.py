"""Business customers (SQLModel table): a tree of parents and subsidiaries."""

from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.database import JSONType


class Customer(SQLModel, table=True):
    """A business customer; subsidiaries point at their parent and inherit its contract."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    parent_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    country: str = Field(default="DE", max_length=2)
    # invoicing particulars (EN 16931: buyer VAT ID, postal address, buyer reference / Leitweg-ID)
    vat_id: str | None = Field(default=None, max_length=20)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    address_country: str | None = Field(default=None, max_length=2)
    invoice_email: str | None = Field(default=None, max_length=254)
    buyer_reference: str | None = Field(default=None, max_length=200)
    # invoice to cash: per_order (after full delivery), per_delivery (as each sub-order is delivered),
    # monthly (collective); the dunning levels (None: the seller's default, invoicing/dunning.py);
    # the customer's system that takes its invoices (signed like the partners' webhooks)
    invoicing_policy: str = Field(default="per_order", max_length=16)
    dunning_schedule: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    invoice_webhook_url: str | None = Field(default=None, max_length=2000)
    invoice_webhook_secret: str | None = None
