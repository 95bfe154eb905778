"""Business customers (SQLModel table): a tree of parents and subsidiaries."""

from sqlmodel import Field, SQLModel


class Customer(SQLModel, table=True):
    """A business customer; subsidiaries point at their parent and inherit its contract."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    parent_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    country: str = Field(default="DE", max_length=2)
