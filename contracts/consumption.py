"""Call-off consumption of framework contracts: what an accepted order takes from its contract's
agreed quantities and value caps, and gives back when it is cancelled or rejected.

A contract may agree, per contracted item, a quantity (`ContractItem.agreed_quantity`) and/or a
net value (`ContractItem.value_cap`), and a net value for all call-offs together
(`Contract.value_cap`); `Contract.tolerance_percent` allows that much more on each of them.
Beyond that, `Contract.on_exceed` decides: "reject" the order, or let the seller's "expert" decide
(approved = consumed anyway, `force`).

Concurrency: `consume` checks and writes in one transaction that first locks the contract: the
write lock (BEGIN IMMEDIATE) on SQLite, the contract's row (SELECT ... FOR UPDATE) on PostgreSQL.
Two orders racing for the last units queue there; the second sees the first one's ledger rows.
Idempotency: the ledger is unique per (contract, order, SKU); a repeated `consume` for an order
that has rows returns what they say, a repeated `release` finds nothing active to release.
Only lines of contracted items consume; items of a special assortment do not.
"""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from catalog.tables import Item
from contracts.tables import ACTIVE, RELEASED, TOTAL, Contract, ContractConsumption, ContractItem
from core.calendar import utc_today
from core.database import rows_changed, session_scope
from models.contracts import (
    ConsumptionLine,
    ConsumptionResult,
    ContractSummary,
    ContractUsage,
    ItemUsage,
)
from models.money import round_money

ZERO = Decimal("0.00")


def percent(value: Decimal) -> str:
    """5.00 -> "5", 2.50 -> "2.5"."""
    return f"{Decimal(value).normalize():f}"


def quantity_limit(agreed: int, tolerance_percent: Decimal) -> int:
    """The agreed quantity plus the tolerance, in whole units (rounded down)."""
    return int((Decimal(agreed) * (100 + Decimal(tolerance_percent)) / 100).to_integral_value(ROUND_FLOOR))


def value_limit(cap: Decimal, tolerance_percent: Decimal) -> Decimal:
    return round_money(Decimal(cap) * (100 + Decimal(tolerance_percent)) / 100)


def _aggregate(lines: list[ConsumptionLine]) -> dict[str, ConsumptionLine]:
    """Lines per SKU (an order may have one SKU on several lines, e.g. in two configurations)."""
    per_sku: dict[str, ConsumptionLine] = {}
    for line in lines:
        seen = per_sku.get(line.sku)
        per_sku[line.sku] = (
            line
            if seen is None
            else ConsumptionLine(sku=line.sku, quantity=seen.quantity + line.quantity, value=seen.value + line.value)
        )
    return per_sku


def _consumed(session: Session, contract_id: str, skus: list[str] | None = None) -> dict[str, tuple[int, Decimal]]:
    """Active consumption per SKU (and TOTAL) of the contract: (quantity, value); only of `skus`
    when given."""
    query = select(
        col(ContractConsumption.sku), col(ContractConsumption.quantity), col(ContractConsumption.value)
    ).where(col(ContractConsumption.contract_id) == contract_id, col(ContractConsumption.status) == ACTIVE)
    if skus is not None:
        query = query.where(col(ContractConsumption.sku).in_(skus))
    rows = session.execute(query).all()
    # summed in Python: ExactDecimal is text on SQLite, where SUM() would be a float
    sums: dict[str, list] = defaultdict(lambda: [0, ZERO])
    for sku, quantity, value in rows:
        sums[sku][0] += quantity
        sums[sku][1] += Decimal(value)
    return {sku: (q, v) for sku, (q, v) in sums.items()}


def _result_from_ledger(contract: Contract, order_id: str, rows: list[ContractConsumption]) -> ConsumptionResult:
    return ConsumptionResult(
        contract_id=contract.id,
        order_id=order_id,
        accepted=True,
        on_exceed=contract.on_exceed,
        forced=any(r.forced for r in rows),
        released=all(r.status == RELEASED for r in rows),
        lines=[
            ConsumptionLine(sku=r.sku, quantity=r.quantity, value=r.value)
            for r in sorted(rows, key=lambda r: r.sku)
            if r.sku != TOTAL
        ],
    )


def exceeded(
    contract: Contract,
    items: dict[str, ContractItem],
    consumed: dict[str, tuple[int, Decimal]],
    wanted: dict[str, ConsumptionLine],
) -> list[str]:
    """Why the wanted lines do not fit into what remains of the contract (empty: they fit)."""
    tolerance = Decimal(contract.tolerance_percent)
    tol = f"tolerance {percent(tolerance)} %"
    currency = contract.currency
    problems: list[str] = []
    for sku, line in sorted(wanted.items()):
        item = items[sku]
        used_quantity, used_value = consumed.get(sku, (0, ZERO))
        if item.agreed_quantity is not None:
            remaining = max(quantity_limit(item.agreed_quantity, tolerance) - used_quantity, 0)
            if line.quantity > remaining:
                problems.append(
                    f"{sku}: {remaining} of the agreed {item.agreed_quantity} remain ({tol}), {line.quantity} ordered"
                )
        if item.value_cap is not None:
            remaining_value = max(value_limit(item.value_cap, tolerance) - used_value, ZERO)
            if line.value > remaining_value:
                problems.append(
                    f"{sku}: {remaining_value:.2f} {currency} of the agreed value "
                    f"{Decimal(item.value_cap):.2f} {currency} remain ({tol}), "
                    f"{line.value:.2f} {currency} ordered"
                )
    if contract.value_cap is not None:
        ordered = sum((line.value for line in wanted.values()), ZERO)
        remaining_value = max(value_limit(contract.value_cap, tolerance) - consumed.get(TOTAL, (0, ZERO))[1], ZERO)
        if ordered > remaining_value:
            problems.append(
                f"contract {contract.id}: {remaining_value:.2f} {currency} of the agreed value "
                f"{Decimal(contract.value_cap):.2f} {currency} remain ({tol}), "
                f"{ordered:.2f} {currency} ordered"
            )
    return problems


def consume(
    engine: Engine, contract_id: str, order_id: str, lines: list[ConsumptionLine], *, force: bool = False
) -> ConsumptionResult:
    """Consumes the contract for the order's lines if they fit (or `force`: the expert approved).

    Idempotent per order: when the order consumed already, returns that first result unchanged.
    Not accepted: nothing is written, and the reason names the remaining quantity or value."""
    with session_scope(engine, write_lock=True) as session:
        return consume_in(session, contract_id, order_id, lines, force=force)


class NoContract(LookupError):
    """The contract does not exist (any more): an order cannot consume it, however often it tries."""


def consume_in(
    session: Session, contract_id: str, order_id: str, lines: list[ConsumptionLine], *, force: bool = False
) -> ConsumptionResult:
    """`consume` in the caller's transaction (a writer's: SQLite's write lock, PostgreSQL's row
    lock on the contract taken here)."""
    contract = session.execute(
        select(Contract).where(col(Contract.id) == contract_id).with_for_update()
    ).scalar_one_or_none()
    if contract is None:
        raise NoContract(f"no contract {contract_id}")
    mine = (
        session.execute(
            select(ContractConsumption).where(
                col(ContractConsumption.contract_id) == contract_id, col(ContractConsumption.order_id) == order_id
            )
        )
        .scalars()
        .all()
    )
    if mine:
        return _result_from_ledger(contract, order_id, list(mine))

    wanted_all = _aggregate(lines)
    items = {
        item.sku: item
        for item in session.execute(
            select(ContractItem).where(
                col(ContractItem.contract_id) == contract_id, col(ContractItem.sku).in_(list(wanted_all))
            )
        ).scalars()
    }
    wanted = {sku: line for sku, line in wanted_all.items() if sku in items}
    consumed = _consumed(session, contract_id, [*wanted, TOTAL])
    problems = exceeded(contract, items, consumed, wanted)
    consumed_lines = [wanted[sku] for sku in sorted(wanted)]
    if problems and not force:
        return ConsumptionResult(
            contract_id=contract_id,
            order_id=order_id,
            accepted=False,
            reason="; ".join(problems),
            on_exceed=contract.on_exceed,
            lines=consumed_lines,
        )
    now = datetime.now(UTC)
    forced = bool(problems)
    total_line = ConsumptionLine(
        sku=TOTAL,
        quantity=sum(line.quantity for line in consumed_lines),
        value=sum((line.value for line in consumed_lines), ZERO),
    )
    for line in [*consumed_lines, total_line]:
        session.add(
            ContractConsumption(
                contract_id=contract_id,
                order_id=order_id,
                sku=line.sku,
                quantity=line.quantity,
                value=line.value,
                status=ACTIVE,
                forced=forced,
                created_at=now,
            )
        )
    session.flush()
    return ConsumptionResult(
        contract_id=contract_id,
        order_id=order_id,
        accepted=True,
        forced=forced,
        reason="; ".join(problems) or None,
        on_exceed=contract.on_exceed,
        lines=consumed_lines,
    )


def keep_only(engine: Engine, order_id: str, lines: list[ConsumptionLine]) -> int:
    """Gives back what the order consumed beyond `lines` (what it still delivers: a dropped line or
    a partially cancelled order gives its part back). Sets the order's active ledger rows to what
    `lines` consume, SKU by SKU and in total; no line left: all is released. Idempotent (a target,
    not a subtraction). Returns the number of rows changed."""
    with session_scope(engine, write_lock=True) as session:
        rows = (
            session.execute(
                select(ContractConsumption)
                .where(col(ContractConsumption.order_id) == order_id, col(ContractConsumption.status) == ACTIVE)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        kept = _aggregate(lines)
        now = datetime.now(UTC)
        quantity, value, changed = 0, ZERO, 0
        for row in sorted(rows, key=lambda r: r.sku == TOTAL):  # the total last: it sums the others
            if row.sku == TOTAL:
                target = ConsumptionLine(sku=TOTAL, quantity=quantity, value=value)
            else:
                line = kept.get(row.sku)
                # never more than it consumed: the order only ever gives back
                target = ConsumptionLine(
                    sku=row.sku,
                    quantity=min(row.quantity, line.quantity) if line else 0,
                    value=min(Decimal(row.value), line.value) if line else ZERO,
                )
                quantity, value = quantity + target.quantity, value + target.value
            if target.quantity == 0 and target.value == ZERO:
                row.status, row.released_at, changed = RELEASED, now, changed + 1
            elif (row.quantity, Decimal(row.value)) != (target.quantity, target.value):
                row.quantity, row.value, changed = target.quantity, target.value, changed + 1
        session.flush()
        return changed


def release(engine: Engine, order_id: str) -> int:
    """Gives back what the order consumed (of any contract). Idempotent: returns the number of
    ledger rows released now, 0 when nothing was active."""
    with session_scope(engine, write_lock=True) as session:
        released = session.execute(
            update(ContractConsumption)
            .where(col(ContractConsumption.order_id) == order_id, col(ContractConsumption.status) == ACTIVE)
            .values(status=RELEASED, released_at=datetime.now(UTC))
        )
        return rows_changed(released)


def usage(session: Session, contract_id: str, as_of: date | None = None) -> ContractUsage | None:
    """The contract's terms and consumption per item and in total (None: no such contract)."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        return None
    as_of = as_of or utc_today()
    tolerance = Decimal(contract.tolerance_percent)
    consumed = _consumed(session, contract_id)
    rows = session.execute(
        select(ContractItem, col(Item.name))
        .join(Item, col(Item.sku) == col(ContractItem.sku))
        .where(col(ContractItem.contract_id) == contract_id)
        .order_by(col(ContractItem.sku))
    ).all()
    items = []
    for item, name in rows:
        used_quantity, used_value = consumed.get(item.sku, (0, ZERO))
        limit = None if item.agreed_quantity is None else quantity_limit(item.agreed_quantity, tolerance)
        items.append(
            ItemUsage(
                sku=item.sku,
                name=name,
                price=item.price,
                agreed_quantity=item.agreed_quantity,
                limit_quantity=limit,
                consumed_quantity=used_quantity,
                remaining_quantity=None if limit is None else max(limit - used_quantity, 0),
                value_cap=item.value_cap,
                consumed_value=used_value,
                remaining_value=None
                if item.value_cap is None
                else max(value_limit(item.value_cap, tolerance) - used_value, ZERO),
            )
        )
    summary = _summary(session, contract, consumed, as_of)
    return ContractUsage(
        **summary.model_dump(exclude={"orders"}),
        orders=summary.orders,
        payment_terms_days=contract.payment_terms_days,
        discount_days=contract.discount_days,
        discount_percent=contract.discount_percent,
        tolerance_percent=tolerance,
        on_exceed=contract.on_exceed,
        items=items,
    )


def _summary(
    session: Session, contract: Contract, consumed: dict[str, tuple[int, Decimal]], as_of: date
) -> ContractSummary:
    total_value = consumed.get(TOTAL, (0, ZERO))[1]
    orders = session.execute(
        select(func.count())
        .select_from(ContractConsumption)
        .where(
            col(ContractConsumption.contract_id) == contract.id,
            col(ContractConsumption.sku) == TOTAL,
            col(ContractConsumption.status) == ACTIVE,
        )
    ).scalar_one()
    return ContractSummary(
        contract_id=contract.id,
        customer_id=contract.customer_id,
        name=contract.name,
        valid_from=contract.valid_from,
        valid_to=contract.valid_to,
        in_force=contract.valid_from <= as_of <= contract.valid_to,
        currency=contract.currency,
        value_cap=contract.value_cap,
        consumed_value=total_value,
        remaining_value=None
        if contract.value_cap is None
        else max(value_limit(contract.value_cap, Decimal(contract.tolerance_percent)) - total_value, ZERO),
        orders=int(orders),
    )


def summaries(session: Session, customer_ids: list[str] | None, as_of: date | None = None) -> list[ContractSummary]:
    """The contracts of the given customers (None: all), newest first per customer."""
    as_of = as_of or utc_today()
    query = select(Contract).order_by(col(Contract.customer_id), col(Contract.valid_from).desc(), col(Contract.id))
    if customer_ids is not None:
        query = query.where(col(Contract.customer_id).in_(customer_ids))
    return [
        _summary(session, contract, _consumed(session, contract.id), as_of)
        for contract in session.execute(query).scalars()
    ]
