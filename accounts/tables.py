from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.database import JSONType, MoneyType


class User(SQLModel, table=True):
    """A person. Customer users have `customer_id`, delivery unit users `delivery_unit_id`,
    the seller's staff neither. Roles: buyer, approver, expert, catalog_manager, finance, fulfilment."""

    email: str = Field(primary_key=True, max_length=254)
    name: str
    password_hash: str
    customer_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    delivery_unit_id: str | None = Field(default=None, foreign_key="deliveryunit.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # per order, net; None = no limit
    order_limit: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    # net per calendar month over the user's accepted orders; None = none (contracts/limits.py)
    monthly_limit: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    active: bool = True
    # in every token issued; a new password counts it up, revoking the tokens issued before
    token_version: int = 0


class RevokedToken(SQLModel, table=True):
    """A token signed out before it expired (by its id); kept until it would have expired anyway."""

    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class Invitation(SQLModel, table=True):
    """A one-time link that lets a user set a password (invite or reset); only its SHA-256 is kept."""

    token_hash: str = Field(primary_key=True, max_length=64)
    email: str = Field(foreign_key="user.email", index=True, max_length=254)
    created_by: str = Field(max_length=254)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
