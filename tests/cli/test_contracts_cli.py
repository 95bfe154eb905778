"""`order2cash contracts ...`: what a catalog manager does to contracts through the API works
through the CLI, with the same rules (contracts/terms.py) and the same consumption figures
(catalog.contracts.usage)."""

from datetime import date
from decimal import Decimal

from contracts import consumption as contracts
from core.database import session_scope
from models.contracts import ConsumptionLine
from tests.cli.tables import row

ACME, GLOBEX = "ACME-FC-2026", "GLOBEX-FC-2026"


def usage(engine, contract_id: str):
    with session_scope(engine) as session:
        return contracts.usage(session, contract_id)


def test_list_shows_validity_currency_and_consumption(run, cli_db):
    contracts.consume(
        cli_db, ACME, "O-CLI-1", [ConsumptionLine(sku="SW-24-PRO", quantity=30, value=Decimal("43500.00"))]
    )
    result = run("contracts", "list")
    assert result.exit_code == 0, result.output
    acme = row(result.output, ACME)
    assert acme[1:] == [
        "acme",
        "ACME framework contract IT equipment",
        "2025-01-01 – 2030-12-31",
        "EUR",
        "–",
        "43,500.00",
        "unlimited",
        "1",
    ]
    assert row(result.output, GLOBEX)[1] == "globex"

    result = run("contracts", "list", "--customer", "globex")
    assert result.exit_code == 0 and GLOBEX in result.output and ACME not in result.output


def test_show_lists_terms_and_items_with_consumed_and_remaining(run, cli_db):
    contracts.consume(
        cli_db, ACME, "O-CLI-2", [ConsumptionLine(sku="SW-24-PRO", quantity=30, value=Decimal("43500.00"))]
    )
    result = run("contracts", "show", ACME)
    assert result.exit_code == 0, result.output
    assert "payment 30 days, tolerance 5 %, on exceed: expert" in result.output
    # price, agreed qty, consumed qty, remaining qty (100 + 5 % - 30), value cap, consumed and remaining value
    assert row(result.output, "SW-24-PRO")[2:] == ["1,450.00", "100", "30", "75", "–", "43,500.00", "unlimited"]
    assert row(result.output, "CBL-CAT6-5M")[2:5] == ["4.20", "–", "0"]


def test_set_changes_only_the_options_given(run, cli_db):
    before = usage(cli_db, GLOBEX)
    result = run(
        "contracts",
        "set",
        GLOBEX,
        "--tolerance",
        "10",
        "--on-exceed",
        "expert",
        "--value-cap",
        "50000",
        "--payment-days",
        "45",
    )
    assert result.exit_code == 0, result.output
    assert "value cap 50,000.00" in result.output  # it shows the contract as changed
    after = usage(cli_db, GLOBEX)
    assert (after.tolerance_percent, after.on_exceed, after.value_cap, after.payment_terms_days) == (
        Decimal("10"),
        "expert",
        Decimal("50000"),
        45,
    )
    assert after.remaining_value == Decimal("55000.00")  # the cap plus the tolerance
    assert (after.valid_from, after.valid_to, after.items) == (before.valid_from, before.valid_to, before.items)

    result = run("contracts", "set", GLOBEX, "--no-value-cap", "--valid-to", "2031-06-30")
    assert result.exit_code == 0, result.output
    after = usage(cli_db, GLOBEX)
    assert (after.value_cap, after.valid_to, after.tolerance_percent) == (None, date(2031, 6, 30), Decimal("10"))


def test_set_item_adds_and_changes_contract_items(run, cli_db):
    result = run("contracts", "set-item", GLOBEX, "CBL-CAT6-5M", "--price", "4.55", "--agreed-quantity", "5000")
    assert result.exit_code == 0, result.output
    result = run(
        "contracts",
        "set-item",
        GLOBEX,
        "PWR-UPS-AT",
        "--price",
        "600",
        "--agreed-quantity",
        "10",
        "--value-cap",
        "5000",
    )
    assert result.exit_code == 0, result.output
    assert row(result.output, "PWR-UPS-AT")[2:] == ["600.00", "10", "0", "10", "5,000.00", "0.00", "5,000.00"]
    items = {i.sku: i for i in usage(cli_db, GLOBEX).items}
    assert (items["CBL-CAT6-5M"].price, items["CBL-CAT6-5M"].agreed_quantity) == (Decimal("4.55"), 5000)
    assert (items["PWR-UPS-AT"].price, items["PWR-UPS-AT"].value_cap) == (Decimal("600"), Decimal("5000"))

    # like the API's PUT: what is not given is not agreed any more
    assert run("contracts", "set-item", GLOBEX, "CBL-CAT6-5M", "--price", "4.50").exit_code == 0
    cable = next(i for i in usage(cli_db, GLOBEX).items if i.sku == "CBL-CAT6-5M")
    assert (cable.price, cable.agreed_quantity) == (Decimal("4.50"), None)


BAD_INPUT = [
    (["show", "NO-SUCH-CONTRACT"], "contract NO-SUCH-CONTRACT not found"),
    (["set", "NO-SUCH-CONTRACT", "--on-exceed", "reject"], "contract NO-SUCH-CONTRACT not found"),
    (["set-item", "NO-SUCH-CONTRACT", "CBL-CAT6-5M", "--price", "1"], "contract NO-SUCH-CONTRACT not found"),
    (["set", GLOBEX, "--valid-from", "2031-01-01"], "valid_to (--valid-to): valid_from must not be after valid_to"),
    (["set", GLOBEX, "--on-exceed", "maybe"], "on_exceed (--on-exceed): Input should be 'reject' or 'expert'"),
    (["set", GLOBEX, "--tolerance", "-1"], "tolerance_percent (--tolerance)"),
    (["set", GLOBEX, "--valid-from", "first of May"], "valid_from (--valid-from)"),
    (["set", GLOBEX, "--payment-days", "400"], "payment_terms_days (--payment-days)"),
    (["set", GLOBEX, "--value-cap", "0"], "value_cap (--value-cap)"),
    (["set", GLOBEX, "--value-cap", "100", "--no-value-cap"], "value_cap (--value-cap): give --value-cap or"),
    (["set", GLOBEX], "nothing to change"),
    (["set-item", GLOBEX, "NO-SUCH-SKU", "--price", "1.00"], "sku (SKU): NO-SUCH-SKU is not in the seller's catalog"),
    (["set-item", GLOBEX, "CBL-CAT6-5M", "--price", "free"], "price (--price)"),
    (["set-item", GLOBEX, "CBL-CAT6-5M", "--price", "1", "--agreed-quantity", "0"], "agreed_quantity"),
    (["list", "--customer", "nobody"], "customer: unknown customer nobody"),
    # beyond the NUMERIC(14, 2) and INTEGER columns: PostgreSQL overflowed (a crash), cents beyond the
    # second place were rounded away (0.001 stored as a price of 0.00)
    (["set-item", GLOBEX, "CBL-CAT6-5M", "--price", "0.001"], "price (--price)"),
    (["set-item", GLOBEX, "CBL-CAT6-5M", "--price", "1000000000000"], "price (--price)"),
    (["set-item", GLOBEX, "CBL-CAT6-5M", "--price", "1", "--agreed-quantity", "3000000000"], "agreed_quantity"),
    (["set-item", GLOBEX, "CBL-CAT6-5M", "--price", "1", "--value-cap", "1e12"], "value_cap (--value-cap)"),
    (["set", GLOBEX, "--value-cap", "1000000000000"], "value_cap (--value-cap)"),
    (["set", GLOBEX, "--tolerance", "2.555"], "tolerance_percent (--tolerance)"),
    # GLOBEX: 7 days 2 % discount, 14 days net
    (["set", GLOBEX, "--discount-percent", "100"], "discount_percent (--discount-percent)"),
    (["set", GLOBEX, "--discount-days", "14"], "discount_days (--discount-days): the cash discount's 14 days"),
    (["set", GLOBEX, "--payment-days", "5"], "payment_terms_days (--payment-days): the cash discount's 7 days"),
    (["set", GLOBEX, "--no-discount", "--discount-days", "3"], "discount_days (--discount-days): give"),
]


def test_set_changes_and_removes_the_cash_discount(run, cli_db):
    result = run("contracts", "show", GLOBEX)
    assert "cash discount 2 % within 7 days" in result.output, result.output
    result = run("contracts", "set", GLOBEX, "--discount-days", "10", "--discount-percent", "3")
    assert result.exit_code == 0 and "cash discount 3 % within 10 days" in result.output, result.output
    after = usage(cli_db, GLOBEX)
    assert (after.payment_terms_days, after.discount_days, after.discount_percent) == (14, 10, Decimal("3"))
    result = run("contracts", "set", GLOBEX, "--no-discount")
    assert result.exit_code == 0 and "no cash discount" in result.output, result.output
    after = usage(cli_db, GLOBEX)
    assert (after.discount_days, after.discount_percent) == (None, None)


def test_bad_input_exits_1_naming_the_field_and_changes_nothing(run, cli_db):
    before = usage(cli_db, GLOBEX)
    for args, message in BAD_INPUT:  # one database for all: none of them may change it
        result = run("contracts", *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in " ".join(result.output.split()), (args, result.output)  # rich may wrap long lines
        assert usage(cli_db, GLOBEX) == before, args


def test_call_offs_lists_the_orders_newest_first_and_filters_by_status(run, cli_db):
    for order_id, quantity in (("O-CLI-OLD", 2), ("O-CLI-NEW", 3)):
        contracts.consume(
            cli_db,
            ACME,
            order_id,
            [ConsumptionLine(sku="SW-24-PRO", quantity=quantity, value=Decimal("1450.00") * quantity)],
        )
    contracts.release(cli_db, "O-CLI-OLD")
    result = run("contracts", "call-offs", ACME)
    assert result.exit_code == 0, result.output
    assert result.output.index("O-CLI-NEW") < result.output.index("O-CLI-OLD")
    assert row(result.output, "O-CLI-NEW")[3:] == ["3 x SW-24-PRO", "4,350.00"]
    assert row(result.output, "O-CLI-OLD")[2].startswith("released")
    result = run("contracts", "call-offs", ACME, "--status", "active")
    assert "O-CLI-NEW" in result.output and "O-CLI-OLD" not in result.output
    assert run("contracts", "call-offs", GLOBEX).output.strip() == f"no call-offs of {GLOBEX}"
    result = run("contracts", "call-offs", "NO-SUCH")
    assert result.exit_code == 1 and "contract NO-SUCH not found" in result.output
    result = run("contracts", "call-offs", ACME, "--status", "open")
    assert result.exit_code == 1 and "status: give active or released" in result.output
