"""The consumption ledger of framework contracts (catalog/contracts.py writes and reads it).

One row per (contract, order, SKU) that an accepted call-off consumed, plus one row with SKU "*"
for the order's total over the contracted items. Releasing an order (cancelled, rejected) flips
its rows to "released": the history stays, only "active" rows count.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.database import MoneyType

TOTAL = "*"  # the SKU of an order's total row
ACTIVE, RELEASED = "active", "released"


class ContractConsumption(SQLModel, table=True):
    __tablename__ = "contractconsumption"

    contract_id: str = Field(foreign_key="contract.id", primary_key=True, max_length=64)
    order_id: str = Field(primary_key=True, index=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)  # or TOTAL
    quantity: int
    value: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))  # net, in the contract's currency
    status: str = Field(default=ACTIVE, max_length=16)
    forced: bool = False  # consumed beyond the agreed quantity with the expert's approval
    created_at: datetime
    released_at: datetime | None = None
