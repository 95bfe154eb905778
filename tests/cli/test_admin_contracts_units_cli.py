"""`order2cash admin contracts create` and `order2cash admin units ...`: the same services and rules as
the API (contracts.service, partners.service), on SQLite and PostgreSQL; a refusal names the
option at fault and exits with 1; a secret is printed once, on a line of its own."""

import json
from datetime import UTC, datetime

from sqlmodel import col, select
from standardwebhooks.webhooks import Webhook

from contracts.tables import Contract, ContractItem
from core.database import session_scope
from customers.audit_tables import CatalogChange
from partners import webhooks
from partners.tables import DeliveryUnit
from tests.cli.tables import row


def secret_in(output: str) -> str:
    [secret] = [line for line in output.splitlines() if line.startswith("whsec_")]
    Webhook(secret)  # the Standard Webhooks format
    return secret


def test_contract_from_options(run, cli_db):
    result = run(
        "admin", "contracts", "create",
        "--id", "GLOBEX-FC-2031", "--customer", "globex", "--name", "Globex 2031", "--currency", "CHF",
        "--valid-from", "2031-01-01", "--valid-to", "2031-12-31", "--payment-days", "45",
        "--discount-days", "10", "--discount-percent", "2.5",
        "--item", "CBL-CAT6-5M:4.10:5000", "--item", "SW-24-PRO:1399.00::20000",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "cash discount 2.5 % within 10 days" in result.output
    assert row(result.output, "CBL-CAT6-5M")[2:4] == ["4.10", "5,000"]
    assert row(result.output, "SW-24-PRO")[2] == "1,399.00" and row(result.output, "SW-24-PRO")[6] == "20,000.00"
    with session_scope(cli_db) as session:
        contract = session.get(Contract, "GLOBEX-FC-2031")
        assert contract is not None
        assert (contract.customer_id, contract.currency, contract.payment_terms_days) == ("globex", "CHF", 45)
        assert (contract.discount_days, str(contract.discount_percent)) == (10, "2.50")
        item = session.get(ContractItem, ("GLOBEX-FC-2031", "SW-24-PRO"))
        assert item is not None and item.agreed_quantity is None and str(item.value_cap) == "20000.00"
        kinds = [
            (c.kind, c.subject, c.actor.startswith("cli:"))
            for c in session.exec(select(CatalogChange).where(col(CatalogChange.contract_id) == "GLOBEX-FC-2031"))
        ]
    assert sorted(kinds, key=str) == sorted(
        [("contract.terms", None, True), ("contract.item", "CBL-CAT6-5M", True), ("contract.item", "SW-24-PRO", True)],
        key=str,
    )


def test_contract_from_a_file_with_options_winning(run, cli_db, tmp_path):
    body = {
        "contract_id": "ACME-AT-FC-2031",
        "customer_id": "acme-at",
        "name": "ACME Austria",
        "currency": "EUR",
        "valid_from": "2031-01-01",
        "valid_to": "2031-12-31",
        "on_exceed": "expert",
        "items": [{"sku": "PWR-UPS-AT", "price": "579.00", "agreed_quantity": 10}],
    }
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(body))
    result = run("admin", "contracts", "create", "--file", path, "--name", "ACME Austria 2031")
    assert result.exit_code == 0, result.output
    assert "ACME Austria 2031" in result.output and "on exceed: expert" in result.output
    assert row(result.output, "PWR-UPS-AT")[2:4] == ["579.00", "10"]


def test_contract_refusals_name_the_option(run, cli_db, tmp_path):
    base = ["admin", "contracts", "create", "--name", "X", "--currency", "EUR",
            "--valid-from", "2031-01-01", "--valid-to", "2031-12-31"]  # fmt: skip
    for extra, expected in (
        (["--id", "N1", "--customer", "nobody"], "customer_id (--customer): unknown customer nobody"),
        (["--id", "N2", "--customer", "acme", "--item", "NOPE:1.00"], "items[0].sku (--item): NOPE is not in"),
        (["--id", "N3", "--customer", "acme", "--item", "CBL-CAT6-5M:1.001"], "items[0].price (--item)"),
        (["--id", "N4", "--customer", "acme", "--item", "CBL-CAT6-5M"], "items[0] (--item)"),
        (["--id", "N5", "--customer", "acme", "--currency", "XYZ"], "currency (--currency)"),
        (["--id", "N6", "--customer", "acme", "--valid-to", "2030-01-01"], "valid_to (--valid-to)"),
        (["--id", "ACME-FC-2026", "--customer", "acme"], "contract_id (--id): a contract ACME-FC-2026 exists"),
        (["--customer", "acme"], "contract_id (--id): Field required"),
        (["--id", "N7", "--customer", "acme", "--discount-percent", "2"], "discount_days (--discount-days): a cash"),
        (["--id", "N8", "--customer", "acme", "--discount-days", "5", "--discount-percent", "100"], "discount_percent"),
        (["--id", "N9", "--customer", "acme", "--discount-days", "30", "--discount-percent", "2"], "discount_days"),
    ):
        result = run(*base, *extra)
        assert result.exit_code == 1 and expected in result.output, (extra, result.output)
    (tmp_path / "bad.json").write_text("[1, 2]")
    result = run("admin", "contracts", "create", "--file", tmp_path / "bad.json")
    assert result.exit_code == 1 and "--file" in result.output
    with session_scope(cli_db) as session:
        assert session.get(Contract, "N1") is None and session.get(Contract, "N2") is None


def test_units_create_list_update_and_rotate(run, cli_db):
    result = run(
        "admin", "units", "create", "fastfix", "--name", "FastFix GmbH",
        "--webhook-url", "https://fastfix.example/o2c", "--contact-email", "ops@fastfix.example",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = secret_in(result.output)
    assert webhooks.unit_secrets(cli_db, "fastfix") == [first]

    result = run("admin", "units", "list")
    assert result.exit_code == 0 and first not in result.output
    assert row(result.output, "fastfix")[1:5] == ["FastFix GmbH", "partner", "https://fastfix.example/o2c",
                                                  "ops@fastfix.example"]  # fmt: skip
    assert row(result.output, "netpartner")[3] == "– (portal)"

    result = run("admin", "units", "update", "fastfix", "--no-webhook-url", "--kind", "own")
    assert result.exit_code == 0 and "portal only" in result.output, result.output
    with session_scope(cli_db) as session:
        unit = session.get(DeliveryUnit, "fastfix")
        assert unit is not None and (unit.webhook_url, unit.kind, unit.name) == (None, "own", "FastFix GmbH")

    result = run("admin", "units", "rotate-secret", "fastfix")
    assert result.exit_code == 0, result.output
    second = secret_in(result.output)
    assert second != first and "the previous secret verifies until" in result.output
    assert webhooks.unit_secrets(cli_db, "fastfix") == [second, first]  # the old one during the grace period

    result = run("admin", "units", "rotate-secret", "fastfix", "--revoke-previous")
    assert result.exit_code == 0, result.output
    third = secret_in(result.output)
    assert webhooks.unit_secrets(cli_db, "fastfix") == [third]
    with session_scope(cli_db) as session:
        unit = session.get(DeliveryUnit, "fastfix")
        assert unit is not None and unit.secret_rotated_at is not None
        rotated = unit.secret_rotated_at.replace(tzinfo=unit.secret_rotated_at.tzinfo or UTC)
        assert rotated <= datetime.now(UTC)


def test_unit_refusals_name_the_option(run, cli_db):
    for args, expected in (
        (["create", "Bad_Id", "--name", "x"], "unit_id (UNIT_ID)"),
        (["create", "newunit", "--name", "x", "--webhook-url", "ftp://x.example"], "webhook_url (--webhook-url)"),
        (["create", "newunit", "--name", "x", "--contact-email", "nobody"], "contact_email (--contact-email)"),
        (["create", "netpartner", "--name", "x"], "unit_id (UNIT_ID): a delivery unit netpartner exists"),
        (["update", "nosuchunit", "--name", "x"], "delivery unit nosuchunit not found"),
        (["update", "netpartner"], "nothing to change"),
        (["update", "netpartner", "--kind", "supplier"], "kind (--kind)"),
        (["rotate-secret", "nosuchunit"], "delivery unit nosuchunit not found"),
    ):
        result = run("admin", "units", *args)
        assert result.exit_code == 1 and expected in result.output, (args, result.output)
    with session_scope(cli_db) as session:
        assert session.get(DeliveryUnit, "newunit") is None
