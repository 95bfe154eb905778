from datetime import datetime

from sqlmodel import Field, SQLModel


class NotificationRow(SQLModel, table=True):
    __tablename__ = "notification"

    key: str = Field(primary_key=True, max_length=300)  # idempotency: one row per key
    role: str = Field(index=True)
    customer_id: str | None = Field(default=None, index=True)
    delivery_unit_id: str | None = Field(default=None, index=True)
    order_id: str | None = Field(default=None, index=True)
    subject: str
    body: str
    created_at: datetime
