from decimal import Decimal

from pydantic import BaseModel

from models.money import Money


class ConfigOption(BaseModel):
    name: str
    values: list[str]


class ConfigConstraint(BaseModel):
    type: str  # "incompatible": the combination in `when` cannot be delivered
    when: dict[str, str]
    message: str


class CatalogItem(BaseModel):
    """An item as one customer sees it: with that customer's contract price."""

    sku: str
    name: str
    description: str
    category: str
    unit: str
    price: Money
    list_price: Money
    currency: str
    vat_rate: Decimal
    price_source: str  # "contract" or "special"
    expert_review: bool
    configurable: bool
    options: list[ConfigOption]
    constraints: list[ConfigConstraint]


class CatalogPage(BaseModel):
    items: list[CatalogItem]
    total: int
    limit: int
    offset: int
