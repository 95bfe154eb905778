"""Money: Decimal everywhere, commercial rounding to the cent, VAT per line; and amounts go through
the database (MoneyType) and come back as exact Decimals on SQLite and PostgreSQL."""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text

from catalog.tables import Item
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from models.money import Amounts, line_amounts, round_money, total
from models.orders import PricedLine


def test_rounding_is_commercial_half_up():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("0.015")) == Decimal("0.02")
    assert round_money(Decimal("0.025")) == Decimal("0.03")  # banker's rounding would give 0.02
    assert round_money(Decimal("2.394")) == Decimal("2.39")
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")


def test_vat_is_computed_and_rounded_per_line():
    line = line_amounts(1, Decimal("1.50"), Decimal("0.19"))  # VAT 0.285
    assert line == Amounts(net=Decimal("1.50"), vat=Decimal("0.29"), gross=Decimal("1.79"))
    line = line_amounts(3, Decimal("4.20"), Decimal("0.19"))  # VAT 2.394
    assert (line.net, line.vat, line.gross) == (Decimal("12.60"), Decimal("2.39"), Decimal("14.99"))
    line = line_amounts(7, Decimal("0.333"), Decimal("0.07"))  # net 2.331, reduced rate
    assert (line.net, line.vat, line.gross) == (Decimal("2.33"), Decimal("0.16"), Decimal("2.49"))


def test_totals_are_sums_of_the_rounded_lines():
    lines = [line_amounts(1, Decimal("0.13"), Decimal("0.19")) for _ in range(3)]  # VAT 0.0247 each
    summed = total(lines)
    assert (summed.net, summed.vat, summed.gross) == (Decimal("0.39"), Decimal("0.06"), Decimal("0.45"))
    assert round_money(summed.net * Decimal("0.19")) == Decimal("0.07")  # not VAT on the total
    assert total([]) == Amounts(net=Decimal("0.00"), vat=Decimal("0.00"), gross=Decimal("0.00"))


def test_no_float_creeps_in():
    # 0.1 + 0.2 style errors cannot happen: ten lines of 0.10
    lines = [line_amounts(1, Decimal("0.10"), Decimal("0.19")) for _ in range(10)]
    assert total(lines).net == Decimal("1.00")
    assert all(isinstance(value, Decimal) for a in lines for value in (a.net, a.vat, a.gross))


def test_money_is_a_string_in_json():
    line = PricedLine(
        line_no=1,
        sku="X",
        name="x",
        quantity=1,
        unit_price=Decimal("1450"),
        line_total=Decimal("1450"),
        vat_rate=Decimal("0.19"),
        vat_amount=Decimal("275.5"),
        delivery_unit_id="u",
    )
    dumped = line.model_dump(mode="json")
    assert dumped["unit_price"] == "1450.00" and dumped["vat_amount"] == "275.50"
    assert PricedLine.model_validate(dumped).vat_amount == Decimal("275.50")


def test_money_stays_decimal_through_the_database(db):
    sku, contract_id = f"T-{uuid.uuid4().hex[:8]}", f"FC-{uuid.uuid4().hex[:8]}"
    with session_scope(db) as session:
        session.add(
            Item(
                sku=sku,
                name="Precise",
                category="test",
                list_price=Decimal("123456789012.34"),
                vat_rate=Decimal("0.0700"),
                delivery_unit_id="central-warehouse",
            )
        )
        session.add(
            Contract(
                id=contract_id, customer_id="globex", name="t", valid_from=date(2020, 1, 1), valid_to=date(2020, 1, 2)
            )
        )
        session.flush()
        session.add(ContractItem(contract_id=contract_id, sku=sku, price=Decimal("0.10")))
    with session_scope(db) as session:  # a new session: values come from the database
        item = session.get(Item, sku)
        price = session.get(ContractItem, (contract_id, sku)).price
        raw = session.execute(text("SELECT list_price FROM item WHERE sku = :sku"), {"sku": sku}).scalar_one()
    assert type(item.list_price) is Decimal and item.list_price == Decimal("123456789012.34")
    assert type(item.vat_rate) is Decimal and item.vat_rate == Decimal("0.0700")
    assert type(price) is Decimal and price * 3 == Decimal("0.30")
    assert str(price) == "0.10"  # the scale is kept
    # stored exactly: text on SQLite (whose NUMERIC is a float), NUMERIC on PostgreSQL
    assert not isinstance(raw, float)
    assert Decimal(raw) == Decimal("123456789012.34")


def test_seeded_prices_are_exact(db):
    with session_scope(db) as session:
        prices = list(session.execute(select(ContractItem.price)).scalars())
        rates = list(session.execute(select(Item.vat_rate)).scalars())
    assert prices and all(type(p) is Decimal and p == p.quantize(Decimal("0.01")) for p in prices)
    assert all(type(r) is Decimal for r in rates)


def test_the_database_rounds_money_commercially(db):
    """Half-up like models.money, not the banker's rounding Decimal defaults to."""
    from contracts.tables import ContractItem

    with session_scope(db) as session:
        session.merge(ContractItem(contract_id="ACME-FC-2026", sku="PWR-UPS-AT", price=Decimal("0.125")))
    with session_scope(db) as session:
        assert session.get(ContractItem, ("ACME-FC-2026", "PWR-UPS-AT")).price == Decimal("0.13")
        session.delete(session.get(ContractItem, ("ACME-FC-2026", "PWR-UPS-AT")))
