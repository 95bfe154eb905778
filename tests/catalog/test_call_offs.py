"""The call-offs of a contract: newest first, what each consumed, released ones marked; on SQLite
and PostgreSQL."""

from decimal import Decimal

from contracts import consumption
from contracts.call_offs import call_offs
from core.database import session_scope
from tests.catalog.data import new_id
from tests.catalog.test_contract_consumption import line, make_contract


def listed(db, contract_id: str, **kwargs):
    with session_scope(db) as session:
        return call_offs(session, contract_id, **kwargs)


def test_call_offs_newest_first_with_lines_and_release(db):
    contract_id = make_contract(db, agreed={"SW-24-PRO": 3})
    first, second, third = new_id("O"), new_id("O"), new_id("O")
    assert consumption.consume(db, contract_id, first, [line("SW-24-PRO", 2), line("CBL-CAT6-5M", 10)]).accepted
    assert consumption.consume(db, contract_id, second, [line("CBL-CAT6-5M", 4)]).accepted
    assert consumption.consume(db, contract_id, third, [line("SW-24-PRO", 2)], force=True).forced  # 4 of 3: expert
    consumption.release(db, second)

    got = listed(db, contract_id)
    assert [c.order_id for c in got] == [third, second, first]
    assert [c.status for c in got] == ["active", "released", "active"]
    assert got[0].forced and not got[2].forced
    assert got[1].released_at is not None and got[2].released_at is None
    assert [(li.sku, li.quantity, li.value) for li in got[2].lines] == [
        ("CBL-CAT6-5M", 10, Decimal("50.00")),
        ("SW-24-PRO", 2, Decimal("2000.00")),
    ]
    assert got[2].value == Decimal("2050.00")

    assert [c.order_id for c in listed(db, contract_id, status="released")] == [second]
    assert [c.order_id for c in listed(db, contract_id, status="active", limit=1)] == [third]
    assert listed(db, make_contract(db)) == []
