"""Configurator rules as data: "requires" constraints and option-dependent surcharges next to
"incompatible" ones, checked and priced from the JSON on the item (SQLite and PostgreSQL).

This module adds an item of its own, so it runs on databases of its own (module scope)."""

from datetime import date
from decimal import Decimal

import pytest

from catalog.configuration import AppliedSurcharge, ConfigProblem, check, configuration_problems, rule_errors
from catalog.pricing import unit_price
from catalog.tables import Item
from catalog.views import customer_catalog
from core.database import session_scope
from orders.validation import OrderRejected, validate_order
from tests.catalog.data import BUYERS, add_buyer, add_customer, order
from tests.dbs import database_fixture

db = database_fixture(scope="module")

TODAY = date(2026, 11, 27)
D = Decimal
ROUTER_OPTIONS = {"model": ["S", "M", "L"], "psu": ["single", "dual"], "licence": ["base", "pro"]}
ROUTER_CONSTRAINTS = [
    {
        "type": "requires",
        "when": {"model": "L"},
        "then": {"psu": "dual"},
        "message": "model L needs the dual power supply",
    },
    {"type": "requires", "when": {"licence": "pro"}, "then": {"model": ["M", "L"]}},
    {"type": "incompatible", "when": {"model": "S", "psu": "dual"}},
    {"type": "surcharge", "when": {"psu": "dual"}, "amount": "80.00", "message": "second power supply"},
    {"type": "surcharge", "when": {"licence": "pro"}, "amount": "120.00", "message": "pro licence"},
    {"type": "surcharge", "when": {"model": "L", "licence": "pro"}, "amount": "15.50"},
]


def router(**changes) -> Item:
    return Item(
        sku="RT-CFG",
        name="Configurable router",
        category="network",
        list_price=D("600.00"),
        delivery_unit_id="netpartner",
        options=ROUTER_OPTIONS,
        constraints=ROUTER_CONSTRAINTS,
        **changes,
    )


@pytest.fixture(scope="module")
def customer(db):
    with session_scope(db) as session:
        session.add(router())
    return add_customer(db, contract=(date(2025, 1, 1), date(2030, 12, 31)), prices={"RT-CFG": "500.00"})[0]


def config(model: str, psu: str, licence: str) -> dict[str, str]:
    return {"model": model, "psu": psu, "licence": licence}


def test_requires_and_incompatible_explain_themselves():
    item = router()
    assert check(item, config("M", "single", "base")) == ([], [])
    assert configuration_problems(item, config("L", "single", "base")) == [
        "RT-CFG cannot be delivered as configured: model L needs the dual power supply"
    ]
    assert configuration_problems(item, config("S", "single", "pro")) == [  # message made up from the data
        "RT-CFG cannot be delivered as configured: licence pro requires model M or L"
    ]
    assert configuration_problems(item, config("S", "dual", "base")) == [
        "RT-CFG cannot be delivered as configured: model S and psu dual cannot be combined"
    ]


def test_surcharges_of_a_valid_configuration():
    problems, surcharges = check(router(), config("L", "dual", "pro"))
    assert problems == [] and surcharges == [
        AppliedSurcharge({"psu": "dual"}, D("80.00"), "second power supply"),
        AppliedSurcharge({"licence": "pro"}, D("120.00"), "pro licence"),
        AppliedSurcharge({"model": "L", "licence": "pro"}, D("15.50"), "surcharge for model L and licence pro"),
    ]
    assert check(router(), config("L", "single", "pro"))[1] == []  # an invalid configuration has no price


def test_problems_name_the_option_at_fault():
    problems, _ = check(router(), {"model": "XL", "psu": "dual", "colour": "red"})
    assert problems == [
        ConfigProblem("configuration.model", "RT-CFG has no model 'XL' (one of S, M, L)"),
        ConfigProblem("configuration.licence", "RT-CFG needs a value for 'licence' (one of base, pro)"),
        ConfigProblem("configuration.colour", "RT-CFG has no option 'colour'"),
    ]


def test_rule_errors_find_mistakes_in_the_data():
    assert rule_errors(ROUTER_OPTIONS, ROUTER_CONSTRAINTS) == []
    assert rule_errors(
        ROUTER_OPTIONS,
        [
            {"type": "incompatibel", "when": {"model": "S"}},
            {"type": "requires", "when": {"model": "XL"}},
            {"type": "requires", "when": {"colour": "red"}, "then": {"psu": "triple"}},
            {"type": "surcharge", "when": {}, "amount": "ten"},
            {"type": "surcharge", "when": {}, "amount": "0.001"},
        ],
    ) == [
        "constraint 0: unknown type 'incompatibel' (one of incompatible, requires, surcharge)",
        "constraint 1: model has no value 'XL' (in 'when')",
        "constraint 1: 'requires' needs 'then'",
        "constraint 2: unknown option 'colour' in 'when'",
        "constraint 2: psu has no value 'triple' (in 'then')",
        "constraint 3: amount 'ten' is not a number",
        "constraint 4: amount '0.001' is not an amount in cents",
    ]


def test_validation_adds_surcharges_to_the_unit_price(db, customer):
    buyer = add_buyer(db, customer)
    with session_scope(db) as session:
        v = validate_order(
            session,
            order(buyer, ("RT-CFG", 2, config("L", "dual", "pro")), ("RT-CFG", 1, config("M", "single", "base"))),
            TODAY,
        )
        assert [(line.unit_price, line.line_total) for line in v.lines] == [
            (D("715.50"), D("1431.00")),
            (D("500.00"), D("500.00")),
        ]
        with pytest.raises(OrderRejected) as rejected:
            validate_order(
                session,
                order(
                    buyer, ("RT-CFG", 1, config("M", "single", "base")), ("RT-CFG", 1, config("L", "single", "base"))
                ),
                TODAY,
            )
    assert rejected.value.field == "lines[1].configuration"
    assert rejected.value.reason == "RT-CFG cannot be delivered as configured: model L needs the dual power supply"


def test_a_catalog_manager_changes_the_rules_without_a_deployment(db, customer):
    buyer = add_buyer(db, customer)
    with session_scope(db) as session:
        item = session.get(Item, "RT-CFG")
        item.constraints = [
            *ROUTER_CONSTRAINTS[:3],
            {"type": "surcharge", "when": {"psu": "dual"}, "amount": "95.00", "message": "second power supply"},
        ]
    try:
        with session_scope(db) as session:
            v = validate_order(session, order(buyer, ("RT-CFG", 1, config("L", "dual", "pro"))), TODAY)
        assert v.lines[0].unit_price == D("595.00")
    finally:
        with session_scope(db) as session:
            session.get(Item, "RT-CFG").constraints = ROUTER_CONSTRAINTS


def test_the_catalog_shows_constraints_and_surcharges(db, customer):
    with session_scope(db) as session:
        item = customer_catalog(session, customer, TODAY).items[0]
    assert item.sku == "RT-CFG" and item.price == D("500.00")
    assert [(c.type, c.when, c.then, c.message) for c in item.constraints] == [
        ("requires", {"model": "L"}, {"psu": "dual"}, "model L needs the dual power supply"),
        ("requires", {"licence": "pro"}, {"model": ["M", "L"]}, "licence pro requires model M or L"),
        ("incompatible", {"model": "S", "psu": "dual"}, {}, "model S and psu dual cannot be combined"),
    ]
    assert [(s.when, s.amount, s.message) for s in item.surcharges] == [
        ({"psu": "dual"}, D("80.00"), "second power supply"),
        ({"licence": "pro"}, D("120.00"), "pro licence"),
        ({"model": "L", "licence": "pro"}, D("15.50"), "surcharge for model L and licence pro"),
    ]


def test_demo_switch_surcharge_leaves_the_demo_orders_unchanged(db):
    a1 = {"hw_version": "A1", "sw_version": "7.2"}
    b2 = {"hw_version": "B2", "sw_version": "8.0"}
    with session_scope(db) as session:
        v = validate_order(session, order(BUYERS["acme"], ("SW-24-PRO", 1, a1), ("SW-24-PRO", 1, b2)), TODAY)
    assert [line.unit_price for line in v.lines] == [D("1485.00"), D("1450.00")]


def test_an_item_a_published_version_removed_is_in_no_assortment(db, customer):
    buyer = add_buyer(db, customer)
    with session_scope(db) as session:
        session.get(Item, "RT-CFG").active = False  # what publishing does to a removed, referenced item
    try:
        with session_scope(db) as session:
            assert customer_catalog(session, customer, TODAY).total == 0
            assert unit_price(session, customer, "RT-CFG", 1, TODAY) is None
            with pytest.raises(OrderRejected) as rejected:
                validate_order(session, order(buyer, ("RT-CFG", 1, config("M", "single", "base"))), TODAY)
        assert rejected.value.reason == "RT-CFG is not in your contract assortment"
    finally:
        with session_scope(db) as session:
            session.get(Item, "RT-CFG").active = True
