"""A customer's catalog rules as catalog managers edit them (API and CLI): price lists, role rules,
role limits, customer part numbers and the special assortment; and the customer tree.

The field constraints here (amounts, quantities, currency, lengths) are the input checks; what
needs the database (the customer, SKUs and categories exist) and what spans fields (validity,
scope and target) is checked in customers/rule_edits.py and customers/price_lists.py.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from models.invoices import DunningLevel
from models.money import Money


def printable(value: str | None) -> str | None:
    """No control characters: PostgreSQL's text cannot hold NUL, and a tab or line break in an id,
    role or name is a typo that no lookup would ever match. The API's path and query parameters
    use it (`Printable`); bodies are checked by the edit functions (customers/rule_edits.py), as
    these models also carry what is read back, which must not fail on rows stored before."""
    if value is not None and _has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value


Printable = AfterValidator(printable)


def possible_key(value: str) -> bool:
    """Whether an id, SKU or role could be in the tables at all: 1 to 64 characters, printable (a
    page can answer "not found" without asking the database, which cannot even look up a NUL)."""
    return 0 < len(value) <= 64 and not _has_control_characters(value)


def _has_control_characters(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]  # ids, SKUs and roles (64 in the tables)
# money columns are NUMERIC(14, 2): cents at most, and below 10^12
Price = Annotated[Money, Field(ge=0, lt=Decimal("1e12"), decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]
Scope = Literal["all", "category", "sku"]


# --- the customer tree ----------------------------------------------------------------------------


class CustomerSummary(BaseModel):
    customer_id: str
    name: str
    parent_id: str | None = None
    country: str


class RulesOverview(BaseModel):
    """How many rows of each kind the customer has itself, and whose price lists, role rules and
    role limits apply to it (itself, or the nearest parent that has some; null: none)."""

    price_lists: int = 0
    role_rules: int = 0
    role_limits: int = 0
    part_numbers: int = Field(default=0, description="own numbers; the parents' count per item unless overridden")
    special_items: int = 0
    price_lists_from: str | None = None
    role_rules_from: str | None = None
    role_limits_from: str | None = None


class PostalAddress(BaseModel):
    """A customer's address on invoices as read back (null: not known); models/customers.py checks
    what an administrator sends."""

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


class CustomerDetail(CustomerSummary):
    vat_id: str | None = None
    address: PostalAddress = PostalAddress()
    invoice_email: str | None = None
    buyer_reference: str | None = None
    invoice_webhook_url: str | None = Field(default=None, description="the customer's system that takes its invoices")
    invoice_webhook_secret: str | None = Field(
        default=None,
        description="whsec_ + base64 (Standard Webhooks): answered once, when the webhook URL is first set; "
        "the customer's system verifies the invoices with it",
    )
    invoicing_policy: str = Field(
        default="per_order", description="per_order (after full delivery) or per_delivery (per delivered sub-order)"
    )
    dunning_schedule: list[DunningLevel] | None = Field(
        default=None, description="the customer's own dunning levels; null: the seller's default applies"
    )
    dunning_levels: list[DunningLevel] = Field(
        default=[], description="the dunning levels that apply: its own schedule or the seller's default"
    )
    parents: list[CustomerSummary] = Field(default=[], description="up the tree, the nearest first")
    subsidiaries: list[CustomerSummary] = Field(default=[], description="down the tree, each with its parent_id")
    contract_id: str | None = Field(
        default=None, description="the framework contract in force today (its own or the nearest parent's)"
    )
    rules: RulesOverview = RulesOverview()


# --- price lists ----------------------------------------------------------------------------------


class PriceListEntry(BaseModel):
    """A quantity break: from `min_quantity` pieces `price`; no price: the item at its list price."""

    sku: Key
    min_quantity: int = Field(default=1, ge=1, le=1_000_000)
    price: Price | None = None


class PriceListIn(BaseModel):
    """A whole price list: a PUT replaces the list and all its entries."""

    name: str = Field(min_length=1, max_length=200)
    currency: Currency = "EUR"
    valid_from: date
    valid_to: date | None = Field(default=None, description="null: open-ended")
    entries: list[PriceListEntry] = []


class PriceListOut(PriceListIn):
    price_list_id: str
    customer_id: str


# --- role rules and limits ------------------------------------------------------------------------


class RoleRule(BaseModel):
    """What users with `role` may see and order: every item (`all`, target ""), a category or one SKU.
    The same shape in and out; a PUT of the list replaces the customer's whole rule set."""

    role: Key
    scope: Scope = "all"
    target: str = Field(default="", max_length=64, description='"" for all, else the category or SKU')
    may_see: bool = True
    may_order: bool = True


class RoleLimitIn(BaseModel):
    """Net limits in the contract's currency; null: the role sets no limit of that kind."""

    order_limit: Price | None = None
    monthly_limit: Price | None = None


class RoleLimitOut(RoleLimitIn):
    role: str


# --- part numbers and the special assortment -------------------------------------------------------


class PartNumberIn(BaseModel):
    part_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PartNumberOut(PartNumberIn):
    sku: str


class SpecialItemIn(BaseModel):
    """The customer's own price for an item of its special assortment (it wins over the contract)."""

    price: Price


class SpecialItemOut(SpecialItemIn):
    sku: str
    name: str
