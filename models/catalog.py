from decimal import Decimal

from pydantic import BaseModel, Field

from models.money import Money


class ConfigOption(BaseModel):
    name: str
    values: list[str]


class ConfigConstraint(BaseModel):
    type: str  # "incompatible": the combination in `when` cannot be delivered; "requires": see `then`
    when: dict[str, str | list[str]]
    message: str
    then: dict[str, str | list[str]] = {}  # "requires": when `when` matches, these options need these values


class ConfigSurcharge(BaseModel):
    """Added to the unit price (per unit, contract currency) when the configuration matches `when`."""

    when: dict[str, str | list[str]]
    amount: Money
    message: str


class PriceBreak(BaseModel):
    min_quantity: int  # from this many pieces on
    price: Money


class CatalogItem(BaseModel):
    """An item as one customer sees it: with that customer's contract price."""

    sku: str
    name: str
    description: str
    category: str
    unit: str
    price: Money
    list_price: Money
    currency: str  # of `price` (the contract's)
    list_price_currency: str = ""  # of `list_price` (the item's own; may differ from the contract's)
    vat_rate: Decimal
    price_source: str  # "special", "contract", "price_list" or "list" (catalog/pricing.py)
    expert_review: bool
    configurable: bool
    options: list[ConfigOption]
    constraints: list[ConfigConstraint]
    surcharges: list[ConfigSurcharge] = []
    customer_part_number: str | None = None  # the customer's own number for the item
    min_quantity: int = 1  # below it the item has no price for the customer
    price_breaks: list[PriceBreak] = []  # where the unit price changes with the quantity
    orderable: bool = True  # whether the caller may order it (role rules, buyer role)
    not_orderable_reason: str | None = None


class CatalogPage(BaseModel):
    items: list[CatalogItem]
    total: int
    limit: int
    offset: int


class ConfigurationCheckRequest(BaseModel):
    configuration: dict[str, str] = Field(default_factory=dict)
    quantity: int = Field(default=1, gt=0, le=1_000_000)


class CheckProblem(BaseModel):
    field: str  # "configuration", "configuration.<option>" or "quantity"
    message: str


class ConfigurationCheck(BaseModel):
    """POST /api/v1/catalog/items/{sku}/configurations/check: one configuration, checked and priced."""

    sku: str
    valid: bool  # the configuration can be delivered (and the quantity has a price)
    problems: list[CheckProblem]
    quantity: int
    base_price: Money | None  # the caller's unit price at this quantity, before surcharges
    surcharges: list[ConfigSurcharge]  # those the configuration incurs
    unit_price: Money | None  # base price + surcharges
    line_total: Money | None  # net, unit price x quantity
    currency: str
    price_source: str | None
    orderable: bool  # whether the caller may order the item (role rules, buyer role)
    not_orderable_reason: str | None = None
