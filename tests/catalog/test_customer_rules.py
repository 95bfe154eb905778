"""Catalog managers' edits of a customer's rules (customers/rule_edits.py, price_list_admin.py)
take effect in pricing, rights, limits and part numbers at once, and bad input is refused naming
the field; on SQLite and PostgreSQL. Every test works on fresh customers (tests/catalog/data.py)."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from accounts.tables import User
from catalog.pricing import unit_price
from catalog.views import customer_catalog
from contracts.limits import Limits, limits_for
from core.database import session_scope
from customers import audit, errors
from customers import rule_edits as rules
from customers.overview import customer_detail, list_customers
from customers.part_numbers import part_numbers
from customers.price_lists import delete_price_list, price_lists, put_price_list
from customers.tree import customer_tree
from models.customer_rules import (
    PartNumberIn,
    PriceListEntry,
    PriceListIn,
    RoleLimitIn,
    RoleRule,
    SpecialItemIn,
)
from tests.catalog.data import add_customer
from tests.catalog.rules_data import add_rules, add_user, rule

TODAY = date(2026, 11, 27)
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))
PRICES = {"CBL-CAT6-5M": "4.00", "SVC-INSTALL-ONSITE": "900.00"}
D = Decimal
ACTOR = "catalog@seller.example"  # the edits take who makes them (the audit trail: test_catalog_changes.py)


def new_customer(db, **kwargs) -> str:
    return add_customer(db, contract=CONTRACT, prices=PRICES, **kwargs)[0]


def quote(db, customer_id: str, sku: str, quantity: int = 1) -> tuple[Decimal, str] | None:
    with session_scope(db) as session:
        q = unit_price(session, customer_id, sku, quantity, TODAY)
    return None if q is None else (q.unit_price, q.source)


def orderable(db, customer_id: str, roles: list[str]) -> dict[str, bool]:
    """sku -> orderable, of what a user with `roles` sees."""
    with session_scope(db) as session:
        page = customer_catalog(session, customer_id, TODAY, roles=roles)
    return {item.sku: item.orderable for item in page.items}


def read(db, fn, customer_id: str):
    with session_scope(db) as session:
        return fn(session, customer_id)


def price_list(entries: list[tuple[str, int, str | None]], **fields) -> PriceListIn:
    return PriceListIn(
        **{"name": "Test prices", "valid_from": date(2025, 1, 1), **fields},
        entries=[PriceListEntry(sku=s, min_quantity=q, price=p) for s, q, p in entries],
    )


def test_a_price_list_put_whole_prices_the_customer_at_once(db):
    customer = new_customer(db)
    assert quote(db, customer, "SW-24-PRO") is None  # not in its assortment yet
    saved = put_price_list(
        db,
        customer,
        "PL-" + customer,
        price_list([("SW-24-PRO", 1, "1600.00"), ("SW-24-PRO", 10, "1550.00"), ("CBL-CAT6-5M", 100, "3.80")]),
        actor=ACTOR,
    )
    assert (saved.customer_id, saved.currency, len(saved.entries)) == (customer, "EUR", 3)
    assert quote(db, customer, "SW-24-PRO", 9) == (D("1600.00"), "price_list")
    assert quote(db, customer, "SW-24-PRO", 10) == (D("1550.00"), "price_list")
    assert quote(db, customer, "CBL-CAT6-5M", 100) == (D("3.80"), "price_list")  # a volume discount

    # a PUT replaces the whole list: the entries it leaves out are gone
    put_price_list(
        db, customer, "PL-" + customer, price_list([("SW-24-PRO", 1, "1590.00")], name="Renamed"), actor=ACTOR
    )
    [stored] = read(db, price_lists, customer)
    assert (stored.name, [(e.sku, e.min_quantity, e.price) for e in stored.entries]) == (
        "Renamed",
        [("SW-24-PRO", 1, D("1590.00"))],
    )
    assert quote(db, customer, "SW-24-PRO", 10) == (D("1590.00"), "price_list")
    assert quote(db, customer, "CBL-CAT6-5M", 100) == (D("4.00"), "contract")

    # not in force yet: the contract alone prices
    put_price_list(
        db,
        customer,
        "PL-" + customer,
        price_list([("SW-24-PRO", 1, "1590.00")], valid_from=date(2027, 1, 1)),
        actor=ACTOR,
    )
    assert quote(db, customer, "SW-24-PRO") is None

    delete_price_list(db, customer, "PL-" + customer, actor=ACTOR)
    assert read(db, price_lists, customer) == []
    with pytest.raises(errors.RuleNotFound):
        delete_price_list(db, customer, "PL-" + customer, actor=ACTOR)


def test_a_subsidiary_uses_its_parents_price_list_until_it_has_its_own(db):
    parent = new_customer(db)
    child = add_customer(db, parent_id=parent)[0]
    put_price_list(db, parent, "PL-" + parent, price_list([("SW-24-PRO", 1, "1600.00")]), actor=ACTOR)
    assert quote(db, child, "SW-24-PRO") == (D("1600.00"), "price_list")
    put_price_list(db, child, "PL-" + child, price_list([("SW-24-PRO", 1, "1500.00")]), actor=ACTOR)
    assert quote(db, child, "SW-24-PRO") == (D("1500.00"), "price_list")
    delete_price_list(db, child, "PL-" + child, actor=ACTOR)
    assert quote(db, child, "SW-24-PRO") == (D("1600.00"), "price_list")


def test_a_subsidiary_with_its_own_role_rules_stops_inheriting_its_parents(db):
    parent = new_customer(db)
    child = add_customer(db, parent_id=parent)[0]
    add_rules(db, rule(parent, "technician", category="services", order=False))
    tech = ["buyer", "technician"]
    assert orderable(db, child, tech)["SVC-INSTALL-ONSITE"] is False  # the parent's rule

    own = rules.replace_role_rules(
        db,
        child,
        [RoleRule(role="intern", scope="sku", target="CBL-CAT6-5M", may_see=False, may_order=False)],
        actor=ACTOR,
    )
    assert [r.role for r in own] == ["intern"]
    assert orderable(db, child, tech) == {"CBL-CAT6-5M": True, "SVC-INSTALL-ONSITE": True}
    assert orderable(db, child, ["buyer", "intern"]) == {"SVC-INSTALL-ONSITE": True}

    # one rule added or changed at a time (the CLI's way), then removed
    rules.put_role_rule(
        db, child, RoleRule(role="intern", scope="sku", target="CBL-CAT6-5M", may_order=False), actor=ACTOR
    )
    assert orderable(db, child, ["buyer", "intern"]) == {"CBL-CAT6-5M": False, "SVC-INSTALL-ONSITE": True}
    rules.put_role_rule(db, child, RoleRule(role="technician", scope="all", may_see=True, may_order=False), actor=ACTOR)
    assert len(read(db, rules.role_rules, child)) == 2
    assert orderable(db, child, tech) == {"CBL-CAT6-5M": False, "SVC-INSTALL-ONSITE": False}
    rules.delete_role_rule(db, child, "technician", "all", actor=ACTOR)
    with pytest.raises(errors.RuleNotFound):
        rules.delete_role_rule(db, child, "technician", "all", actor=ACTOR)

    # an empty set: the child has no rules of its own and inherits again
    assert rules.replace_role_rules(db, child, [], actor=ACTOR) == []
    assert orderable(db, child, tech)["SVC-INSTALL-ONSITE"] is False


def test_role_limits_set_and_removed(db):
    customer = new_customer(db)
    user = add_user(db, customer, ["buyer", "technician"])

    def limits() -> Limits:
        with session_scope(db) as session:
            return limits_for(session, session.get(User, user.id), [customer])

    assert limits() == Limits(None, None)
    saved = rules.put_role_limit(
        db, customer, "technician", RoleLimitIn(order_limit=D("1000"), monthly_limit=None), actor=ACTOR
    )
    assert saved.order_limit == D("1000.00") and limits() == Limits(D("1000.00"), None)
    rules.put_role_limit(
        db, customer, "technician", RoleLimitIn(monthly_limit=D("3000.00")), actor=ACTOR
    )  # replaces both
    assert limits() == Limits(None, D("3000.00"))
    assert [(r.role, r.monthly_limit) for r in read(db, rules.role_limits, customer)] == [("technician", D("3000.00"))]
    rules.delete_role_limit(db, customer, "technician", actor=ACTOR)
    assert limits() == Limits(None, None)
    with pytest.raises(errors.RuleNotFound):
        rules.delete_role_limit(db, customer, "technician", actor=ACTOR)


def test_part_numbers_and_special_items(db):
    parent = new_customer(db)
    child = add_customer(db, parent_id=parent)[0]

    def numbers(customer_id: str) -> dict[str, str]:
        chain = [parent] if customer_id == parent else [customer_id, parent]
        with session_scope(db) as session:
            return part_numbers(session, chain, ["CBL-CAT6-5M", "SW-24-PRO"])

    rules.put_part_number(db, parent, "CBL-CAT6-5M", PartNumberIn(part_number="  P-CABLE "), actor=ACTOR)
    assert numbers(parent) == {"CBL-CAT6-5M": "P-CABLE"} and numbers(child) == {"CBL-CAT6-5M": "P-CABLE"}
    rules.put_part_number(db, child, "CBL-CAT6-5M", PartNumberIn(part_number="C-CABLE"), actor=ACTOR)
    assert numbers(child) == {"CBL-CAT6-5M": "C-CABLE"}
    rules.delete_part_number(db, child, "CBL-CAT6-5M", actor=ACTOR)
    assert numbers(child) == {"CBL-CAT6-5M": "P-CABLE"}
    assert [(p.sku, p.part_number) for p in read(db, rules.part_numbers, parent)] == [("CBL-CAT6-5M", "P-CABLE")]

    saved = rules.put_special_item(db, parent, "CBL-CAT6-5M", SpecialItemIn(price=D("3.50")), actor=ACTOR)
    assert (saved.name, saved.price) == ("Patch cable Cat 6, 5 m", D("3.50"))
    assert quote(db, parent, "CBL-CAT6-5M") == (D("3.50"), "special")
    rules.put_special_item(
        db, parent, "PWR-UPS-AT", SpecialItemIn(price=D("600")), actor=ACTOR
    )  # extends the assortment
    assert quote(db, parent, "PWR-UPS-AT") == (D("600.00"), "special")
    assert [s.sku for s in read(db, rules.special_items, parent)] == ["CBL-CAT6-5M", "PWR-UPS-AT"]
    rules.delete_special_item(db, parent, "CBL-CAT6-5M", actor=ACTOR)
    assert quote(db, parent, "CBL-CAT6-5M") == (D("4.00"), "contract")
    with pytest.raises(errors.RuleNotFound):
        rules.delete_special_item(db, parent, "CBL-CAT6-5M", actor=ACTOR)


def test_the_customer_tree_and_what_applies_to_a_customer(db):
    parent = new_customer(db)
    child = add_customer(db, parent_id=parent)[0]
    grandchild = add_customer(db, parent_id=child)[0]
    other = new_customer(db)
    add_rules(db, rule(parent, "technician", category="services", order=False))
    rules.put_part_number(db, child, "SW-24-PRO", PartNumberIn(part_number="X"), actor=ACTOR)
    with session_scope(db) as session:
        assert customer_tree(session, child) == [child, parent, grandchild]
        assert sorted(customer_tree(session, parent)) == sorted([parent, child, grandchild])
        listed = list_customers(session, [grandchild, other])
        assert [c.customer_id for c in listed] == sorted([grandchild, other])
        detail = customer_detail(session, grandchild, TODAY)
        assert [p.customer_id for p in detail.parents] == [child, parent]
        assert detail.contract_id is not None and detail.subsidiaries == []
        overview = detail.rules
        assert (overview.role_rules, overview.role_rules_from, overview.price_lists_from) == (0, parent, None)
        detail = customer_detail(session, child, TODAY)
        assert [(s.customer_id, s.parent_id) for s in detail.subsidiaries] == [(grandchild, child)]
        assert (detail.rules.part_numbers, detail.rules.special_items) == (1, 0)
        with pytest.raises(errors.CustomerNotFound):
            customer_detail(session, "no-such-customer")


# --- refusals ---------------------------------------------------------------------------------------


def field_of(fn, *args, **kwargs) -> str:
    with pytest.raises(errors.InvalidRule) as refused:
        fn(*args, **kwargs)
    return refused.value.field


def refused(edit, *args) -> str:
    """The field an edit by ACTOR is refused for."""
    return field_of(edit, *args, actor=ACTOR)


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (
            PriceListIn,
            {"name": "x", "valid_from": "2025-01-01", "entries": [{"sku": "A", "min_quantity": 0}]},
            "entries[0].min_quantity",
        ),
        (
            PriceListIn,
            {"name": "x", "valid_from": "2025-01-01", "entries": [{"sku": "A", "price": "-0.01"}]},
            "entries[0].price",
        ),
        (
            PriceListIn,
            {"name": "x", "valid_from": "2025-01-01", "entries": [{"sku": "A", "price": "1.234"}]},
            "entries[0].price",
        ),
        (PriceListIn, {"name": "x", "valid_from": "2025-01-01", "currency": "eur"}, "currency"),
        (PriceListIn, {"name": "x", "valid_from": "2025-01-01", "currency": "EURO"}, "currency"),
        (PriceListIn, {"name": "", "valid_from": "2025-01-01"}, "name"),
        (PriceListIn, {"name": "x", "valid_from": "someday"}, "valid_from"),
        (RoleRule, {"role": "intern", "scope": "brand"}, "scope"),
        (RoleRule, {"role": "", "scope": "all"}, "role"),
        (RoleLimitIn, {"order_limit": "-1"}, "order_limit"),
        (RoleLimitIn, {"monthly_limit": "10.001"}, "monthly_limit"),
        (PartNumberIn, {"part_number": "   "}, "part_number"),
        (SpecialItemIn, {"price": "cheap"}, "price"),
    ],
)
def test_input_constraints_name_the_field(model, data, field):
    assert field_of(rules.parse, model, data) == field


def test_what_needs_the_database_is_refused_naming_the_field(db):
    customer, other = new_customer(db), new_customer(db)
    good = [("SW-24-PRO", 1, "1600.00")]
    assert (
        refused(put_price_list, db, customer, "PL-bad", price_list([*good, ("NO-SUCH-SKU", 1, "1.00")]))
        == "entries[1].sku"
    )
    assert (
        refused(put_price_list, db, customer, "PL-bad", price_list([*good, ("SW-24-PRO", 1, "1.00")]))
        == "entries[1].min_quantity"
    )
    assert (
        refused(
            put_price_list,
            db,
            customer,
            "PL-bad",
            price_list(good, valid_from=date(2026, 1, 1), valid_to=date(2025, 12, 31)),
        )
        == "valid_to"
    )
    assert refused(put_price_list, db, customer, "P" * 65, price_list(good)) == "price_list_id"
    put_price_list(db, other, "PL-" + other, price_list(good), actor=ACTOR)
    with pytest.raises(errors.RuleConflict) as taken:  # another customer's list is not taken over
        put_price_list(db, customer, "PL-" + other, price_list(good), actor=ACTOR)
    assert taken.value.field == "price_list_id"
    assert read(db, price_lists, customer) == [] and len(read(db, price_lists, other)) == 1

    bad_rules = [
        ([RoleRule(role="intern", scope="all", target="services")], "[0].target"),
        (
            [
                RoleRule(role="intern", scope="sku", target="CBL-CAT6-5M"),
                RoleRule(role="intern", scope="category", target="no-such-category"),
            ],
            "[1].target",
        ),
        ([RoleRule(role="intern", scope="sku", target="NO-SUCH-SKU")], "[0].target"),
        ([RoleRule(role="intern", scope="category")], "[0].target"),
        (
            [
                RoleRule(role="intern", scope="category", target="services"),
                RoleRule(role="intern", scope="category", target="services", may_see=False),
            ],
            "[1].target",
        ),
    ]
    rules.replace_role_rules(
        db, customer, [RoleRule(role="technician", scope="category", target="services")], actor=ACTOR
    )
    for bad, field in bad_rules:
        assert refused(rules.replace_role_rules, db, customer, bad) == field
    assert [r.role for r in read(db, rules.role_rules, customer)] == ["technician"]  # a refused set changes nothing
    assert refused(rules.put_role_rule, db, customer, RoleRule(role="intern", scope="sku", target="NOPE")) == "target"
    assert refused(rules.put_role_limit, db, customer, "r" * 65, RoleLimitIn()) == "role"
    assert refused(rules.put_part_number, db, customer, "NO-SUCH-SKU", PartNumberIn(part_number="X")) == "sku"
    assert refused(rules.put_special_item, db, customer, "NO-SUCH-SKU", SpecialItemIn(price=D("1"))) == "sku"

    for edit, args in (
        (put_price_list, ("PL-x", price_list(good))),
        (rules.replace_role_rules, ([],)),
        (rules.put_role_limit, ("buyer", RoleLimitIn())),
        (rules.put_part_number, ("SW-24-PRO", PartNumberIn(part_number="X"))),
        (rules.delete_special_item, ("SW-24-PRO",)),
    ):
        with pytest.raises(errors.CustomerNotFound):
            edit(db, "no-such-customer", *args, actor=ACTOR)
    with session_scope(db) as session, pytest.raises(errors.CustomerNotFound):
        rules.role_rules(session, "no-such-customer")


# --- two edits at once ------------------------------------------------------------------------------


def pause_first_record(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The first edit to record its change waits there, its transaction open, until `release` is set;
    `recording` is set when it got there."""
    recording, release = threading.Event(), threading.Event()
    record = audit.record

    def first_waits(*args, **kwargs):
        change = record(*args, **kwargs)
        if not recording.is_set():
            recording.set()
            release.wait(30)
        return change

    monkeypatch.setattr(audit, "record", first_waits)
    return recording, release


def in_thread(fn, *args, **kwargs) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_two_customers_taking_one_new_price_list_id_at_once_is_a_conflict(db, monkeypatch):
    # the customers' row locks do not serialise two customers: on PostgreSQL the second insert of the
    # id waited for the first and then failed with a unique violation (a 500), not a RuleConflict (409)
    first, second = new_customer(db), new_customer(db)
    list_id = "PL-" + first
    recording, release = pause_first_record(monkeypatch)
    one, one_outcome = in_thread(
        put_price_list, db, first, list_id, price_list([("SW-24-PRO", 1, "1600.00")]), actor=ACTOR
    )
    assert recording.wait(30)
    other, other_outcome = in_thread(
        put_price_list, db, second, list_id, price_list([("SW-24-PRO", 1, "1.00")]), actor=ACTOR
    )
    time.sleep(1)  # the second is waiting for the first (PostgreSQL: the unique index; SQLite: the write lock)
    release.set()
    one.join(30)
    other.join(30)
    assert "error" not in one_outcome, one_outcome
    assert isinstance(other_outcome.get("error"), errors.RuleConflict), other_outcome
    assert other_outcome["error"].field == "price_list_id"
    assert [pl.price_list_id for pl in read(db, price_lists, first)] == [list_id]
    assert read(db, price_lists, second) == []


# --- input PostgreSQL cannot store -------------------------------------------------------------------


def test_control_characters_are_refused_before_the_database_naming_the_field(db):
    # on PostgreSQL a NUL failed the statement (psycopg.DataError: a 500 through the API), SQLite
    # stored it; a tab or line break in a key or name is a typo no lookup matches
    customer = new_customer(db)
    good = [("SW-24-PRO", 1, "1600.00")]
    assert refused(put_price_list, db, customer, "PL\x00x", price_list(good)) == "price_list_id"
    assert refused(put_price_list, db, customer, "PL-x", price_list(good, name="x\x00")) == "name"
    assert refused(put_price_list, db, customer, "PL-x", price_list([*good, ("SW\x00", 1, "1.00")])) == "entries[1].sku"
    assert (
        refused(rules.replace_role_rules, db, customer, [RoleRule(role="intern"), RoleRule(role="in\x00tern")])
        == "[1].role"
    )
    assert (
        refused(
            rules.replace_role_rules, db, customer, [RoleRule(role="intern", scope="category", target="services\x00")]
        )
        == "[0].target"
    )
    assert (
        refused(rules.put_role_rule, db, customer, RoleRule(role="intern", scope="sku", target="SW-24-PRO\n"))
        == "target"
    )
    assert refused(rules.put_role_limit, db, customer, "buy\x00er", RoleLimitIn()) == "role"
    assert (
        refused(rules.put_part_number, db, customer, "SW-24-PRO", PartNumberIn(part_number="A\x00B")) == "part_number"
    )
    assert refused(rules.put_part_number, db, customer, "SW\x00", PartNumberIn(part_number="X")) == "sku"
    assert refused(rules.put_special_item, db, customer, "SW\x00", SpecialItemIn(price=D("1"))) == "sku"
    for read_back in (price_lists, rules.role_rules, rules.role_limits, rules.part_numbers, rules.special_items):
        assert read(db, read_back, customer) == []
