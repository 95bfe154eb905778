"""The audit trail of a customer's commercial terms (SQLModel table); customers/audit.py writes and
reads it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel


class CatalogChange(SQLModel, table=True):
    """One change of a contract's terms or items, or of a customer's catalog rules: who made it,
    when, and the changed entity as it was (`before`, null: it was created) and is (`after`, null:
    it was deleted), as plain JSON (decimals as strings). No foreign keys: the trail outlives what
    it names."""

    __tablename__ = "catalogchange"
    __table_args__ = (
        Index("ix_catalogchange_customer", "customer_id", "id"),
        Index("ix_catalogchange_contract", "contract_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=254)  # a user's e-mail, or "cli:<os user>"
    customer_id: str | None = Field(default=None, max_length=64)
    contract_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)  # models/catalog_changes.py Kind
    subject: str | None = Field(default=None, max_length=200)  # the SKU, role, price list id, ...
    before: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    after: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
