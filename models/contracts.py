"""Framework contract consumption across the boundaries: workflow ↔ activity, and the API's views."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.customer_rules import Printable
from models.money import Money

OnExceed = Literal["reject", "expert"]
# what the columns hold: money is NUMERIC(14, 2) (cents at most, below 10^12; more cents were rounded
# away, more digits overflowed PostgreSQL), quantities are INTEGER
Amount = Annotated[Money, Field(gt=0, lt=Decimal("1e12"), decimal_places=2)]
Quantity = Annotated[int, Field(gt=0, le=2**31 - 1)]
# cash discount: paid within so many days of the invoice date, so many percent less (both or
# neither, the days below the payment terms: contracts/terms.py `check_discount`)
DiscountDays = Annotated[int, Field(ge=1, le=365, description="paid within so many days of the invoice date")]
DiscountPercent = Annotated[
    Decimal, Field(gt=0, lt=100, decimal_places=2, description="that many percent less (cash discount)")
]


class ConsumptionLine(BaseModel):
    sku: str
    quantity: int
    value: Money  # net, at the order's price, in the contract's currency


class ConsumptionRequest(BaseModel):
    contract_id: str
    order_id: str
    lines: list[ConsumptionLine]
    force: bool = False  # the expert approved an order beyond the agreed quantities


class ConsumptionResult(BaseModel):
    """What a call-off consumed, or why it may not (`accepted=False`: nothing was consumed)."""

    contract_id: str
    order_id: str
    accepted: bool
    forced: bool = False  # consumed beyond the agreement (the expert approved it)
    reason: str | None = None  # names the remaining quantity or value of everything exceeded
    on_exceed: OnExceed = "reject"  # the contract's setting: what happens when not accepted
    lines: list[ConsumptionLine] = []  # what was (or would be) consumed: contracted items only
    released: bool = False  # the order has given its consumption back


class ReleaseRequest(BaseModel):
    order_id: str


class ReleaseResult(BaseModel):
    order_id: str
    released_rows: int  # 0 when there was nothing (left) to release


class ItemUsage(BaseModel):
    sku: str
    name: str
    price: Money
    agreed_quantity: int | None = None
    limit_quantity: int | None = Field(default=None, description="agreed quantity plus the tolerance")
    consumed_quantity: int = 0
    remaining_quantity: int | None = Field(default=None, description="may still be called off (incl. tolerance)")
    value_cap: Money | None = None
    consumed_value: Money = Decimal("0.00")
    remaining_value: Money | None = Field(default=None, description="may still be called off (incl. tolerance)")


class ContractSummary(BaseModel):
    """A contract in a list: validity and what active call-offs consumed of its total."""

    contract_id: str
    customer_id: str
    name: str
    valid_from: date
    valid_to: date
    in_force: bool
    currency: str
    value_cap: Money | None = None
    consumed_value: Money = Decimal("0.00")
    remaining_value: Money | None = None
    orders: int = Field(default=0, description="call-offs that consume the contract now")


class ContractUsage(ContractSummary):
    """A contract with its terms and what active call-offs have consumed of it, item by item."""

    payment_terms_days: int
    discount_days: int | None = Field(default=None, description="cash discount: paid within so many days")
    discount_percent: Decimal | None = Field(default=None, description="cash discount: that many percent less")
    tolerance_percent: Decimal
    on_exceed: OnExceed
    items: list[ItemUsage] = []


class ContractTermsUpdate(BaseModel):
    """A catalog manager's change to a contract's terms: only the fields sent change (null clears
    a cap, or with both discount fields the cash discount). Running orders keep what they consumed;
    new call-offs are checked, and new invoices issued, with the new terms."""

    valid_from: date | None = None
    valid_to: date | None = None
    tolerance_percent: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    on_exceed: OnExceed | None = None
    value_cap: Amount | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    discount_days: DiscountDays | None = None
    discount_percent: DiscountPercent | None = None


class ContractItemTerms(BaseModel):
    """A contracted item's price and optional agreed quantity and value cap."""

    price: Amount
    agreed_quantity: Quantity | None = None
    value_cap: Amount | None = None


class CallOffLine(BaseModel):
    sku: str
    quantity: int
    value: Money  # net, at the order's price, in the contract's currency


class CallOff(BaseModel):
    """An order that called off the contract: what it consumed and whether that still counts
    (`released`: the order was cancelled or rejected and gave it back)."""

    order_id: str
    status: Literal["active", "released"]
    forced: bool = Field(default=False, description="beyond the agreed terms, with the seller's expert's approval")
    consumed_at: datetime
    released_at: datetime | None = None
    value: Money = Field(description="net value of its contracted lines")
    lines: list[CallOffLine] = []


def _iso_4217(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code} is not an ISO 4217 currency code")
    return code


def _new_contract_id(value: str) -> str:
    # the id goes into URLs (/api/v1/contracts/{id}): a slash would make it unreachable
    if "/" in value or value != value.strip():
        raise ValueError("must not contain '/' nor begin or end with a space")
    return value


Sku = Annotated[str, Field(min_length=1, max_length=64), Printable]


class ContractItemCreate(BaseModel):
    """An item of a new contract: its price and optional agreed quantity and value cap."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    price: Amount
    agreed_quantity: Quantity | None = None
    value_cap: Amount | None = None


class ContractCreate(BaseModel):
    """A new framework contract with its items (seller administrators and catalog managers). Items
    and terms can be changed afterwards with PATCH and PUT .../items/{sku}."""

    model_config = ConfigDict(extra="forbid")  # a misspelt term is an error, not silently dropped

    contract_id: Annotated[str, Field(min_length=1, max_length=64), Printable, AfterValidator(_new_contract_id)]
    customer_id: Annotated[str, Field(min_length=1, max_length=64), Printable]
    name: Annotated[str, Field(min_length=1, max_length=200), Printable]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR"), AfterValidator(_iso_4217)]
    valid_from: date
    valid_to: date
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    discount_days: DiscountDays | None = None
    discount_percent: DiscountPercent | None = None
    tolerance_percent: Decimal = Field(default=Decimal("0"), ge=0, le=100, decimal_places=2)
    on_exceed: OnExceed = "reject"
    value_cap: Amount | None = None
    items: list[ContractItemCreate] = Field(default_factory=list, max_length=10_000)
