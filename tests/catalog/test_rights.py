"""Role-based views and ordering rights: the catalog listing and order validation apply the same
rules (catalog/rights.py), on SQLite and PostgreSQL."""

from datetime import date

import pytest

from catalog.views import customer_catalog
from core.database import session_scope
from models.actors import Actor
from orders.validation import OrderRejected, validate_order
from tests.catalog.data import BUYERS, add_customer, order
from tests.catalog.rules_data import add_rules, add_user, rule

TODAY = date(2026, 11, 27)
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))
PRICES = {"CBL-CAT6-5M": "4.00", "SW-24-PRO": "1400.00", "SVC-INSTALL-ONSITE": "900.00"}
CONFIG = {"SW-24-PRO": {"hw_version": "B2", "sw_version": "7.2"}}


def new_customer(db, **kwargs) -> str:
    return add_customer(db, contract=CONTRACT, prices=PRICES, **kwargs)[0]


def listing(db, user: Actor, **filters) -> tuple[dict[str, tuple[bool, str | None]], int]:
    """sku -> (orderable, reason) of what the user sees, and the total."""
    with session_scope(db) as session:
        page = customer_catalog(session, user.customer_id, TODAY, roles=user.roles, **filters)
    return {i.sku: (i.orderable, i.not_orderable_reason) for i in page.items}, page.total


def ordering(db, user: Actor, sku: str, index: int = 0) -> str | None:
    """None if the user may order one `sku` (as line `index`), else the rejection's reason."""
    lines = [("CBL-CAT6-5M", 1)] * index + [(sku, 1, CONFIG.get(sku, {}))]
    with session_scope(db) as session:
        try:
            validate_order(session, order(user, *lines), TODAY)
        except OrderRejected as rejected:
            assert rejected.field == f"lines[{index}].sku", rejected.field
            return rejected.reason
    return None


def test_no_rule_means_see_and_order_everything(db):
    customer = new_customer(db)
    buyer = add_user(db, customer, ["buyer"])
    add_rules(db, rule(customer, "technician", category="services", order=False))  # not the buyer's role
    items, total = listing(db, buyer)
    assert total == 3 and all(orderable for orderable, _ in items.values())
    assert all(ordering(db, buyer, sku) is None for sku in PRICES)


def test_a_role_that_may_see_but_not_order_services(db):
    customer = new_customer(db)
    add_rules(db, rule(customer, "technician", category="services", order=False))
    tech = add_user(db, customer, ["buyer", "technician"])
    items, total = listing(db, tech)
    reason = "your role technician may see but not order the category services"
    assert total == 3
    assert items == {"CBL-CAT6-5M": (True, None), "SVC-INSTALL-ONSITE": (False, reason), "SW-24-PRO": (True, None)}
    assert ordering(db, tech, "SVC-INSTALL-ONSITE", index=1) == f"SVC-INSTALL-ONSITE: {reason}"
    assert ordering(db, tech, "CBL-CAT6-5M") is None and ordering(db, tech, "SW-24-PRO") is None


def test_items_a_role_may_not_see_are_hidden_from_listing_search_paging_and_orders(db):
    customer = new_customer(db)
    add_rules(db, rule(customer, "intern", category="network", see=False))
    intern = add_user(db, customer, ["buyer", "intern"])
    items, total = listing(db, intern)
    assert (sorted(items), total) == (["CBL-CAT6-5M", "SVC-INSTALL-ONSITE"], 2)
    assert listing(db, intern, q="switch") == ({}, 0)
    assert listing(db, intern, category="network") == ({}, 0)
    first, total = listing(db, intern, limit=1, offset=1)
    assert (list(first), total) == (["SVC-INSTALL-ONSITE"], 2)
    assert ordering(db, intern, "SW-24-PRO") == "SW-24-PRO: your role intern may not see the category network"


def test_a_sku_rule_beats_a_category_rule_and_all(db):
    customer = new_customer(db)
    add_rules(
        db,
        rule(customer, "technician", category="services", order=False),
        rule(customer, "technician", sku="SVC-INSTALL-ONSITE", order=True),
        rule(customer, "technician", sku="CBL-CAT6-5M", order=False),
        rule(customer, "technician", see=False),
    )
    tech = add_user(db, customer, ["buyer", "technician"])
    items, total = listing(db, tech)
    assert total == 2 and items == {
        "CBL-CAT6-5M": (False, "your role technician may see but not order CBL-CAT6-5M"),
        "SVC-INSTALL-ONSITE": (True, None),
    }  # the switch falls under "all": hidden
    assert ordering(db, tech, "SVC-INSTALL-ONSITE") is None
    assert ordering(db, tech, "SW-24-PRO") == "SW-24-PRO: your role technician may not see any item"


def test_a_whitelist_role_sees_only_what_it_is_allowed(db):
    customer = new_customer(db)
    add_rules(db, rule(customer, "apprentice", see=False), rule(customer, "apprentice", category="cables"))
    apprentice = add_user(db, customer, ["buyer", "apprentice"])
    assert listing(db, apprentice) == ({"CBL-CAT6-5M": (True, None)}, 1)


def test_rights_add_up_over_roles(db):
    customer = new_customer(db)
    add_rules(
        db,
        rule(customer, "technician", category="services", order=False),
        rule(customer, "installer", category="services", order=True),
        rule(customer, "viewer", category="services", see=False),
    )
    tech = add_user(db, customer, ["buyer", "technician"])
    both = add_user(db, customer, ["buyer", "technician", "installer"])
    hidden_and_seen = add_user(db, customer, ["buyer", "viewer", "technician"])
    assert listing(db, tech)[0]["SVC-INSTALL-ONSITE"][0] is False
    assert listing(db, both)[0]["SVC-INSTALL-ONSITE"] == (True, None)
    assert ordering(db, both, "SVC-INSTALL-ONSITE") is None
    # viewer hides services, technician shows them: shown (but not orderable)
    assert listing(db, hidden_and_seen)[0]["SVC-INSTALL-ONSITE"][0] is False
    assert ordering(db, hidden_and_seen, "SVC-INSTALL-ONSITE").endswith("may see but not order the category services")


def test_ordering_implies_seeing(db):
    customer = new_customer(db)
    add_rules(db, rule(customer, "odd", category="cables", see=False, order=True))
    user = add_user(db, customer, ["buyer", "odd"])
    assert "CBL-CAT6-5M" not in listing(db, user)[0]
    assert ordering(db, user, "CBL-CAT6-5M") == "CBL-CAT6-5M: your role odd may not see the category cables"


def test_a_subsidiary_uses_the_parents_rules_unless_it_has_its_own(db):
    parent = new_customer(db)
    child = add_customer(db, parent_id=parent)[0]
    add_rules(db, rule(parent, "technician", category="services", order=False))
    tech = add_user(db, child, ["buyer", "technician"])
    assert listing(db, tech)[0]["SVC-INSTALL-ONSITE"][0] is False
    assert ordering(db, tech, "SVC-INSTALL-ONSITE") is not None
    add_rules(db, rule(child, "technician", category="cables", order=False))  # its own rules replace the parent's
    items, _ = listing(db, tech)
    assert items["SVC-INSTALL-ONSITE"] == (True, None) and items["CBL-CAT6-5M"][0] is False
    assert ordering(db, tech, "SVC-INSTALL-ONSITE") is None


def test_users_who_are_not_buyers_see_but_cannot_order(db):
    customer = new_customer(db)
    approver = add_user(db, customer, ["approver"])
    items, total = listing(db, approver)
    assert total == 3 and set(items.values()) == {(False, "only a customer's buyers place orders")}
    with session_scope(db) as session:  # without the caller's roles: no role rules, everything orderable
        page = customer_catalog(session, customer, TODAY)
    assert all(i.orderable for i in page.items)


def test_the_catalog_and_validation_always_agree(db):
    customer = new_customer(db)
    add_rules(
        db,
        rule(customer, "a", category="services", order=False),
        rule(customer, "a", sku="SW-24-PRO", see=False),
        rule(customer, "b", see=False),
        rule(customer, "b", category="network"),
        rule(customer, "c", sku="SVC-INSTALL-ONSITE"),
        rule(customer, "c", category="cables", see=False),
    )
    for roles in (
        ["buyer"],
        ["buyer", "a"],
        ["buyer", "b"],
        ["buyer", "c"],
        ["buyer", "a", "b"],
        ["buyer", "a", "c"],
        ["buyer", "b", "c"],
        ["buyer", "a", "b", "c"],
    ):
        user = add_user(db, customer, roles)
        items, total = listing(db, user)
        assert total == len(items)
        for sku in PRICES:
            reason = ordering(db, user, sku)
            if sku not in items:
                assert reason is not None and "may not see" in reason, (roles, sku, reason)
            else:
                orderable, why = items[sku]
                assert (reason is None) == orderable, (roles, sku, reason)
                assert reason is None or reason == f"{sku}: {why}", (roles, sku, reason, why)


def test_demo_technician_sees_services_but_orders_only_the_rest(db):
    tech = Actor(id="tech@acme.example", roles=["buyer", "technician"], customer_id="acme")
    items, total = listing(db, tech)
    assert total == 3 and items["SVC-INSTALL-ONSITE"] == (
        False,
        "your role technician may see but not order the category services",
    )
    assert ordering(db, tech, "SVC-INSTALL-ONSITE") is not None
    assert ordering(db, tech, "CBL-CAT6-5M") is None
    for sku in PRICES:  # the demo buyer still orders everything
        assert ordering(db, BUYERS["acme"], sku) is None
    items, _ = listing(db, BUYERS["acme"])
    assert all(orderable for orderable, _ in items.values())


def test_rejections_name_the_line(db):
    tech = Actor(id="tech@acme.example", roles=["buyer", "technician"], customer_id="acme")
    with session_scope(db) as session, pytest.raises(OrderRejected) as rejected:
        validate_order(session, order(tech, ("CBL-CAT6-5M", 1), ("CBL-CAT6-5M", 2), ("SVC-INSTALL-ONSITE", 1)), TODAY)
    assert rejected.value.field == "lines[2].sku"


def test_rules_of_a_single_kind(db):
    customer = new_customer(db)
    add_rules(
        db, rule(customer, "no-switch", sku="SW-24-PRO", see=False), rule(customer, "look-only", see=True, order=False)
    )
    no_switch = add_user(db, customer, ["buyer", "no-switch"])
    look_only = add_user(db, customer, ["buyer", "look-only"])
    assert listing(db, no_switch) == ({"CBL-CAT6-5M": (True, None), "SVC-INSTALL-ONSITE": (True, None)}, 2)
    items, total = listing(db, look_only)
    assert total == 3 and set(items.values()) == {(False, "your role look-only may see but not order any item")}
    assert ordering(db, look_only, "CBL-CAT6-5M") == ("CBL-CAT6-5M: your role look-only may see but not order any item")
