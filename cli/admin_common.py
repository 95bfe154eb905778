"""What the `order2cash admin` commands share: the command line as an administrator, running a
service function with a refusal as a message naming the option at fault, parsing a body, and the
address of the pages for one-time links."""

from typing import Any, NoReturn

from cli.common import ACTOR, engine, fail
from core.settings import get_settings

# body field -> the option that sets it, so that an error names what the user typed
CUSTOMER_OPTIONS = {
    "customer_id": "ID",
    "name": "--name",
    "parent_id": "--parent",
    "country": "--country",
    "vat_id": "--vat-id",
    "address.street": "--street",
    "address.postal_code": "--postal-code",
    "address.city": "--city",
    "address.country": "--address-country",
    "invoice_email": "--invoice-email",
    "buyer_reference": "--buyer-reference",
    "invoicing_policy": "--invoicing-policy",
    "dunning_schedule": "--dunning-schedule",
}
USER_OPTIONS = {
    "email": "EMAIL",
    "name": "--name",
    "customer_id": "--customer",
    "delivery_unit_id": "--unit",
    "roles": "--role",
    "order_limit": "--order-limit",
    "monthly_limit": "--monthly-limit",
    "password": "the password",
    "active": "--active/--inactive",
}


def fail_on(message: str, field: str | None = None, options: dict[str, str] | None = None) -> NoReturn:
    options = options or {}
    if field and field.startswith("roles["):
        field = "roles"
    # dunning_schedule.1.kind: a part of what one option holds
    option = options.get(field) or options.get(field.split(".")[0]) if field else None
    fail((f"{field} ({option}): " if option else f"{field}: " if field else "") + message)


def admin_actor():
    """The command line as the services see it: the seller's administrator ACTOR (no login)."""
    from models.actors import Actor

    return Actor(id=ACTOR, roles=["admin"])


def created_link(path: str) -> str:
    """Where the pages are reached: PUBLIC_URL, else the local API's address."""
    s = get_settings()
    return (s.public_url or f"http://{s.api_host}:{s.api_port}").rstrip("/") + path


def run_admin(fn, *args: Any, with_link: bool = False, options: dict[str, str] | None = None) -> Any:
    """`fn(engine, admin, *args)`, a service function, as the command line's administrator;
    `with_link`: it issues one-time links (their lifetime and the pages' address from the settings);
    `options`: which option sets which field, for the message."""
    from core.errors import DomainError

    links = {"invitation_ttl": get_settings().invitation_ttl, "link_base": created_link("")} if with_link else {}
    with engine() as db:
        try:
            return fn(db, admin_actor(), *args, **links)
        except DomainError as exc:
            fail_on(str(exc), exc.field, options)


def parse(model, data: dict, options: dict[str, str]):
    """The body from the options; a broken field ends the command naming the option."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        fail_on(error["msg"].removeprefix("Value error, "), field, options)
