"""The audit trail of commercial terms (customers/audit.py): every kind of edit records one entry with
its actor, the entity before and after (plain JSON, decimals as strings), in the edit's own
transaction; an edit that changes nothing, and a refused one, record nothing; the trail reads
newest first, a page at a time. On SQLite and PostgreSQL, on fresh customers and contracts."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from catalog import quality, subassortments, view_edits
from contracts import terms as contract_terms
from core.database import session_scope
from customers import audit, errors
from customers import rule_edits as rules
from customers.price_lists import delete_price_list, put_price_list
from models.catalog_changes import CatalogChangeOut
from models.catalog_versions import FilterRule, QualityRuleIn, SubAssortmentIn
from models.contracts import ContractItemTerms, ContractTermsUpdate
from models.customer_rules import (
    PartNumberIn,
    PriceListEntry,
    PriceListIn,
    RoleLimitIn,
    RoleRule,
    SpecialItemIn,
)
from tests.catalog.data import add_customer
from tests.catalog.test_customer_rules import pause_first_record
from tests.dbs import database_fixture

db = database_fixture(scope="module")

MANAGER = "catalog@seller.example"
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))
D = Decimal


def trail(db, **filters) -> list[CatalogChangeOut]:
    with session_scope(db) as session:
        return audit.changes(session, limit=audit.MAX_LIMIT, **filters).changes


def one_new(db, seen: int, **filters) -> CatalogChangeOut:
    """The one entry recorded since the trail (with `filters`) had `seen` entries."""
    entries = trail(db, **filters)
    assert len(entries) == seen + 1, entries
    return entries[0]


def test_contract_terms_and_items(db):
    customer, contract = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    mine = {"contract_id": contract}

    contract_terms.update_terms(
        db, contract, ContractTermsUpdate(tolerance_percent=D("10"), on_exceed="expert"), actor=MANAGER
    )
    change = one_new(db, 0, **mine)
    assert (change.kind, change.actor, change.customer_id, change.contract_id, change.subject, change.action) == (
        "contract.terms",
        MANAGER,
        customer,
        contract,
        None,
        "changed",
    )
    assert (change.before["tolerance_percent"], change.before["on_exceed"]) == ("0.00", "reject")
    assert (change.after["tolerance_percent"], change.after["on_exceed"]) == ("10.00", "expert")
    assert change.after["valid_to"] == "2030-12-31" and change.at.tzinfo is not None

    # the same values again (10 is 10.00 as stored): nothing changed, nothing recorded
    contract_terms.update_terms(db, contract, ContractTermsUpdate(tolerance_percent=D("10.0")), actor=MANAGER)
    # refused: nothing changed, nothing recorded
    with pytest.raises(contract_terms.InvalidTerms):
        contract_terms.update_terms(db, contract, ContractTermsUpdate(valid_from=date(2031, 1, 1)), actor="someone")
    assert len(trail(db, **mine)) == 1

    contract_terms.set_item(
        db, contract, "SW-24-PRO", ContractItemTerms(price=D("1400"), agreed_quantity=10), actor=MANAGER
    )
    change = one_new(db, 1, **mine)
    assert (change.kind, change.subject, change.action, change.before) == (
        "contract.item",
        "SW-24-PRO",
        "created",
        None,
    )
    assert change.after == {
        "contract_id": contract,
        "sku": "SW-24-PRO",
        "price": "1400.00",
        "agreed_quantity": 10,
        "value_cap": None,
    }
    contract_terms.set_item(db, contract, "CBL-CAT6-5M", ContractItemTerms(price=D("4.0")), actor=MANAGER)  # as it is
    with pytest.raises(contract_terms.InvalidTerms):
        contract_terms.set_item(db, contract, "NO-SUCH-SKU", ContractItemTerms(price=D("1")), actor=MANAGER)
    contract_terms.set_item(
        db, contract, "CBL-CAT6-5M", ContractItemTerms(price=D("3.95"), value_cap=D("500")), actor="cli:carla"
    )
    change = one_new(db, 2, **mine)
    assert (change.actor, change.subject, change.action) == ("cli:carla", "CBL-CAT6-5M", "changed")
    assert (change.before["price"], change.before["value_cap"]) == ("4.00", None)
    assert (change.after["price"], change.after["value_cap"]) == ("3.95", "500.00")
    # a contract's changes are its customer's too
    assert [c.id for c in trail(db, customer_id=customer)] == [c.id for c in trail(db, **mine)]


def price_list(*entries: tuple[str, int, str | None], name: str = "Test prices") -> PriceListIn:
    return PriceListIn(
        name=name,
        valid_from=date(2025, 1, 1),
        entries=[PriceListEntry(sku=s, min_quantity=q, price=p) for s, q, p in entries],
    )


def test_price_lists(db):
    customer, _ = add_customer(db)
    mine, pl = {"customer_id": customer}, "PL-" + customer

    put_price_list(db, customer, pl, price_list(("SW-24-PRO", 1, "1600"), ("SW-24-PRO", 10, None)), actor=MANAGER)
    change = one_new(db, 0, **mine)
    assert (change.kind, change.subject, change.action, change.before) == ("price_list", pl, "created", None)
    assert change.after == {
        "id": pl,
        "customer_id": customer,
        "name": "Test prices",
        "currency": "EUR",
        "valid_from": "2025-01-01",
        "valid_to": None,
        "entries": [
            {"sku": "SW-24-PRO", "min_quantity": 1, "price": "1600.00"},
            {"sku": "SW-24-PRO", "min_quantity": 10, "price": None},
        ],
    }
    put_price_list(
        db, customer, pl, price_list(("SW-24-PRO", 10, None), ("SW-24-PRO", 1, "1600.0")), actor=MANAGER
    )  # the same list, entries in another order
    with pytest.raises(errors.InvalidRule):
        put_price_list(db, customer, pl, price_list(("NO-SUCH-SKU", 1, "1")), actor=MANAGER)
    assert len(trail(db, **mine)) == 1

    put_price_list(db, customer, pl, price_list(("SW-24-PRO", 1, "1590.00"), name="Renamed"), actor=MANAGER)
    change = one_new(db, 1, **mine)
    assert change.action == "changed" and change.before["entries"][0]["price"] == "1600.00"
    assert (change.after["name"], change.after["entries"]) == (
        "Renamed",
        [{"sku": "SW-24-PRO", "min_quantity": 1, "price": "1590.00"}],
    )

    delete_price_list(db, customer, pl, actor=MANAGER)
    change = one_new(db, 2, **mine)
    assert (change.action, change.after, change.before["name"]) == ("deleted", None, "Renamed")
    with pytest.raises(errors.RuleNotFound):
        delete_price_list(db, customer, pl, actor=MANAGER)
    assert len(trail(db, **mine)) == 3


def test_role_rules_and_limits(db):
    customer, _ = add_customer(db)
    mine = {"customer_id": customer}
    intern = RoleRule(role="intern", scope="sku", target="CBL-CAT6-5M", may_see=True, may_order=False)
    technician = RoleRule(role="technician", scope="category", target="services", may_order=False)

    rules.replace_role_rules(db, customer, [intern], actor=MANAGER)
    change = one_new(db, 0, **mine)
    assert (change.kind, change.subject, change.before) == ("role_rules", None, [])
    assert change.after == [intern.model_dump()]
    rules.replace_role_rules(db, customer, [intern], actor=MANAGER)  # the same set
    with pytest.raises(errors.InvalidRule):
        rules.replace_role_rules(db, customer, [intern, intern], actor=MANAGER)
    assert len(trail(db, **mine)) == 1
    # a set that keeps a rule and adds one
    rules.replace_role_rules(db, customer, [technician, intern.model_copy(update={"may_see": False})], actor=MANAGER)
    change = one_new(db, 1, **mine)
    assert (change.before, [r["role"] for r in change.after]) == ([intern.model_dump()], ["intern", "technician"])
    assert change.after[0]["may_see"] is False

    rules.put_role_rule(db, customer, technician.model_copy(update={"may_order": True}), actor=MANAGER)
    change = one_new(db, 2, **mine)
    assert (change.kind, change.subject, change.action) == ("role_rule", "technician category services", "changed")
    assert (change.before["may_order"], change.after["may_order"]) == (False, True)
    rules.put_role_rule(db, customer, technician.model_copy(update={"may_order": True}), actor=MANAGER)  # as it is
    with pytest.raises(errors.InvalidRule):
        rules.put_role_rule(db, customer, RoleRule(role="intern", scope="sku", target="NOPE"), actor=MANAGER)
    rules.delete_role_rule(db, customer, "technician", "category", "services", actor=MANAGER)
    change = one_new(db, 3, **mine)
    assert (change.kind, change.action, change.after) == ("role_rule", "deleted", None)

    rules.put_role_limit(db, customer, "buyer", RoleLimitIn(order_limit=D("1000")), actor=MANAGER)
    change = one_new(db, 4, **mine)
    assert (change.kind, change.subject, change.before) == ("role_limit", "buyer", None)
    assert (change.after["order_limit"], change.after["monthly_limit"]) == ("1000.00", None)
    rules.put_role_limit(db, customer, "buyer", RoleLimitIn(order_limit=D("1000.00")), actor=MANAGER)  # as it is
    with pytest.raises(errors.InvalidRule):
        rules.put_role_limit(db, customer, "r" * 65, RoleLimitIn(), actor=MANAGER)
    rules.put_role_limit(db, customer, "buyer", RoleLimitIn(monthly_limit=D("3000")), actor=MANAGER)
    change = one_new(db, 5, **mine)
    assert (change.before["order_limit"], change.after["order_limit"], change.after["monthly_limit"]) == (
        "1000.00",
        None,
        "3000.00",
    )
    rules.delete_role_limit(db, customer, "buyer", actor=MANAGER)
    assert one_new(db, 6, **mine).action == "deleted"


def test_part_numbers_and_special_items(db):
    customer, _ = add_customer(db)
    mine = {"customer_id": customer}

    rules.put_part_number(db, customer, "SW-24-PRO", PartNumberIn(part_number="P-1"), actor=MANAGER)
    change = one_new(db, 0, **mine)
    assert (change.kind, change.subject, change.after["part_number"]) == ("part_number", "SW-24-PRO", "P-1")
    rules.put_part_number(db, customer, "SW-24-PRO", PartNumberIn(part_number=" P-1 "), actor=MANAGER)  # as it is
    with pytest.raises(errors.InvalidRule):
        rules.put_part_number(db, customer, "NO-SUCH-SKU", PartNumberIn(part_number="X"), actor=MANAGER)
    rules.put_part_number(db, customer, "SW-24-PRO", PartNumberIn(part_number="P-2"), actor=MANAGER)
    change = one_new(db, 1, **mine)
    assert (change.before["part_number"], change.after["part_number"]) == ("P-1", "P-2")
    rules.delete_part_number(db, customer, "SW-24-PRO", actor=MANAGER)
    assert one_new(db, 2, **mine).action == "deleted"

    rules.put_special_item(db, customer, "PWR-UPS-AT", SpecialItemIn(price=D("589")), actor=MANAGER)
    change = one_new(db, 3, **mine)
    assert (change.kind, change.subject, change.after["price"]) == ("special_item", "PWR-UPS-AT", "589.00")
    rules.put_special_item(db, customer, "PWR-UPS-AT", SpecialItemIn(price=D("589.0")), actor=MANAGER)  # as it is
    rules.put_special_item(db, customer, "PWR-UPS-AT", SpecialItemIn(price=D("579.5")), actor=MANAGER)
    change = one_new(db, 4, **mine)
    assert (change.before["price"], change.after["price"]) == ("589.00", "579.50")
    with pytest.raises(errors.RuleNotFound):
        rules.delete_special_item(db, customer, "SW-24-PRO", actor=MANAGER)
    rules.delete_special_item(db, customer, "PWR-UPS-AT", actor=MANAGER)
    assert one_new(db, 5, **mine).action == "deleted"


def set_quality_rules(db, customer: str, rules_: list[QualityRuleIn], actor: str = MANAGER) -> None:
    with session_scope(db, write_lock=True) as session:
        view_edits.set_quality_rules(session, customer, rules_, actor=actor)


def set_view(db, customer: str, body: SubAssortmentIn | None, actor: str = MANAGER) -> None:
    with session_scope(db, write_lock=True) as session:
        view_edits.replace_subassortment(session, customer, body, actor=actor)


def test_quality_rules_and_sub_assortments(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    mine = {"customer_id": customer}

    set_quality_rules(db, customer, [QualityRuleIn(rule="image"), QualityRuleIn(rule="classification")])
    change = one_new(db, 0, **mine)
    assert (change.kind, change.subject, change.before) == ("quality_rules", None, [])
    assert change.after == [
        {"rule": "classification", "params": {"systems": ["ECLASS", "UNSPSC"]}},
        {"rule": "image", "params": {}},
    ]
    # the same rules (in another order, the default systems spelled out): nothing recorded
    set_quality_rules(
        db,
        customer,
        [QualityRuleIn(rule="classification", params={"systems": ["eclass", "unspsc"]}), QualityRuleIn(rule="image")],
    )
    with pytest.raises(quality.InvalidRule):
        set_quality_rules(db, customer, [QualityRuleIn(rule="min_description_length")])  # no length
    assert len(trail(db, **mine)) == 1
    set_quality_rules(db, customer, [], actor="cli:carla")
    change = one_new(db, 1, **mine)
    assert (change.actor, len(change.before), change.after) == ("cli:carla", 2, [])

    view = SubAssortmentIn(
        name="cables", categories=["cables"], rules=[FilterRule(field="list_price", op="lte", value=10)]
    )
    set_view(db, customer, view)
    change = one_new(db, 2, **mine)
    assert (change.kind, change.action, change.before) == ("sub_assortment", "created", None)
    assert change.after == view.model_dump(mode="json")
    set_view(db, customer, view)  # as it is
    with pytest.raises(subassortments.InvalidDefinition):
        set_view(db, customer, SubAssortmentIn(rules=[FilterRule(field="colour", op="present")]))
    assert len(trail(db, **mine)) == 3
    set_view(db, customer, None)
    change = one_new(db, 3, **mine)
    assert (change.action, change.before["name"], change.after) == ("deleted", "cables", None)


def test_a_change_and_its_record_roll_back_together(db):
    customer, _ = add_customer(db)
    with pytest.raises(RuntimeError), session_scope(db, write_lock=True) as session:
        view_edits.set_quality_rules(session, customer, [QualityRuleIn(rule="image")], actor=MANAGER)
        raise RuntimeError("something after the edit fails")
    with session_scope(db) as session:
        assert quality.rule_inputs(session, customer) == []
    assert trail(db, customer_id=customer) == []
    with pytest.raises(ValueError):  # every change names who made it
        set_quality_rules(db, customer, [QualityRuleIn(rule="image")], actor="")
    assert trail(db, customer_id=customer) == []


def test_newest_first_a_page_at_a_time(db):
    customer, contract = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    for n in range(5):
        rules.put_part_number(db, customer, "SW-24-PRO", PartNumberIn(part_number=f"P-{n}"), actor=MANAGER)
    contract_terms.update_terms(db, contract, ContractTermsUpdate(payment_terms_days=45), actor=MANAGER)

    everything = trail(db, customer_id=customer)
    assert [c.kind for c in everything] == ["contract.terms"] + ["part_number"] * 5
    assert [c.after["part_number"] for c in everything[1:]] == ["P-4", "P-3", "P-2", "P-1", "P-0"]
    assert [c.id for c in everything] == sorted((c.id for c in everything), reverse=True)
    assert [c.id for c in trail(db, customer_id=customer, kind="part_number")] == [c.id for c in everything[1:]]
    assert [c.kind for c in trail(db, contract_id=contract)] == ["contract.terms"]

    pages, before_id = [], None
    with session_scope(db) as session:
        while True:
            page = audit.changes(session, customer_id=customer, limit=4, before_id=before_id)
            pages.append([c.id for c in page.changes])
            if page.next_before_id is None:
                break
            before_id = page.next_before_id
    assert pages == [[c.id for c in everything[:4]], [c.id for c in everything[4:]]]
    with session_scope(db) as session:  # exactly a page's worth: no next page
        assert audit.changes(session, customer_id=customer, limit=6).next_before_id is None


def test_two_first_puts_of_one_contract_item_at_once_both_land_and_record_in_order(db, monkeypatch):
    # set_item did not lock the contract: on PostgreSQL both saw no item and both inserted it, the
    # later commit failing with a unique violation (a 500)
    _customer, contract = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    recording, release = pause_first_record(monkeypatch)  # the first edit waits with its transaction open
    errors: list[Exception] = []

    def put(price: str, actor: str) -> None:
        try:
            contract_terms.set_item(db, contract, "SW-24-PRO", ContractItemTerms(price=D(price)), actor=actor)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    first = threading.Thread(target=put, args=("1400.00", "first@seller.example"))
    first.start()
    assert recording.wait(30)
    second = threading.Thread(target=put, args=("1390.00", "second@seller.example"))
    second.start()
    time.sleep(1)  # the second is waiting for the first (PostgreSQL: the contract's row lock; SQLite: the write lock)
    release.set()
    first.join(30)
    second.join(30)
    assert errors == []
    changes = trail(db, contract_id=contract)
    assert [(c.actor, c.action, c.after["price"]) for c in changes] == [
        ("second@seller.example", "changed", "1390.00"),
        ("first@seller.example", "created", "1400.00"),
    ]
    assert changes[0].before["price"] == "1400.00"


def test_a_before_id_beyond_any_id_reads_from_the_newest(db):
    # the id column is an INTEGER: PostgreSQL refused a bound above 2^31 - 1, SQLite one above 2^63 - 1
    customer, _ = add_customer(db)
    rules.put_part_number(db, customer, "SW-24-PRO", PartNumberIn(part_number="P-1"), actor=MANAGER)
    newest = trail(db, customer_id=customer)
    for before_id in (2**31 - 1, 2**31, 2**63, 10**30):
        with session_scope(db) as session:
            page = audit.changes(session, customer_id=customer, before_id=before_id)
        assert [c.id for c in page.changes] == [c.id for c in newest], before_id


def test_the_largest_amounts_the_contract_models_take_are_stored(db):
    # NUMERIC(14, 2) and INTEGER columns: the models refuse what PostgreSQL cannot store (it failed
    # with a numeric or integer overflow, a 500) and cents beyond the second place (silently rounded:
    # a price of 0.001 passed "greater than 0" and was stored as 0.00)
    _, contract = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    largest = ContractItemTerms(price=D("999999999999.99"), agreed_quantity=2**31 - 1, value_cap=D("999999999999.99"))
    contract_terms.set_item(db, contract, "SW-24-PRO", largest, actor=MANAGER)
    contract_terms.update_terms(
        db, contract, ContractTermsUpdate(value_cap=D("999999999999.99"), tolerance_percent=D("100")), actor=MANAGER
    )
    [item, terms] = trail(db, contract_id=contract)[::-1]
    assert (item.after["price"], item.after["agreed_quantity"]) == ("999999999999.99", 2**31 - 1)
    assert terms.after["value_cap"] == "999999999999.99"
    for model, data in (
        (ContractItemTerms, {"price": "1000000000000"}),
        (ContractItemTerms, {"price": "0.001"}),
        (ContractItemTerms, {"price": "1", "agreed_quantity": 2**31}),
        (ContractItemTerms, {"price": "1", "value_cap": "1000000000000"}),
        (ContractTermsUpdate, {"value_cap": "1000000000000"}),
        (ContractTermsUpdate, {"value_cap": "0.005"}),
        (ContractTermsUpdate, {"tolerance_percent": "10.005"}),
    ):
        with pytest.raises(ValidationError):
            model.model_validate(data)
