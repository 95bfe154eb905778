"""Users as the seller's administrators create and edit them (API, pages, CLI), and the one-time
links that let a person set a password. Which roles fit which kind of account is
accounts/admin.py's rule (it needs the customer's own roles from the database)."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from models.customer_rules import Price, printable
from models.customers import Email, Ref

PASSWORD_FIELD = Field(min_length=1, max_length=256)


def _printable(value: str) -> str:
    printable(value)
    return value


def _lower(value: str) -> str:
    return value.lower()


UserEmail = Annotated[Email, AfterValidator(_lower)]  # accounts are kept, and signed in, in lower case
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
Role = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_printable)]
Roles = Annotated[list[Role], Field(max_length=20)]


class UserIn(BaseModel):
    """A new account: a customer's user (`customer_id`), a delivery unit's (`delivery_unit_id`) or,
    with neither, the seller's staff. Without `password` the answer carries a one-time link with
    which the person sets one."""

    model_config = ConfigDict(extra="forbid")

    email: UserEmail
    name: Name
    customer_id: Ref | None = None
    delivery_unit_id: Ref | None = None
    roles: Roles = Field(
        default=[],
        description="a customer's user: buyer, approver and the roles its customer's role rules or limits name; "
        "a unit's: fulfilment; the seller's staff: admin, expert, catalog_manager, finance",
    )
    order_limit: Price | None = Field(default=None, description="net per order (customer users); null: the role's")
    monthly_limit: Price | None = Field(default=None, description="net per calendar month (customer users)")
    password: str | None = Field(default=None, min_length=1, max_length=256, description="10 characters at least")


class UserPatch(BaseModel):
    """Only the fields sent change; `null` clears a limit. `active: false` ends the user's access on
    its next request; roles count from the next request on."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    roles: Roles | None = None
    active: bool | None = None
    order_limit: Price | None = None
    monthly_limit: Price | None = None


class UserOut(BaseModel):
    """An account as administrators see it (never its password or hash)."""

    email: str
    name: str
    customer_id: str | None = None
    delivery_unit_id: str | None = None
    kind: str = Field(description="customer, delivery_unit or seller")
    roles: list[str]
    order_limit: Price | None = None
    monthly_limit: Price | None = None
    active: bool
    has_password: bool = Field(description="false until the person used the invitation link")


class InvitationLink(BaseModel):
    """A one-time link to set a password; shown once (only its SHA-256 is kept)."""

    token: str
    url: str = Field(description="the page where the person sets a password")
    expires_at: datetime


class UserCreated(UserOut):
    invitation: InvitationLink | None = Field(default=None, description="null when a password was given")


class InvitationUse(BaseModel):
    """Sets the password of the account a one-time link was issued for."""

    token: str = Field(min_length=1, max_length=128)
    new_password: str = PASSWORD_FIELD


class PasswordSet(BaseModel):
    email: str = Field(description="the account whose password is set: sign in with it")
