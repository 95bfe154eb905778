"""Per-customer quality rules, sub-assortments and the customer export (BMEcat 2005, valid
against the official XSD when ../shared is there, and CSV). On SQLite and PostgreSQL."""

import csv
import io
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from catalog import quality, subassortments, view_edits
from catalog.exchange import export, file_import
from catalog.versions import publishing, store
from catalog.versions.tables import CatalogVersion, CatalogVersionItem
from catalog.view_tables import CustomerCatalog
from core.calendar import utc_today
from core.database import session_scope
from demo.catalog_versions import NEW_ITEM
from models.catalog_versions import FilterRule, QualityRuleIn, SubAssortmentIn
from tests.catalog.data import add_customer
from tests.dbs import database_fixture

db = database_fixture(scope="module")  # this module publishes: its own databases
IN_FORCE = (date(2025, 1, 1), date(2030, 12, 31))  # a customer without a contract in force has no catalog

VALIDATOR = Path(__file__).parents[2].parent / "shared" / "validators" / "validate.py"
NS = {"b": "http://www.bmecat.org/bmecat/2005"}


def demo_draft(engine) -> int:
    with session_scope(engine) as session:
        return (
            session.execute(
                select(CatalogVersion.id).where(CatalogVersion.status == "draft").order_by(CatalogVersion.id)
            )
            .scalars()
            .first()
        )


def bmecat_of(engine, customer_id: str) -> bytes:
    out = io.BytesIO()
    with session_scope(engine) as session:
        export.export_bmecat(session, customer_id, out, supplier_name="Seller GmbH")
    return out.getvalue()


def csv_of(engine, customer_id: str) -> list[dict]:
    out = io.StringIO()
    with session_scope(engine) as session:
        export.export_csv(session, customer_id, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def prices(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    return {
        p.findtext("b:SUPPLIER_PID", namespaces=NS): p.findtext(
            "b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE/b:PRICE_AMOUNT", namespaces=NS
        )
        for p in root.iterfind(".//b:PRODUCT", NS)
    }


def test_the_quality_report_says_which_item_fails_which_rule_before_publishing(db):
    version = demo_draft(db)
    with session_scope(db) as session:
        report = quality.report(session, version)
    (globex,) = report.customers
    assert globex.customer_id == "globex" and globex.rules == ["classification", "min_description_length"]
    assert globex.checked_items == 3  # its sub-assortment: network and cables
    assert [(i.sku, [f.rule for f in i.failures]) for i in globex.failing] == [(NEW_ITEM["sku"], ["classification"])]


def test_publishing_withholds_failing_items_from_that_customer_only(db):
    version = demo_draft(db)
    with session_scope(db, write_lock=True) as session:
        result = publishing.publish(session, version, "test")
        assert [(c.customer_id, c.hidden_count) for c in result.customers] == [("globex", 1)]
        assert quality.hidden_skus(session, "globex") == {NEW_ITEM["sku"]}
        status = session.get(CustomerCatalog, "globex")
        assert (status.version_id, status.hidden_count) == (version, 1)
    assert NEW_ITEM["sku"] not in prices(bmecat_of(db, "globex"))

    customer, _ = add_customer(db, contract=IN_FORCE)  # another customer seeing the same items has no rules
    with session_scope(db, write_lock=True) as session:
        subassortments.set_definition(session, customer, SubAssortmentIn(categories=["cables"]))
    assert NEW_ITEM["sku"] in prices(bmecat_of(db, customer))


def test_changing_rules_rechecks_the_customers_view(db):
    with session_scope(db, write_lock=True) as session:
        publication = view_edits.set_quality_rules(session, "acme", [QualityRuleIn(rule="image")], actor="test")
        assert publication.hidden_count == 1
        assert quality.hidden_skus(session, "acme") == {"SVC-INSTALL-ONSITE"}
        report = quality.report(session, store.live_version(session), "acme")
    (acme,) = report.customers
    assert acme.failing[0].failures[0].message == "no image"
    assert "SVC-INSTALL-ONSITE" not in prices(bmecat_of(db, "acme"))
    with session_scope(db, write_lock=True) as session:
        assert view_edits.set_quality_rules(session, "acme", [], actor="test") is None
        assert quality.hidden_skus(session, "acme") == set()
    assert "SVC-INSTALL-ONSITE" in prices(bmecat_of(db, "acme"))


def test_each_rule_and_bad_rules():
    row = CatalogVersionItem(
        version_id=1,
        sku="X",
        name="X",
        description="short",
        category="c",
        list_price=Decimal("1"),
        delivery_unit_id="u",
        content_hash="-",
        attributes={"unspsc": "43222609"},
    )
    rules = [
        quality.QualityRule(customer_id="c", rule=r, params=quality.check_params(r, p))
        for r, p in [
            ("classification", {"systems": ["eclass"]}),
            ("image", {}),
            ("min_description_length", {"length": 10}),
            ("delivery_time", {}),
            ("manufacturer_part_number", {}),
        ]
    ]
    found = {f.rule: f.message for f in quality.failures(row, rules)}
    assert found == {
        "classification": "no ECLASS classification",
        "image": "no image",
        "min_description_length": "description has 5 characters, at least 10 required",
        "delivery_time": "no delivery time",
        "manufacturer_part_number": "no manufacturer part number",
    }
    row.attributes = {"eclass": "19170401", "image_url": "x.jpg", "delivery_days": 0, "manufacturer_part_number": "M"}
    row.description = "long enough text"
    assert quality.failures(row, rules) == []
    for rule, params in [
        ("classification", {"systems": ["GS1"]}),
        ("min_description_length", {"length": "ten"}),
        ("colour", {}),
    ]:
        with pytest.raises(quality.InvalidRule):
            quality.check_params(rule, params)


def test_sub_assortments_by_category_item_list_and_rules(db):
    parent, _ = add_customer(db, contract=IN_FORCE)  # a contract without items
    child, _ = add_customer(db, parent_id=parent)

    def view(customer: str) -> dict[str, tuple]:
        with session_scope(db) as session:
            return {e.item.sku: (e.price, e.price_source) for e in subassortments.view(session, customer, utc_today())}

    with session_scope(db, write_lock=True) as session:
        subassortments.set_definition(session, parent, SubAssortmentIn(categories=["network"], skus=["CBL-CAT6-5M"]))
    assert set(view(parent)) == {"SW-24-PRO", "CBL-CAT6-5M"}
    assert set(view(child)) == {"SW-24-PRO", "CBL-CAT6-5M"}  # a subsidiary inherits the parent's
    assert view(parent)["SW-24-PRO"] == (Decimal("1690.00"), "list")  # no agreed price: the list price

    with session_scope(db, write_lock=True) as session:
        subassortments.set_definition(
            session,
            parent,
            SubAssortmentIn(
                rules=[
                    FilterRule(field="list_price", op="lt", value="100"),
                    FilterRule(field="manufacturer", op="present"),
                ]
            ),
        )
    assert set(view(parent)) == {"CBL-CAT6-5M", NEW_ITEM["sku"]}
    with session_scope(db, write_lock=True) as session:
        subassortments.set_definition(
            session,
            parent,
            SubAssortmentIn(rules=[FilterRule(field="eclass", op="in", value=["19170401", "27040601"])]),
        )
    assert set(view(parent)) == {"SW-24-PRO", "PWR-UPS-AT"}
    with session_scope(db, write_lock=True) as session, pytest.raises(subassortments.InvalidDefinition):
        subassortments.set_definition(session, parent, SubAssortmentIn(rules=[FilterRule(field="colour", op="eq")]))

    acme = view("acme")  # no sub-assortment: the contract assortment at contract prices
    assert acme["SW-24-PRO"] == (Decimal("1450.00"), "contract")
    assert set(acme) == {"SW-24-PRO", "CBL-CAT6-5M", "SVC-INSTALL-ONSITE"}
    assert view("acme-at")["PWR-UPS-AT"] == (Decimal("589.00"), "special")


def test_the_bmecat_export_has_the_customers_prices_and_reads_back(db):
    xml = bmecat_of(db, "acme")
    assert prices(xml) == {"CBL-CAT6-5M": "4.20", "SVC-INSTALL-ONSITE": "890.00", "SW-24-PRO": "1450.00"}
    root = etree.fromstring(xml)
    assert root.findtext("b:HEADER/b:BUYER/b:BUYER_ID", namespaces=NS) == "acme"
    assert root.find("b:T_NEW_CATALOG/b:CATALOG_GROUP_SYSTEM", NS) is not None
    maps = {
        m.findtext("b:PROD_ID", namespaces=NS): m.findtext("b:CATALOG_GROUP_ID", namespaces=NS)
        for m in root.iterfind(".//b:PRODUCT_TO_CATALOGGROUP_MAP", NS)
    }
    assert maps["SW-24-PRO"] == "network"

    with session_scope(db, write_lock=True) as session:  # the export imports as a catalog again
        version = store.create_draft(session, created_by="test", empty=True).id
    report = file_import.import_file(
        db, version, io.BytesIO(xml), default_delivery_unit="central-warehouse", default_category="misc"
    )
    assert (report.added, report.failed) == (3, 0)
    with session_scope(db) as session:
        switch = session.get(CatalogVersionItem, (version, "SW-24-PRO"))
        assert (switch.list_price, switch.category, switch.attributes["eclass"]) == (
            Decimal("1450.00"),
            "network",
            "19170401",
        )


@pytest.mark.skipif(not VALIDATOR.exists(), reason="../shared/validators is not there")
def test_every_customers_bmecat_export_is_valid_against_the_xsd(db, tmp_path):
    files = []
    for customer in ("acme", "acme-at", "globex"):
        path = tmp_path / f"{customer}.xml"
        path.write_bytes(bmecat_of(db, customer))
        files.append(str(path))
    result = subprocess.run([sys.executable, str(VALIDATOR), "bmecat", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": bmecat: 0 errors") == 3


def test_the_csv_export(db):
    rows = {r["sku"]: r for r in csv_of(db, "acme-at")}
    assert set(rows) == {"SW-24-PRO", "CBL-CAT6-5M", "SVC-INSTALL-ONSITE", "PWR-UPS-AT"}
    assert (rows["PWR-UPS-AT"]["price"], rows["PWR-UPS-AT"]["price_source"]) == ("589.00", "special")
    assert rows["SW-24-PRO"]["eclass"] == "19170401" and rows["SW-24-PRO"]["vat_rate"] == "0.19"


def test_export_errors(db, tmp_path):
    with session_scope(db) as session, pytest.raises(export.UnknownCustomer):
        export.export_csv(session, "nobody", io.StringIO())
    from core.database import make_engine
    from migrations import upgrade

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    empty = make_engine(url)
    customer, _ = add_customer(empty)
    with session_scope(empty) as session, pytest.raises(export.NothingPublished):
        export.export_bmecat(session, customer, io.BytesIO())
    empty.dispose()


def test_exports_carry_the_customers_part_numbers(db):
    root = etree.fromstring(bmecat_of(db, "acme-at"))
    buyer_pids = {
        p.findtext("b:SUPPLIER_PID", namespaces=NS): p.findtext("b:PRODUCT_DETAILS/b:BUYER_PID", namespaces=NS)
        for p in root.iterfind(".//b:PRODUCT", NS)
    }
    # ACME Austria inherits ACME's numbers and has its own for the UPS
    assert buyer_pids["SW-24-PRO"] == "ACME-NET-0024" and buyer_pids["PWR-UPS-AT"] == "AT-USV-1500"
    rows = {r["sku"]: r for r in csv_of(db, "acme-at")}
    assert rows["CBL-CAT6-5M"]["customer_part_number"] == "ACME-CBL-0005"


def test_exports_carry_minimum_quantities_and_quantity_breaks(db, tmp_path):
    # what the customer's procurement system holds must be orderable: no price below the minimum
    from tests.catalog.rules_data import add_price_list

    customer, _ = add_customer(db, contract=IN_FORCE, prices={"CBL-CAT6-5M": "4.00"})
    add_price_list(db, customer, {"CBL-CAT6-5M": {100: "3.60"}, "PWR-UPS-AT": {5: "600.00"}})
    root = etree.fromstring(bmecat_of(db, customer))
    products = {p.findtext("b:SUPPLIER_PID", namespaces=NS): p for p in root.iterfind(".//b:PRODUCT", NS)}

    def tiers(sku: str) -> list[tuple[str | None, str]]:
        return [
            (price.findtext("b:LOWER_BOUND", namespaces=NS), price.findtext("b:PRICE_AMOUNT", namespaces=NS))
            for price in products[sku].iterfind("b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS)
        ]

    assert tiers("CBL-CAT6-5M") == [("1", "4.00"), ("100", "3.60")]
    assert products["CBL-CAT6-5M"].findtext("b:PRODUCT_ORDER_DETAILS/b:QUANTITY_MIN", namespaces=NS) == "1"
    assert tiers("PWR-UPS-AT") == [(None, "600.00")]
    assert products["PWR-UPS-AT"].findtext("b:PRODUCT_ORDER_DETAILS/b:QUANTITY_MIN", namespaces=NS) == "5"
    rows = {r["sku"]: r for r in csv_of(db, customer)}
    assert (rows["CBL-CAT6-5M"]["min_quantity"], rows["CBL-CAT6-5M"]["price_breaks"]) == ("1", "1:4.00 100:3.60")
    assert (rows["PWR-UPS-AT"]["min_quantity"], rows["PWR-UPS-AT"]["price"], rows["PWR-UPS-AT"]["price_breaks"]) == (
        "5",
        "600.00",
        "",
    )
    if VALIDATOR.exists():  # LOWER_BOUND in its place in PRODUCT_PRICE
        path = tmp_path / "tiers.xml"
        path.write_bytes(bmecat_of(db, customer))
        result = subprocess.run([sys.executable, str(VALIDATOR), "bmecat", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_an_item_a_rule_edit_brings_into_the_view_is_checked_at_once(db):
    # a contract item, a special item or a price-list entry added after the publication must not show
    # an item that breaks the customer's quality rules (the demo's installation service has no image)
    from contracts import terms
    from customers import price_lists, rule_edits
    from models.contracts import ContractItemTerms
    from models.customer_rules import PriceListIn, SpecialItemIn

    service = "SVC-INSTALL-ONSITE"
    parent, contract_id = add_customer(db, contract=IN_FORCE, prices={"SW-24-PRO": "1400.00"})
    child, _ = add_customer(db, parent_id=parent)  # inherits the contract, with rules of its own
    for customer in (parent, child):
        with session_scope(db, write_lock=True) as session:
            view_edits.set_quality_rules(session, customer, [QualityRuleIn(rule="image")], actor="test")

    terms.set_item(db, contract_id, service, ContractItemTerms(price=Decimal("800.00")), actor="test")
    for customer in (parent, child):
        with session_scope(db) as session:
            assert quality.hidden_skus(session, customer) == {service}
        assert service not in prices(bmecat_of(db, customer))

    other, _ = add_customer(db, contract=IN_FORCE, prices={"SW-24-PRO": "1400.00"})
    with session_scope(db, write_lock=True) as session:
        view_edits.set_quality_rules(session, other, [QualityRuleIn(rule="image")], actor="test")
    rule_edits.put_special_item(db, other, service, SpecialItemIn(price=Decimal("700.00")), actor="test")
    assert service not in prices(bmecat_of(db, other))
    third, _ = add_customer(db, contract=IN_FORCE, prices={"SW-24-PRO": "1400.00"})
    with session_scope(db, write_lock=True) as session:
        view_edits.set_quality_rules(session, third, [QualityRuleIn(rule="image")], actor="test")
    price_lists.put_price_list(
        db,
        third,
        f"PL-{third}",
        PriceListIn(name="x", valid_from=date(2025, 1, 1), entries=[{"sku": service, "price": "750.00"}]),
        actor="test",
    )
    assert service not in prices(bmecat_of(db, third))
