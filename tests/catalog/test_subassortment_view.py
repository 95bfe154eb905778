"""One view of a customer's catalog: with a sub-assortment (its own or the nearest ancestor's) the
customer's assortment is exactly the sub-assortment's items, the same in the catalog API, order
validation, the export and the quality rules' scope; without one, the contract assortment. On
SQLite and PostgreSQL."""

import csv
import io
import sqlite3
from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select

from catalog import pricing, quality, subassortments, view_edits
from catalog.exchange import export
from catalog.pricing import Break, Sources
from catalog.service import check_configuration as _check
from catalog.service import item as _item
from catalog.tables import Item
from catalog.versions import content, publishing, store
from catalog.versions.tables import CatalogVersionItem
from catalog.view_tables import SubAssortmentItem
from catalog.views import customer_catalog
from core.calendar import utc_today
from core.database import make_engine, session_scope
from core.errors import NotFound
from customers.rule_tables import SpecialItem
from migrations import alembic_config, upgrade
from models.actors import Actor
from models.catalog import ConfigurationCheckRequest
from models.catalog_versions import FilterRule, QualityRuleIn, SubAssortmentIn
from orders.validation import OrderRejected, validate_order
from tests.catalog.data import add_buyer, add_customer, order
from tests.catalog.rules_data import add_price_list, add_rules, add_user, rule
from tests.dbs import database_fixture

db = database_fixture(scope="module")  # this module publishes: its own databases

TODAY = utc_today()  # the catalog API and the export use the current day
IN_FORCE = (date(2025, 1, 1), date(2030, 12, 31))
TOOLS, OTHER = "sv-tools", "sv-other"
SWITCH_CONFIG = {"hw_version": "B2", "sw_version": "7.2"}


def item(sku: str, category: str, price: str, currency: str = "EUR", **attributes) -> dict:
    return {
        "sku": sku,
        "name": f"Test item {sku}",
        "category": category,
        "description": "A test item.",
        "unit": "C62",
        "list_price": Decimal(price),
        "currency": currency,
        "vat_rate": Decimal("0.19"),
        "delivery_unit_id": "central-warehouse",
        "expert_review": False,
        "options": {},
        "constraints": [],
        "attributes": attributes,
    }


ITEMS = [
    item("SV-A", TOOLS, "10.00", manufacturer="Kestrel", image_url="https://img.example/a.jpg"),
    item("SV-B", TOOLS, "20.00", manufacturer="Nordwerk"),  # no image
    item("SV-C", TOOLS, "30.00", currency="CHF", image_url="https://img.example/c.jpg"),  # not the contract's currency
    item("SV-D", OTHER, "40.00", image_url="https://img.example/d.jpg"),
]


def publish_with(engine, *rows: dict) -> int:
    """Publishes a copy of the live version with these items added."""
    with session_scope(engine, write_lock=True) as session:
        draft = store.create_draft(session, created_by="test", note="sub-assortment test items").id
        for row in rows:
            session.add(CatalogVersionItem(**content.version_row(draft, row["sku"], row)))
        session.flush()
        publishing.publish(session, draft, "test", force=True)
    return draft


@pytest.fixture(scope="module")
def catalog(db):
    publish_with(db, *ITEMS)
    return db


class Setup:
    """A parent with a contract over the switch (in the sub-assortment) and SV-D (outside it), a
    price list (SV-B from 5 pieces), the sub-assortment "tools and the switch"; a subsidiary with a
    special price for SV-C (a CHF item); a buyer at each."""

    def __init__(self, engine):
        self.parent, _ = add_customer(engine, contract=IN_FORCE, prices={"SW-24-PRO": "1400.00", "SV-D": "35.00"})
        self.child, _ = add_customer(engine, parent_id=self.parent, special={"SV-C": "25.00"})
        add_price_list(engine, self.parent, {"SV-B": {5: "18.00"}})
        self.buyer, self.child_buyer = add_buyer(engine, self.parent), add_buyer(engine, self.child)
        set_view(
            engine, self.parent, SubAssortmentIn(name="tools and the switch", categories=[TOOLS], skus=["SW-24-PRO"])
        )


def set_view(engine, customer: str, body: SubAssortmentIn | None) -> None:
    with session_scope(engine, write_lock=True) as session:
        view_edits.replace_subassortment(session, customer, body, actor="test")


def listed(engine, customer: str, roles: list[str] | None = None, **filters) -> dict[str, tuple]:
    """The catalog API's listing: sku -> (price, source, min quantity, orderable)."""
    with session_scope(engine) as session:
        page = customer_catalog(session, customer, TODAY, roles=roles, limit=200, **filters)
    assert page.total == len(page.items)
    return {i.sku: (i.price, i.price_source, i.min_quantity, i.orderable) for i in page.items}


def exported(engine, customer: str) -> dict[str, tuple]:
    out = io.StringIO()
    with session_scope(engine) as session:
        export.export_csv(session, customer, out)
    return {r["sku"]: (Decimal(r["price"]), r["price_source"]) for r in csv.DictReader(io.StringIO(out.getvalue()))}


def validate(engine, buyer: Actor, *lines: tuple):
    with session_scope(engine) as session:
        return validate_order(session, order(buyer, *lines), TODAY)


def rejection(engine, buyer: Actor, *lines: tuple) -> OrderRejected:
    with pytest.raises(OrderRejected) as rejected:
        validate(engine, buyer, *lines)
    return rejected.value


def line(sku: str, quantity: int = 1) -> tuple:
    return (sku, quantity, SWITCH_CONFIG if sku == "SW-24-PRO" else {})


def orderable(engine, buyer: Actor) -> dict[str, Decimal]:
    """Every live item the buyer's order validation accepts (at its minimum quantity): sku -> unit price."""
    with session_scope(engine) as session:
        skus = list(session.execute(select(Item.sku).where(Item.active.is_(True))).scalars())
    accepted = {}
    for sku in skus:
        for quantity in (1, 5):
            try:
                accepted[sku] = validate(engine, buyer, line(sku, quantity)).lines[0].unit_price
                break
            except OrderRejected as rejected:
                if rejected.field != "lines[0].quantity":
                    assert rejected.field == "lines[0].sku", rejected.field
                    break
    return accepted


def test_listing_validation_and_export_hold_the_same_items(catalog):
    s = Setup(catalog)
    expected = {
        "SW-24-PRO": (Decimal("1400.00"), "contract", 1, True),  # the contract price wins
        "SV-A": (Decimal("10.00"), "list", 1, True),  # no agreed price: the list price
        "SV-B": (Decimal("18.00"), "price_list", 5, True),
    }  # the price list's minimum quantity
    assert listed(catalog, s.parent) == expected
    assert orderable(catalog, s.buyer) == {sku: price for sku, (price, *_) in expected.items()}
    assert exported(catalog, s.parent) == {sku: (price, source) for sku, (price, source, *_) in expected.items()}
    with session_scope(catalog) as session:
        report, _ = quality.customer_quality(session, s.parent, store.live_version(session), as_of=TODAY)
    assert report.checked_items == 0  # no rules: nothing checked
    with session_scope(catalog) as session:  # the quality rules' scope is the same view
        assert [r.sku for r in subassortments.scope(session, s.parent, store.live_version(session), TODAY)] == [
            "SV-A",
            "SV-B",
            "SW-24-PRO",
        ]
    assert listed(catalog, s.parent, category=TOOLS, q="test item") == {k: expected[k] for k in ("SV-A", "SV-B")}


def test_an_item_of_the_sub_assortment_is_orderable_at_its_list_price(catalog):
    s = Setup(catalog)
    validated = validate(catalog, s.buyer, line("SV-A", 3), line("SW-24-PRO"))
    assert [(p.sku, p.unit_price, p.line_total) for p in validated.lines] == [
        ("SV-A", Decimal("10.00"), Decimal("30.00")),
        ("SW-24-PRO", Decimal("1400.00"), Decimal("1400.00")),
    ]
    with session_scope(catalog) as session:
        assert pricing.unit_price(session, s.parent, "SV-A", 2, TODAY) == pricing.Quote(Decimal("10.00"), "list")
        assert pricing.unit_price(session, s.parent, "SV-D", 1, TODAY) is None  # contracted, outside
    assert rejection(catalog, s.buyer, line("SV-B", 4)).field == "lines[0].quantity"  # the price list's minimum


def test_a_contract_item_outside_the_sub_assortment_is_neither_listed_nor_orderable(catalog):
    s = Setup(catalog)
    assert "SV-D" not in listed(catalog, s.parent) and "SV-D" not in exported(catalog, s.parent)
    rejected = rejection(catalog, s.buyer, line("SV-A"), line("SV-D"))
    assert rejected.field == "lines[1].sku"
    assert (
        rejected.reason == 'SV-D is not in your assortment (your catalog is the sub-assortment "tools and the switch")'
    )
    with pytest.raises(NotFound):  # the item detail and configuration check of the API (404)
        _item(catalog, s.buyer, "SV-D")
    assert _item(catalog, s.buyer, "SV-A").price == Decimal("10.00")
    # an item of another currency without a price of the customer's own is left out everywhere
    assert "SV-C" not in listed(catalog, s.parent) and "SV-C" not in orderable(catalog, s.buyer)


def test_a_subsidiary_inherits_the_parents_sub_assortment(catalog):
    s = Setup(catalog)
    child = listed(catalog, s.child)
    assert set(child) == {"SW-24-PRO", "SV-A", "SV-B", "SV-C"}
    assert child["SV-C"] == (Decimal("25.00"), "special", 1, True)  # its special price: in the contract's currency
    assert orderable(catalog, s.child_buyer) == {sku: price for sku, (price, *_) in child.items()}
    assert exported(catalog, s.child) == {sku: (price, source) for sku, (price, source, *_) in child.items()}
    assert "SV-D" not in orderable(catalog, s.child_buyer)

    set_view(catalog, s.child, SubAssortmentIn(name="only the switch", skus=["SW-24-PRO"]))  # its own wins
    assert set(listed(catalog, s.child)) == {"SW-24-PRO"}
    assert set(listed(catalog, s.parent)) == {"SW-24-PRO", "SV-A", "SV-B"}


def test_publishing_an_item_that_matches_the_definition_adds_it(catalog):
    s = Setup(catalog)
    fresh = f"sv-new-{s.parent[-8:]}"  # a category of its own: other tests' views stay as they are
    set_view(
        catalog,
        s.parent,
        SubAssortmentIn(
            name="Kestrel tools",
            categories=[TOOLS, fresh],
            rules=[FilterRule(field="manufacturer", op="eq", value="Kestrel")],
        ),
    )
    assert set(listed(catalog, s.parent)) == {"SV-A"}
    new = item(f"SV-NEW-{s.parent[-8:]}", fresh, "12.50", manufacturer="Kestrel")
    elsewhere = item(f"SV-ELSE-{s.parent[-8:]}", f"sv-else-{s.parent[-8:]}", "12.50", manufacturer="Kestrel")
    version = publish_with(catalog, new, elsewhere)
    assert listed(catalog, s.parent)[new["sku"]] == (Decimal("12.50"), "list", 1, True)
    assert set(listed(catalog, s.parent)) == {"SV-A", new["sku"]}
    assert set(exported(catalog, s.parent)) == {"SV-A", new["sku"]}
    assert validate(catalog, s.buyer, line(new["sku"])).catalog_version == version
    assert rejection(catalog, s.buyer, line(elsewhere["sku"])).field == "lines[0].sku"


def test_removing_the_sub_assortment_restores_the_contract_assortment(catalog):
    s = Setup(catalog)
    set_view(catalog, s.parent, None)
    with session_scope(catalog) as session:
        assert (
            session.execute(select(SubAssortmentItem).where(SubAssortmentItem.customer_id == s.parent)).first() is None
        )
    contract = {
        "SW-24-PRO": (Decimal("1400.00"), "contract", 1, True),
        "SV-D": (Decimal("35.00"), "contract", 1, True),
        "SV-B": (Decimal("18.00"), "price_list", 5, True),
    }
    assert listed(catalog, s.parent) == contract
    assert orderable(catalog, s.buyer) == {sku: price for sku, (price, *_) in contract.items()}
    assert set(exported(catalog, s.parent)) == set(contract)
    assert rejection(catalog, s.buyer, line("SV-A")).reason == "SV-A is not in your contract assortment"
    assert set(listed(catalog, s.child)) == {*contract, "SV-C"}  # and its special item


def test_role_rights_and_withheld_items_apply_on_top(catalog):
    s = Setup(catalog)
    add_rules(
        catalog,
        rule(s.parent, "restricted", sku="SV-A", order=False),
        rule(s.parent, "restricted", category=TOOLS, see=False),
    )
    restricted = add_user(catalog, s.parent, ["buyer", "restricted"])
    assert listed(catalog, s.parent, roles=restricted.roles) == {
        "SW-24-PRO": (Decimal("1400.00"), "contract", 1, True),
        "SV-A": (Decimal("10.00"), "list", 1, False),
    }
    assert rejection(catalog, restricted, line("SV-A")).reason == (
        "SV-A: your role restricted may see but not order SV-A"
    )
    assert rejection(catalog, restricted, line("SV-B", 5)).field == "lines[0].sku"
    assert orderable(catalog, s.buyer) == {
        "SW-24-PRO": Decimal("1400.00"),
        "SV-A": Decimal("10.00"),
        "SV-B": Decimal("18.00"),
    }  # the buyer's role has no rules

    with session_scope(catalog, write_lock=True) as session:  # SV-B has no image: withheld from the parent
        assert (
            view_edits.set_quality_rules(session, s.parent, [QualityRuleIn(rule="image")], actor="test").hidden_count
            == 1
        )
        assert quality.hidden_skus(session, s.parent) == {"SV-B"}
    assert set(listed(catalog, s.parent)) == {"SW-24-PRO", "SV-A"} == set(exported(catalog, s.parent))
    assert rejection(catalog, s.buyer, line("SV-B", 5)).field == "lines[0].sku"
    assert "SV-B" in listed(catalog, s.child)  # the subsidiary has no rules of its own

    # a new definition re-checks the customer's quality rules against its new view
    set_view(catalog, s.parent, SubAssortmentIn(name="other", categories=[OTHER]))
    with session_scope(catalog) as session:
        assert quality.hidden_skus(session, s.parent) == set()
    assert set(listed(catalog, s.parent)) == {"SV-D"}


def test_a_customer_without_a_contract_in_force_has_no_view(catalog):
    customer, _ = add_customer(catalog, contract=(date(2020, 1, 1), date(2020, 12, 31)), prices={"SV-A": "9.00"})
    set_view(catalog, customer, SubAssortmentIn(categories=[TOOLS]))
    assert exported(catalog, customer) == {}


def test_list_price_assignment_in_the_price_rule():
    assigned = Sources(list_price=Decimal("10.00"), assigned=True)
    assert pricing.decide(assigned, 1) == pricing.Quote(Decimal("10.00"), "list")
    assert pricing.minimum_quantity(assigned) == 1
    assert pricing.minimum_quantity(Sources(list_price=Decimal("10.00"))) is None  # not assigned
    assert pricing.minimum_quantity(Sources(list_price=None, assigned=True)) is None  # another currency
    moq = Sources(list_price=Decimal("10.00"), breaks=(Break(5, Decimal("9.00")),), assigned=True)
    assert pricing.decide(moq, 4) is None and pricing.decide(moq, 5).unit_price == Decimal("9.00")
    agreed = Sources(list_price=Decimal("10.00"), contract=Decimal("8.00"), assigned=True)
    assert pricing.decide(agreed, 1) == pricing.Quote(Decimal("8.00"), "contract")


def test_the_migration_fills_the_items_of_existing_definitions(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0006_draft_guards")
    con = sqlite3.connect(tmp_path / "old.db")
    with con:
        con.execute(
            "INSERT INTO customer (id, name, parent_id, country) VALUES ('c1', 'C1', NULL, 'DE'), "
            "('c2', 'C2', NULL, 'DE')"
        )
        con.execute(
            "INSERT INTO catalogversion (id, status, note, source, created_by, created_at) "
            "VALUES (1, 'published', '', 'test', 'test', '2026-01-01 00:00:00')"
        )
        con.execute("INSERT INTO cataloglive (id, version_id) VALUES ('live', 1)")
        for sku, category, price, attributes in [
            ("M-1", "tools", "9.50", '{"manufacturer": "Kestrel"}'),
            ("M-2", "tools", "120.00", '{"manufacturer": "Kestrel"}'),
            ("M-3", "tools", "5.00", "{}"),
            ("M-4", "other", "1.00", "{}"),
        ]:
            con.execute(
                "INSERT INTO catalogversionitem (version_id, sku, name, description, category, unit, "
                "list_price, currency, vat_rate, delivery_unit_id, expert_review, options, constraints, "
                "attributes, content_hash) VALUES (1, ?, ?, '', ?, 'C62', ?, 'EUR', '0.1900', "
                "'central-warehouse', 0, '{}', '[]', ?, '-')",
                (sku, sku, category, price, attributes),
            )
        con.execute(
            "INSERT INTO subassortment (customer_id, name, categories, skus, rules) VALUES "
            """('c1', '', '["tools"]', '[]', '[{"field": "list_price", "op": "lt", "value": "100"}, """
            """{"field": "manufacturer", "op": "eq", "value": "Kestrel"}]'), """
            """('c2', '', '[]', '["M-4"]', '[]')"""
        )
    con.close()
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.execute(
            select(SubAssortmentItem.customer_id, SubAssortmentItem.sku).order_by(
                SubAssortmentItem.customer_id, SubAssortmentItem.sku
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("c1", "M-1"), ("c2", "M-4")]


def test_a_subsidiarys_special_items_count_only_inside_the_inherited_sub_assortment(catalog):
    s = Setup(catalog)
    child, _ = add_customer(catalog, parent_id=s.parent, special={"SV-C": "25.00", "SV-D": "30.00"})
    buyer = add_buyer(catalog, child)
    assert "SV-D" not in listed(catalog, child) and "SV-D" not in exported(catalog, child)
    assert rejection(catalog, buyer, line("SV-D")).field == "lines[0].sku"
    for call in (
        lambda: _item(catalog, buyer, "SV-D"),
        lambda: _check(catalog, buyer, "SV-D", ConfigurationCheckRequest(configuration={}, quantity=1)),
    ):
        with pytest.raises(NotFound):
            call()
    # SV-C (a CHF item) at its special price in the contract's currency, the same everywhere
    assert listed(catalog, child)["SV-C"] == (Decimal("25.00"), "special", 1, True)
    assert exported(catalog, child)["SV-C"] == (Decimal("25.00"), "special")
    assert (_item(catalog, buyer, "SV-C").price, _item(catalog, buyer, "SV-C").currency) == (Decimal("25.00"), "EUR")
    # its list price is shown in its own currency, not as if it were euros
    assert (_item(catalog, buyer, "SV-C").list_price, _item(catalog, buyer, "SV-C").list_price_currency) == (
        Decimal("30.00"),
        "CHF",
    )
    checked = _check(catalog, buyer, "SV-C", ConfigurationCheckRequest(configuration={}, quantity=3))
    assert (checked.valid, checked.unit_price, checked.line_total, checked.currency) == (
        True,
        Decimal("25.00"),
        Decimal("75.00"),
        "EUR",
    )
    assert validate(catalog, buyer, line("SV-C", 3)).lines[0].unit_price == Decimal("25.00")


def test_an_item_of_the_sub_assortment_that_gets_a_price_later_was_checked_against_the_quality_rules(catalog):
    """A CHF item of the sub-assortment has no price for an EUR customer, so it is not in its view;
    a special price (no publish, no re-check) brings it in: it must have been checked already."""
    s = Setup(catalog)
    sku = f"SV-CHF-{s.parent[-8:]}"
    publish_with(catalog, item(sku, TOOLS, "50.00", currency="CHF"))  # no image
    with session_scope(catalog, write_lock=True) as session:
        view_edits.set_quality_rules(session, s.parent, [QualityRuleIn(rule="image")], actor="test")
        report, _ = quality.customer_quality(session, s.parent, store.live_version(session), as_of=TODAY)
    assert [f.sku for f in report.failing] == ["SV-B"]  # the report is of the view: priced items only
    assert sku not in listed(catalog, s.parent)
    with session_scope(catalog, write_lock=True) as session:
        session.add(SpecialItem(customer_id=s.parent, sku=sku, price=Decimal("45.00")))
    assert sku not in listed(catalog, s.parent) and sku not in exported(catalog, s.parent)
    assert rejection(catalog, s.buyer, line(sku)).field == "lines[0].sku"
    with session_scope(catalog) as session:
        assert quality.hidden_skus(session, s.parent) == {"SV-B", sku}
