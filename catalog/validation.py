"""Order validation: the commercial, correctness and deliverability rules of a call-off order.

Prices come from the contract, never from the client. Any rule broken rejects the order with a
reason the buyer understands; approvals the order needs are decided here too.
"""
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from accounts.tables import User
from catalog import assortment
from catalog.configuration import configuration_problems
from models.money import line_amounts, total
from models.orders import OrderPlacement, PricedLine, ValidatedOrder


class OrderRejected(Exception):
    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


def validate_order(session: Session, placement: OrderPlacement, as_of: date) -> ValidatedOrder:
    buyer = session.get(User, placement.buyer.id)
    if buyer is None or not buyer.active or buyer.customer_id is None or "buyer" not in buyer.roles:
        raise OrderRejected(f"{placement.buyer.id} may not place orders", "buyer")
    customer_id = buyer.customer_id
    try:
        contract = assortment.effective_contract(session, customer_id, as_of)
    except assortment.NoValidContract as exc:
        raise OrderRejected(f"Order not possible: {exc}", "contract") from exc

    skus = [line.sku for line in placement.lines]
    found = assortment.entries(session, customer_id, contract, skus)
    priced: list[PricedLine] = []
    for index, line in enumerate(placement.lines):
        where = f"lines[{index}]"
        entry = found.get(line.sku)
        if entry is None:
            raise OrderRejected(f"{line.sku} is not in your contract assortment", f"{where}.sku")
        if line.quantity <= 0:
            raise OrderRejected(f"{line.sku}: the quantity must be positive", f"{where}.quantity")
        problems = configuration_problems(entry.item, line.configuration)
        if problems:
            raise OrderRejected("; ".join(problems), f"{where}.configuration")
        amounts = line_amounts(line.quantity, entry.price, entry.item.vat_rate)
        priced.append(PricedLine(
            line_no=index + 1, sku=line.sku, name=entry.item.name, quantity=line.quantity,
            configuration=line.configuration, unit_price=entry.price, line_total=amounts.net,
            vat_rate=entry.item.vat_rate, vat_amount=amounts.vat,
            delivery_unit_id=entry.item.delivery_unit_id, expert_review=entry.item.expert_review,
        ))

    totals = total([line_amounts(p.quantity, p.unit_price, p.vat_rate) for p in priced])
    limit: Decimal | None = buyer.order_limit
    return ValidatedOrder(
        customer_id=customer_id,
        approver_customer_ids=[c.id for c in assortment.customer_chain(session, customer_id)],
        contract_id=contract.id,
        currency=contract.currency,
        payment_terms_days=contract.payment_terms_days,
        lines=priced,
        net_total=totals.net,
        vat_total=totals.vat,
        gross_total=totals.gross,
        order_limit=limit,
        # the order limit applies to the net value of one order
        needs_customer_approval=limit is not None and totals.net > limit,
        expert_review_skus=sorted({p.sku for p in priced if p.expert_review}),
    )

