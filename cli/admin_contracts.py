"""`order2cash admin contracts create`: a new framework contract with its items (contracts.service,
as `POST /api/v1/contracts`), from a JSON file with the API's body, from options, or both (the
options win over the file's fields).

    order2cash admin contracts create --file initech-2027.json
    order2cash admin contracts create --id INITECH-FC-2027 --customer initech --name "Initech 2027" \\
        --currency EUR --valid-from 2027-01-01 --valid-to 2027-12-31 --payment-days 30 \\
        --discount-days 10 --discount-percent 2 --item CBL-CAT6-5M:4.10:5000 --item SW-24-PRO:1399.00
"""

import json
from pathlib import Path
from typing import Any, NoReturn

import typer

from cli.admin_common import admin_actor
from cli.common import engine, fail

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

# body field -> the option that sets it, so that an error names what the user typed
OPTIONS = {
    "contract_id": "--id",
    "customer_id": "--customer",
    "name": "--name",
    "currency": "--currency",
    "valid_from": "--valid-from",
    "valid_to": "--valid-to",
    "payment_terms_days": "--payment-days",
    "discount_days": "--discount-days",
    "discount_percent": "--discount-percent",
    "tolerance_percent": "--tolerance",
    "on_exceed": "--on-exceed",
    "value_cap": "--value-cap",
    "items": "--item",
}
ITEM_FIELDS = ("sku", "price", "agreed_quantity", "value_cap")


def _fail(message: str, field: str | None) -> NoReturn:
    option = OPTIONS.get(field.split("[")[0]) if field else None
    fail((f"{field} ({option}): " if option else f"{field}: " if field else "") + message.removeprefix("Value error, "))


def _item(text: str, index: int) -> dict[str, str]:
    """SKU:PRICE[:AGREED_QUANTITY[:VALUE_CAP]]; an empty part is left out."""
    parts = text.split(":")
    if len(parts) < 2 or len(parts) > len(ITEM_FIELDS):
        _fail(f"{text!r}: give SKU:PRICE[:AGREED_QUANTITY[:VALUE_CAP]]", f"items[{index}]")
    return {name: value for name, value in zip(ITEM_FIELDS, parts, strict=False) if value}


def _from_file(path: str) -> dict[str, Any]:
    try:
        text = typer.get_text_stream("stdin").read() if path == "-" else Path(path).read_text()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        fail(f"--file: {exc}")
    if not isinstance(data, dict):
        fail("--file: the file holds a JSON object: the body of POST /api/v1/contracts")
    return data


@app.command("create")
def create(
    file: str = typer.Option(None, "--file", "-f", help="JSON with the API's body ('-': standard input)"),
    contract_id: str = typer.Option(None, "--id", help="the contract's id"),
    customer: str = typer.Option(None, help="the customer's id"),
    name: str = typer.Option(None),
    currency: str = typer.Option(None, help="ISO 4217, e.g. EUR"),
    valid_from: str = typer.Option(None, help="YYYY-MM-DD"),
    valid_to: str = typer.Option(None, help="YYYY-MM-DD"),
    payment_days: str = typer.Option(None, help="payment terms in days (0-365; default 30)"),
    discount_days: str = typer.Option(None, help="cash discount: paid within so many days (below --payment-days)"),
    discount_percent: str = typer.Option(None, help="cash discount: that many percent less (with --discount-days)"),
    tolerance: str = typer.Option(None, help="percent allowed beyond agreed quantities and caps (default 0)"),
    on_exceed: str = typer.Option(None, help="reject | expert (default reject)"),
    value_cap: str = typer.Option(None, help="net value of all call-offs together"),
    item: list[str] = typer.Option(
        [], "--item", help="SKU:PRICE[:AGREED_QUANTITY[:VALUE_CAP]] (repeatable; replaces the file's items)"
    ),
) -> None:
    """Create a framework contract with its items; prints it as `order2cash contracts show` does."""
    from pydantic import ValidationError

    from cli import contracts as contracts_cli
    from contracts import service as contracts
    from core.errors import DomainError
    from models.contracts import ContractCreate

    body: dict[str, Any] = _from_file(file) if file is not None else {}
    given = {
        "contract_id": contract_id,
        "customer_id": customer,
        "name": name,
        "currency": currency,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "payment_terms_days": payment_days,
        "discount_days": discount_days,
        "discount_percent": discount_percent,
        "tolerance_percent": tolerance,
        "on_exceed": on_exceed,
        "value_cap": value_cap,
    }
    body.update({k: v for k, v in given.items() if v is not None})
    if item:
        body["items"] = [_item(text, index) for index, text in enumerate(item)]
    try:
        contract = ContractCreate.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        _fail(error["msg"], path)
    with engine() as db:
        try:
            contracts.create_contract(db, admin_actor(), contract)
        except DomainError as exc:
            _fail(str(exc), exc.field)
    contracts_cli.show(contract.contract_id)
