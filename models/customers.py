"""A customer as the seller's administrators create and edit it (API, pages, CLI): its name, place in
the tree and invoicing particulars (EN 16931: country, VAT ID, postal address, invoice e-mail,
buyer reference / Leitweg-ID), its invoicing policy and dunning schedule.

The checks that need no database live here, each a named function (`country_code`, `vat_id_shape`,
`email_address`), so that a 422 names the field; what needs the database (the parent exists, no
cycle, the id is free) is customers/onboarding.py's, and so is the order of a dunning schedule's
levels (invoicing/dunning.py `checked`)."""

import re
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, StringConstraints

from models.customer_rules import printable
from models.invoices import DunningLevel

# VAT IDs whose prefix is no ISO 3166 code: Greece (EL) and Northern Ireland (XI)
VAT_PREFIXES = ("EL", "XI")
_VAT = re.compile(r"[A-Z]{2}[0-9A-Z+*]{2,12}")
# deliberately loose (one @, a dotted domain, no spaces): the mail server has the last word
# no '/', '?', '#', '%' or '\\' either: the address is the user's key in URLs (/api/v1/users/{email})
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"/?#%\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def country_code(value: str) -> str:
    """ISO 3166-1 alpha-2 (upper case)."""
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code (e.g. DE, AT)")
    return value


def vat_id_shape(value: str) -> str:
    """A two-letter country prefix and 2 to 12 letters or digits (spaces dropped): DE123456789."""
    value = re.sub(r"[\s.-]", "", value)
    prefix = value[:2]
    if not _VAT.fullmatch(value) or (prefix not in VAT_PREFIXES and pycountry.countries.get(alpha_2=prefix) is None):
        raise ValueError(f"{value!r} is no VAT ID: a country prefix and 2 to 12 letters or digits, e.g. DE123456789")
    return value


def email_address(value: str) -> str:
    value = value.strip()
    if not _EMAIL.fullmatch(value) or len(value) > 254 or _control(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def plain_url(url: HttpUrl) -> HttpUrl:
    """A webhook URL: no user name or password in it (the signature authenticates), 2000 characters at most."""
    if url.username or url.password:
        raise ValueError("must not carry a user name or password (the webhook signature authenticates)")
    if len(str(url)) > 2000:
        raise ValueError("must be 2000 characters at most")
    return url


def built_policy(value: object) -> object:
    """Monthly collective invoicing is planned (the column allows it) but not built: refused by name."""
    if value == "monthly":
        raise ValueError("monthly invoicing is not available yet: per_order or per_delivery")
    return value


def new_key(value: str) -> str:
    """A new id goes into URLs (/customers/{id}): letters, digits, '.', '_' and '-', 64 at most."""
    if not _ID.fullmatch(value):
        raise ValueError("1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def _printable(value: str) -> str:
    printable(value)
    return value


def _control(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


Country = Annotated[str, BeforeValidator(_upper), AfterValidator(country_code)]
VatId = Annotated[str, BeforeValidator(_upper), Field(max_length=20), AfterValidator(vat_id_shape)]
Email = Annotated[str, AfterValidator(email_address)]
WebhookUrl = Annotated[HttpUrl, AfterValidator(plain_url)]
# the id of a customer, unit or parent the body refers to (PostgreSQL cannot even look up a NUL)
Ref = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_printable)]
NewKey = Annotated[str, AfterValidator(new_key)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
Street = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
PostalCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), AfterValidator(_printable)
]
City = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_printable)
]
BuyerReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_printable)
]
# per_order: one invoice when the order is fully delivered; per_delivery: one per delivered sub-order
InvoicingPolicy = Annotated[Literal["per_order", "per_delivery"], BeforeValidator(built_policy)]


class DunningLevelIn(DunningLevel):
    """A level as sent: a misspelt field is an error, not a level without its fee."""

    model_config = ConfigDict(extra="forbid")


# the levels in order (rising days, collections last: customers/onboarding.py checks)
DunningSchedule = Annotated[list[DunningLevelIn], Field(min_length=1, max_length=20)]
INVOICING_POLICY_HELP = "per_order (one invoice after full delivery) or per_delivery (one per delivered sub-order)"
DUNNING_HELP = (
    "the levels an unpaid invoice goes through after its due date, days_after_due rising, a level of "
    "kind collections only last; null: the seller's default schedule"
)


class Address(BaseModel):
    """The postal address on invoices; every field may be unknown (null)."""

    model_config = ConfigDict(extra="forbid")

    street: Street | None = None
    postal_code: PostalCode | None = None
    city: City | None = None
    country: Country | None = Field(default=None, description="ISO 3166 alpha-2; may differ from the customer's")


class CustomerIn(BaseModel):
    """A new customer. `parent_id`: the customer it is a subsidiary of (it inherits the parent's
    contract, price lists and rules)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: NewKey
    name: Name
    parent_id: Ref | None = None
    country: Country = Field(description="ISO 3166 alpha-2, e.g. DE")
    vat_id: VatId | None = Field(default=None, description="with its country prefix, e.g. DE123456789")
    address: Address | None = None
    invoice_email: Email | None = Field(default=None, description="where invoices go")
    buyer_reference: BuyerReference | None = Field(
        default=None, description="the buyer's reference on every invoice (e.g. a Leitweg-ID)"
    )
    invoice_webhook_url: WebhookUrl | None = Field(
        default=None,
        description="the customer's system that takes its invoices (signed, Standard Webhooks); "
        "the answer carries its signing secret this once",
    )
    invoicing_policy: InvoicingPolicy = Field(default="per_order", description=INVOICING_POLICY_HELP)
    dunning_schedule: DunningSchedule | None = Field(default=None, description=DUNNING_HELP)


class CustomerPatch(BaseModel):
    """Only the fields sent change; `null` clears an optional one (`name`, `country` and
    `invoicing_policy` cannot be cleared; without its own `dunning_schedule` a customer has the
    seller's default). `address` is merged field by field; `"address": null` clears it all."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    parent_id: Ref | None = Field(default=None, description="null: no parent (a top customer)")
    country: Country | None = None
    vat_id: VatId | None = None
    address: Address | None = None
    invoice_email: Email | None = None
    buyer_reference: BuyerReference | None = None
    invoice_webhook_url: WebhookUrl | None = Field(
        default=None, description="null: none; the first URL set gets a signing secret, answered this once"
    )
    invoicing_policy: InvoicingPolicy | None = Field(default=None, description=INVOICING_POLICY_HELP)
    dunning_schedule: DunningSchedule | None = Field(default=None, description=DUNNING_HELP)
