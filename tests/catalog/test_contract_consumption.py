"""Call-off consumption of framework contracts, on SQLite and PostgreSQL: agreed quantities,
tolerance, value caps per item and in total, idempotency per order, release, and orders racing
for the last units (no overbooking)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts import consumption as contracts
from contracts.tables import ACTIVE, RELEASED, TOTAL, Contract, ContractConsumption, ContractItem
from core.database import session_scope
from models.contracts import ConsumptionLine
from tests.catalog.data import add_customer, new_id

PRICES = {"SW-24-PRO": "1000.00", "CBL-CAT6-5M": "5.00", "SVC-INSTALL-ONSITE": "800.00"}


def make_contract(
    db,
    *,
    agreed: dict[str, int] | None = None,
    item_caps: dict[str, str] | None = None,
    value_cap: str | None = None,
    tolerance: str = "0",
    on_exceed: str = "reject",
    special: dict[str, str] | None = None,
) -> str:
    """A fresh customer with a contract over PRICES and the given consumption terms."""
    _, contract_id = add_customer(db, contract=(date(2025, 1, 1), date(2030, 12, 31)), prices=PRICES, special=special)
    with session_scope(db) as session:
        contract = session.get(Contract, contract_id)
        contract.tolerance_percent, contract.on_exceed = Decimal(tolerance), on_exceed
        contract.value_cap = None if value_cap is None else Decimal(value_cap)
        for sku, quantity in (agreed or {}).items():
            session.get(ContractItem, (contract_id, sku)).agreed_quantity = quantity
        for sku, cap in (item_caps or {}).items():
            session.get(ContractItem, (contract_id, sku)).value_cap = Decimal(cap)
    return contract_id


def line(sku: str, quantity: int, value: str | None = None) -> ConsumptionLine:
    unit = Decimal(PRICES.get(sku, "1.00"))
    return ConsumptionLine(sku=sku, quantity=quantity, value=Decimal(value) if value else unit * quantity)


def item_usage(db, contract_id: str, sku: str):
    with session_scope(db) as session:
        return next(i for i in contracts.usage(session, contract_id).items if i.sku == sku)


def contract_usage(db, contract_id: str):
    with session_scope(db) as session:
        return contracts.usage(session, contract_id)


def test_a_call_off_within_the_agreement_consumes_it(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10})
    result = contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 4), line("CBL-CAT6-5M", 20)])
    assert result.accepted and not result.forced and result.reason is None
    assert [(li.sku, li.quantity, li.value) for li in result.lines] == [
        ("CBL-CAT6-5M", 20, Decimal("100.00")),
        ("SW-24-PRO", 4, Decimal("4000.00")),
    ]
    switch = item_usage(db, contract_id, "SW-24-PRO")
    assert (switch.agreed_quantity, switch.limit_quantity, switch.consumed_quantity, switch.remaining_quantity) == (
        10,
        10,
        4,
        6,
    )
    cables = item_usage(db, contract_id, "CBL-CAT6-5M")  # no agreement: consumption is still shown
    assert (cables.agreed_quantity, cables.consumed_quantity, cables.remaining_quantity) == (None, 20, None)
    usage = contract_usage(db, contract_id)
    assert usage.consumed_value == Decimal("4100.00") and usage.orders == 1 and usage.remaining_value is None


def test_beyond_the_remaining_quantity_nothing_is_consumed_and_the_reason_names_what_remains(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10}, on_exceed="expert")
    assert contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 7)]).accepted
    result = contracts.consume(db, contract_id, "O-2", [line("SW-24-PRO", 4), line("CBL-CAT6-5M", 1)])
    assert not result.accepted and result.on_exceed == "expert"
    assert result.reason == "SW-24-PRO: 3 of the agreed 10 remain (tolerance 0 %), 4 ordered"
    assert item_usage(db, contract_id, "SW-24-PRO").consumed_quantity == 7
    assert item_usage(db, contract_id, "CBL-CAT6-5M").consumed_quantity == 0  # all or nothing
    assert contract_usage(db, contract_id).orders == 1
    # exactly the rest fits
    assert contracts.consume(db, contract_id, "O-3", [line("SW-24-PRO", 3)]).accepted
    assert item_usage(db, contract_id, "SW-24-PRO").remaining_quantity == 0


def test_the_tolerance_allows_an_over_order(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 100}, tolerance="5")
    assert contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 100)]).accepted
    usage = item_usage(db, contract_id, "SW-24-PRO")
    assert (usage.limit_quantity, usage.remaining_quantity) == (105, 5)
    refused = contracts.consume(db, contract_id, "O-2", [line("SW-24-PRO", 6)])
    assert refused.reason == "SW-24-PRO: 5 of the agreed 100 remain (tolerance 5 %), 6 ordered"
    assert contracts.consume(db, contract_id, "O-3", [line("SW-24-PRO", 5)]).accepted
    assert item_usage(db, contract_id, "SW-24-PRO").consumed_quantity == 105


def test_a_fractional_tolerance_rounds_down_to_whole_units(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10}, tolerance="2.5")  # 10.25 -> 10
    result = contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 11)])
    assert result.reason == "SW-24-PRO: 10 of the agreed 10 remain (tolerance 2.5 %), 11 ordered"
    assert item_usage(db, contract_id, "SW-24-PRO").limit_quantity == 10


def test_a_value_cap_per_item_with_tolerance(db):
    contract_id = make_contract(db, item_caps={"CBL-CAT6-5M": "1000.00"}, tolerance="10")  # up to 1100.00
    assert contracts.consume(db, contract_id, "O-1", [line("CBL-CAT6-5M", 200, "1000.00")]).accepted
    result = contracts.consume(db, contract_id, "O-2", [line("CBL-CAT6-5M", 21, "105.00")])
    assert not result.accepted
    assert result.reason == (
        "CBL-CAT6-5M: 100.00 EUR of the agreed value 1000.00 EUR remain (tolerance 10 %), 105.00 EUR ordered"
    )
    assert contracts.consume(db, contract_id, "O-3", [line("CBL-CAT6-5M", 20, "100.00")]).accepted
    usage = item_usage(db, contract_id, "CBL-CAT6-5M")
    assert (usage.value_cap, usage.consumed_value, usage.remaining_value) == (
        Decimal("1000.00"),
        Decimal("1100.00"),
        Decimal("0.00"),
    )


def test_a_value_cap_in_total_over_all_contracted_items(db):
    contract_id = make_contract(db, value_cap="5000.00")
    assert contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 3), line("CBL-CAT6-5M", 100)]).accepted
    result = contracts.consume(db, contract_id, "O-2", [line("SVC-INSTALL-ONSITE", 1), line("CBL-CAT6-5M", 1)])
    assert result.accepted  # 805.00 fits into the remaining 1500.00
    over = contracts.consume(db, contract_id, "O-3", [line("SW-24-PRO", 1)])
    assert over.reason == (
        f"contract {contract_id}: 695.00 EUR of the agreed value 5000.00 EUR remain "
        "(tolerance 0 %), 1000.00 EUR ordered"
    )
    usage = contract_usage(db, contract_id)
    assert (usage.value_cap, usage.consumed_value, usage.remaining_value, usage.orders) == (
        Decimal("5000.00"),
        Decimal("4305.00"),
        Decimal("695.00"),
        2,
    )


def test_every_exceeded_limit_is_named(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 2, "SVC-INSTALL-ONSITE": 1}, value_cap="2000.00")
    result = contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 3), line("SVC-INSTALL-ONSITE", 2)])
    assert result.reason == "; ".join(
        [
            "SVC-INSTALL-ONSITE: 1 of the agreed 1 remain (tolerance 0 %), 2 ordered",
            "SW-24-PRO: 2 of the agreed 2 remain (tolerance 0 %), 3 ordered",
            f"contract {contract_id}: 2000.00 EUR of the agreed value 2000.00 EUR remain (tolerance 0 %), "
            "4600.00 EUR ordered",
        ]
    )


def test_lines_of_one_sku_count_together_and_items_outside_the_contract_do_not_count(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 5}, special={"PWR-UPS-AT": "500.00"})
    two_configurations = [line("SW-24-PRO", 3), line("SW-24-PRO", 3)]
    assert contracts.consume(db, contract_id, "O-1", two_configurations).reason == (
        "SW-24-PRO: 5 of the agreed 5 remain (tolerance 0 %), 6 ordered"
    )
    result = contracts.consume(
        db, contract_id, "O-2", [line("SW-24-PRO", 2), line("SW-24-PRO", 3), line("PWR-UPS-AT", 9, "4500.00")]
    )
    assert result.accepted and [(li.sku, li.quantity) for li in result.lines] == [("SW-24-PRO", 5)]
    assert contract_usage(db, contract_id).consumed_value == Decimal("5000.00")


def test_consuming_is_idempotent_per_order(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10})
    first = contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 6)])
    again = contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 6)])
    assert again == first
    # a retry is answered from the ledger, whatever it carries
    assert contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 9)]) == first
    assert item_usage(db, contract_id, "SW-24-PRO").consumed_quantity == 6
    with session_scope(db) as session:
        rows = (
            session.execute(select(ContractConsumption.sku).where(ContractConsumption.contract_id == contract_id))
            .scalars()
            .all()
        )
    assert sorted(rows) == [TOTAL, "SW-24-PRO"]


def test_the_expert_may_force_an_over_order(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10}, on_exceed="expert")
    assert contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 8)]).accepted
    forced = contracts.consume(db, contract_id, "O-2", [line("SW-24-PRO", 5)], force=True)
    assert forced.accepted and forced.forced
    assert forced.reason == "SW-24-PRO: 2 of the agreed 10 remain (tolerance 0 %), 5 ordered"
    usage = item_usage(db, contract_id, "SW-24-PRO")
    assert (usage.consumed_quantity, usage.remaining_quantity) == (13, 0)
    assert contracts.consume(db, contract_id, "O-3", [line("SW-24-PRO", 1)]).reason == (
        "SW-24-PRO: 0 of the agreed 10 remain (tolerance 0 %), 1 ordered"
    )
    # forcing what fits anyway is no exception
    assert not contracts.consume(db, make_contract(db), "O-4", [line("SW-24-PRO", 1)], force=True).forced


def test_release_gives_the_quantity_back_once(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10}, value_cap="9000.00")
    order_id = new_id("O")
    contracts.consume(db, contract_id, order_id, [line("SW-24-PRO", 8)])
    assert not contracts.consume(db, contract_id, "O-other", [line("SW-24-PRO", 3)]).accepted
    assert contracts.release(db, order_id) == 2  # the item's row and the total's
    assert contracts.release(db, order_id) == 0  # idempotent
    assert contracts.release(db, new_id("O-unknown")) == 0
    usage = contract_usage(db, contract_id)
    assert (usage.consumed_value, usage.remaining_value, usage.orders) == (Decimal("0.00"), Decimal("9000.00"), 0)
    assert item_usage(db, contract_id, "SW-24-PRO").remaining_quantity == 10
    assert contracts.consume(db, contract_id, "O-other", [line("SW-24-PRO", 3)]).accepted
    with session_scope(db) as session:  # the history stays in the ledger
        statuses = (
            session.execute(select(ContractConsumption.status).where(ContractConsumption.order_id == order_id))
            .scalars()
            .all()
        )
    assert statuses == [RELEASED, RELEASED]
    # a released order asked again is answered from the ledger: it does not consume a second time
    assert contracts.consume(db, contract_id, order_id, [line("SW-24-PRO", 8)]).released
    assert item_usage(db, contract_id, "SW-24-PRO").consumed_quantity == 3


def test_usage_and_summaries(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10}, tolerance="5", on_exceed="expert")
    contracts.consume(db, contract_id, "O-1", [line("SW-24-PRO", 2)])
    with session_scope(db) as session:
        usage = contracts.usage(session, contract_id, as_of=date(2026, 6, 1))
        customer_id = usage.customer_id
        assert contracts.usage(session, "no-such-contract") is None
        assert contracts.usage(session, contract_id, as_of=date(2031, 1, 1)).in_force is False
        listed = contracts.summaries(session, [customer_id], as_of=date(2026, 6, 1))
        everything = contracts.summaries(session, None)
    assert usage.in_force and usage.tolerance_percent == Decimal("5") and usage.on_exceed == "expert"
    assert [i.sku for i in usage.items] == sorted(PRICES)
    assert [(s.contract_id, s.consumed_value, s.orders, s.in_force) for s in listed] == [
        (contract_id, Decimal("2000.00"), 1, True)
    ]
    assert {"ACME-FC-2026", "GLOBEX-FC-2026", contract_id} <= {s.contract_id for s in everything}


# --- orders racing for the last units ---------------------------------------------------------------


def race(db, contract_id: str, orders: list[tuple[str, list[ConsumptionLine]]]) -> list:
    """Runs the consumptions in threads released at the same moment; returns results or errors."""
    barrier = threading.Barrier(len(orders))
    results: list = [None] * len(orders)

    def run(index: int, order_id: str, lines: list[ConsumptionLine]) -> None:
        barrier.wait()
        try:
            results[index] = contracts.consume(db, contract_id, order_id, lines)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, order_id, lines)) for i, (order_id, lines) in enumerate(orders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [r for r in results if isinstance(r, Exception) or r is None], results
    return results


def active(db, contract_id: str, sku: str) -> int:
    with session_scope(db) as session:
        return session.execute(
            select(func.coalesce(func.sum(ContractConsumption.quantity), 0)).where(
                ContractConsumption.contract_id == contract_id,
                ContractConsumption.sku == sku,
                ContractConsumption.status == ACTIVE,
            )
        ).scalar_one()


THREADS = 8


@pytest.mark.parametrize(
    ("agreed", "tolerance", "each", "winners"),
    [
        (5, "20", 1, 6),  # the last unit is the tolerance's: 6 of 8 orders get one
        (5, "0", 2, 2),  # 2 + 2 fit, the third 2 does not: one unit stays
        (3, "0", 3, 1),  # all eight want all of it
    ],
)
def test_orders_racing_for_the_last_units_never_overbook(db, agreed, tolerance, each, winners):
    contract_id = make_contract(db, agreed={"SW-24-PRO": agreed}, tolerance=tolerance)
    orders = [(new_id("O-race"), [line("SW-24-PRO", each)]) for _ in range(THREADS)]
    results = race(db, contract_id, orders)
    accepted = [r for r in results if r.accepted]
    assert len(accepted) == winners
    limit = contracts.quantity_limit(agreed, Decimal(tolerance))
    assert active(db, contract_id, "SW-24-PRO") == winners * each <= limit
    for loser in (r for r in results if not r.accepted):
        assert loser.reason.startswith("SW-24-PRO: ") and f"of the agreed {agreed} remain" in loser.reason
    assert item_usage(db, contract_id, "SW-24-PRO").remaining_quantity == limit - winners * each


def test_orders_racing_for_a_value_cap_never_overbook(db):
    contract_id = make_contract(db, value_cap="3500.00")
    orders = [(new_id("O-race"), [line("SW-24-PRO", 1)]) for _ in range(THREADS)]  # 1000.00 each
    assert len([r for r in race(db, contract_id, orders) if r.accepted]) == 3
    assert contract_usage(db, contract_id).consumed_value == Decimal("3000.00")


def test_retries_of_one_order_racing_each_other_consume_once(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 10})
    order_id = new_id("O-retry")
    results = race(db, contract_id, [(order_id, [line("SW-24-PRO", 4)])] * THREADS)
    assert all(r.accepted for r in results) and len({r.model_dump_json() for r in results}) == 1
    assert active(db, contract_id, "SW-24-PRO") == 4
