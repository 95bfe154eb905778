"""The audit trail of a customer's commercial terms as the API and the CLI show it
(customers/audit.py records it)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# what changed; `subject` says which one: the SKU (contract.item, part_number, special_item), the
# role (role_limit), "role scope [target]" (role_rule), the price list id (price_list); the whole
# set of the customer (role_rules, quality_rules) and sub_assortment, contract.terms and customer have none
Kind = Literal[
    "contract.terms",
    "contract.item",
    "price_list",
    "role_rules",
    "role_rule",
    "role_limit",
    "part_number",
    "special_item",
    "quality_rules",
    "sub_assortment",
    "customer",  # the customer itself: name, parent, country, invoicing particulars (administrators)
]


class CatalogChangeOut(BaseModel):
    id: int
    at: datetime = Field(description="when (UTC)")
    actor: str = Field(description="the user's e-mail; cli:<os user> for the command line")
    customer_id: str | None = None
    contract_id: str | None = None
    kind: Kind
    subject: str | None = None
    action: Literal["created", "changed", "deleted"]
    before: Any = Field(default=None, description="the entity as it was (null: it did not exist); decimals as strings")
    after: Any = Field(default=None, description="the entity as it is (null: it was deleted)")


class CatalogChangePage(BaseModel):
    changes: list[CatalogChangeOut] = Field(description="newest first")
    next_before_id: int | None = Field(
        default=None, description="send as before_id for the next, older page; null: there is none"
    )
