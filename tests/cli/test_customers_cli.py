"""`order2cash customers ...`: catalog managers edit a customer's rules from the command line with
the same rules as the API (customers/rule_edits.py, customers/price_lists.py); fixtures
`run` and `cli_db` in tests/cli/conftest.py (a fresh demo database per test)."""

from datetime import date
from decimal import Decimal

from catalog.pricing import unit_price
from core.database import session_scope
from customers import rule_edits as rules
from customers.price_lists import price_lists
from tests.cli.tables import row

TODAY = date(2026, 11, 27)
D = Decimal


def quote(engine, customer_id: str, sku: str, quantity: int = 1):
    with session_scope(engine) as session:
        q = unit_price(session, customer_id, sku, quantity, TODAY)
    return None if q is None else (q.unit_price, q.source)


def read(engine, fn, customer_id: str):
    with session_scope(engine) as session:
        return fn(session, customer_id)


def test_list_and_show_the_tree_the_contract_and_the_rules(run):
    result = run("customers", "list")
    assert result.exit_code == 0, result.output
    assert row(result.output, "acme-at") == ["acme-at", "ACME Austria GmbH", "acme", "AT"]
    assert row(result.output, "globex") == ["globex", "Globex AG", "–", "DE"]

    result = run("customers", "show", "acme-at")
    assert result.exit_code == 0, result.output
    assert "acme ACME GmbH" in result.output and "└── acme-at ACME Austria GmbH" in result.output
    assert "contract in force: ACME-FC-2026" in result.output
    assert "role rules: none own, uses acme's" in result.output
    assert row(result.output, "PWR-UPS-AT")[1:] in (["AT-USV-1500"], ["UPS 1500 VA (AT plug)", "589.00"])

    result = run("customers", "show", "acme")
    assert "acme-at ACME Austria GmbH" in result.output and "price list ACME-PL-2026" in result.output
    assert row(result.output, "technician")[:5] == ["technician", "category", "services", "yes", "no"]

    result = run("customers", "show", "no-such-customer")
    assert result.exit_code == 1 and "customer no-such-customer not found" in result.output


def test_a_price_list_from_a_csv_file_and_entries(run, cli_db, tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text("sku;min_quantity;price\nCBL-CAT6-5M;100;3.70\nSVC-INSTALL-ONSITE;1;\n", encoding="utf-8")
    assert quote(cli_db, "acme-at", "CBL-CAT6-5M", 100) == (D("3.90"), "price_list")  # ACME's list, inherited

    result = run(
        "customers",
        "price-list",
        "acme-at",
        "AT-PL-2027",
        "--name",
        "Austrian prices",
        "--valid-from",
        "2025-01-01",
        "--csv",
        prices,
        "--entry",
        "SW-24-PRO:10:1400.00",
    )
    assert result.exit_code == 0, result.output
    assert "price list AT-PL-2027 of acme-at saved with 3 entries" in result.output
    assert row(result.output, "SVC-INSTALL-ONSITE") == ["SVC-INSTALL-ONSITE", "1", "list price"]
    [saved] = read(cli_db, price_lists, "acme-at")
    assert (saved.name, saved.currency, saved.valid_to) == ("Austrian prices", "EUR", None)
    # its own list now, not ACME's: the cable's volume price is 3.70; the switch is cheaper from 10
    assert quote(cli_db, "acme-at", "CBL-CAT6-5M", 100) == (D("3.70"), "price_list")
    assert quote(cli_db, "acme-at", "SW-24-PRO", 10) == (D("1400.00"), "price_list")

    result = run("customers", "remove-price-list", "acme-at", "AT-PL-2027")
    assert result.exit_code == 0 and read(cli_db, price_lists, "acme-at") == []
    assert quote(cli_db, "acme-at", "CBL-CAT6-5M", 100) == (D("3.90"), "price_list")
    result = run("customers", "remove-price-list", "acme-at", "AT-PL-2027")
    assert result.exit_code == 1 and "acme-at has no price list AT-PL-2027" in result.output


def test_bad_price_lists_are_refused_naming_what_was_typed(run, cli_db, tmp_path):
    def price_list(*args):
        return run("customers", "price-list", "acme-at", "AT-PL", "--name", "x", "--valid-from", "2025-01-01", *args)

    bad = tmp_path / "bad.csv"
    bad.write_text("sku;price\nCBL-CAT6-5M;3.70\n", encoding="utf-8")
    result = price_list("--csv", bad)
    assert result.exit_code == 1 and "the header row needs the columns sku;min_quantity;price" in result.output
    bad.write_text("sku;min_quantity;price\nCBL-CAT6-5M;100;3.70\nCBL-CAT6-5M;0;3.90\n", encoding="utf-8")
    result = price_list("--csv", bad)
    assert result.exit_code == 1 and "entries[1].min_quantity (bad.csv line 3)" in result.output
    result = price_list("--entry", "SW-24-PRO:1:1.234")
    assert result.exit_code == 1 and "entries[0].price (--entry SW-24-PRO:1:1.234)" in result.output
    result = price_list("--entry", "NO-SUCH-SKU:1:1.00")
    assert result.exit_code == 1 and "NO-SUCH-SKU is not in the seller's catalog" in result.output
    result = price_list("--entry", "SW-24-PRO=1")
    assert result.exit_code == 1 and "expected SKU:MINQTY:PRICE" in result.output
    result = price_list("--valid-to", "2024-12-31")
    assert result.exit_code == 1 and "valid_to (--valid-to): valid_from must not be after valid_to" in result.output
    result = price_list("--currency", "euro")
    assert result.exit_code == 1 and "currency (--currency)" in result.output
    assert read(cli_db, price_lists, "acme-at") == []  # nothing of it was saved


def test_role_rules_limits_part_numbers_and_special_items(run, cli_db):
    result = run("customers", "role-rule", "acme-at", "intern", "--scope", "sku", "--target", "SW-24-PRO", "--no-see")
    assert result.exit_code == 0, result.output
    assert "acme-at had no role rules of its own" in result.output  # it no longer uses ACME's
    assert row(result.output, "intern") == ["intern", "sku", "SW-24-PRO", "no", "no"]
    result = run("customers", "role-rule", "acme-at", "intern", "--scope", "sku", "--target", "SW-24-PRO")
    assert "had no role rules" not in result.output and row(result.output, "intern")[3:] == ["yes", "yes"]
    result = run("customers", "remove-role-rule", "acme-at", "intern", "--scope", "sku", "--target", "SW-24-PRO")
    assert result.exit_code == 0 and "acme-at has no role rules of its own now" in result.output
    result = run("customers", "role-rule", "acme-at", "intern", "--scope", "brand")
    assert result.exit_code == 1 and "scope (--scope)" in result.output
    result = run("customers", "role-rule", "acme-at", "intern", "--scope", "category", "--target", "toys")
    assert result.exit_code == 1 and "target (--target): there is no category 'toys'" in result.output

    result = run("customers", "role-limit", "acme-at", "technician", "--per-order", "1000", "--per-month", "3000")
    assert result.exit_code == 0 and row(result.output, "technician") == ["technician", "1,000.00", "3,000.00"]
    result = run("customers", "role-limit", "acme-at", "technician", "--per-month", "1.005")
    assert result.exit_code == 1 and "monthly_limit (--per-month)" in result.output
    assert [(r.order_limit, r.monthly_limit) for r in read(cli_db, rules.role_limits, "acme-at")] == [
        (D("1000.00"), D("3000.00"))
    ]
    assert run("customers", "remove-role-limit", "acme-at", "technician").exit_code == 0
    assert read(cli_db, rules.role_limits, "acme-at") == []

    result = run("customers", "part-number", "acme-at", "SW-24-PRO", "AT-NET-24")
    assert result.exit_code == 0 and "acme-at's part number for SW-24-PRO is AT-NET-24" in result.output
    assert ("SW-24-PRO", "AT-NET-24") in [(p.sku, p.part_number) for p in read(cli_db, rules.part_numbers, "acme-at")]
    result = run("customers", "part-number", "acme-at", "NO-SUCH-SKU", "X")
    assert result.exit_code == 1 and "sku (SKU): NO-SUCH-SKU is not in the seller's catalog" in result.output
    result = run("customers", "part-number", "acme-at", "SW-24-PRO", "AT-NET\t24")  # a pasted tab
    assert result.exit_code == 1 and "part_number (NUMBER): part_number must not contain control" in result.output
    result = run("customers", "price-list", "acme-at", "AT-PL", "--name", "x\ny", "--valid-from", "2025-01-01")
    assert result.exit_code == 1 and "name (--name): name must not contain control characters" in result.output

    result = run("customers", "special-item", "acme-at", "CBL-CAT6-5M", "--price", "3.99")
    assert result.exit_code == 0 and quote(cli_db, "acme-at", "CBL-CAT6-5M") == (D("3.99"), "special")
    result = run("customers", "special-item", "acme-at", "CBL-CAT6-5M", "--price", "-1")
    assert result.exit_code == 1 and "price (--price)" in result.output
    assert run("customers", "remove-special-item", "acme-at", "CBL-CAT6-5M").exit_code == 0
    assert quote(cli_db, "acme-at", "CBL-CAT6-5M") == (D("4.20"), "contract")
    result = run("customers", "remove-special-item", "acme-at", "CBL-CAT6-5M")
    assert result.exit_code == 1 and "acme-at has no special price for CBL-CAT6-5M" in result.output
