"""Delivery units as the seller's administrators onboard them (API, CLI, pages): what a unit is, how
its backend is reached, and its webhook signing secret, which is shown once, when it is made."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from models.customer_rules import Printable
from models.customers import email_address

# a unit's id is part of sub-order ids, workflow ids and the webhook URL: lower-case letters,
# digits and inner hyphens only
UnitId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
UnitKind = Literal["own", "partner"]  # the seller's own warehouse or team, or a partner company
# how the unit's backend is spoken to; "webhook": Standard Webhooks, both directions
Adapter = Literal["webhook"]
Name = Annotated[str, Field(min_length=1, max_length=200), Printable]
Email = Annotated[str, Field(max_length=254), AfterValidator(email_address)]  # the one e-mail grammar


def _plain_url(url: HttpUrl) -> HttpUrl:
    if url.username or url.password:
        raise ValueError("must not carry a user name or password (the webhook signature authenticates)")
    return url


WebhookUrl = Annotated[HttpUrl, AfterValidator(_plain_url)]  # at most 2083 characters (HttpUrl)


class DeliveryUnitCreate(BaseModel):
    """A new delivery unit. Without `webhook_url` its people work in the partner portal."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently dropped

    unit_id: UnitId
    name: Name
    webhook_url: WebhookUrl | None = Field(default=None, description="http(s) URL of its backend; null: portal only")
    contact_email: Email | None = None
    kind: UnitKind = "partner"
    adapter: Adapter = "webhook"


class DeliveryUnitUpdate(BaseModel):
    """Only the fields sent change; `"webhook_url": null` makes it a portal-only unit."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    webhook_url: WebhookUrl | None = None
    contact_email: Email | None = None
    kind: UnitKind | None = None
    adapter: Adapter | None = None


class SecretRotation(BaseModel):
    revoke_previous: bool = Field(
        default=False,
        description="true: the previous secret stops verifying at once (it leaked); "
        "false: it keeps verifying inbound webhooks for WEBHOOK_SECRET_GRACE",
    )


class DeliveryUnitOut(BaseModel):
    """A delivery unit; never its secret."""

    unit_id: str
    name: str
    kind: str
    adapter: str
    webhook_url: str | None = None
    contact_email: str | None = None
    secret_rotated_at: datetime | None = Field(default=None, description="when the secret was last replaced")
    previous_secret_until: datetime | None = Field(
        default=None, description="the previous secret verifies inbound webhooks until then; null: it no longer does"
    )


class DeliveryUnitSecret(DeliveryUnitOut):
    """The unit with its new signing secret: shown this once, never again."""

    webhook_secret: str = Field(description="whsec_ + base64 (Standard Webhooks): configure it in the unit's backend")
