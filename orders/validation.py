"""Order validation: the commercial, correctness and deliverability rules of a call-off order.

The items orderable are the customer's assortment (catalog/assortment.py: its sub-assortment
when it has one, else its contract, special and price-list items; the same the catalog API lists
and the export holds). Prices come from the catalog (catalog/pricing.py: special or contract
price, price list, list price; plus the configuration's surcharges), never from the client, and are kept with the order
(`PricedLine.unit_price`): a later price change does not alter a validated order. Any rule
broken rejects the order with a reason the buyer understands and the field at fault; the
approvals the order needs are decided here too. Validation only reads the database.
"""

from collections import Counter
from datetime import date

from sqlmodel import Session

from accounts.tables import User
from catalog import assortment, pricing
from catalog.configuration import check
from catalog.rights import rights_for
from catalog.versions.store import live_version
from contracts.in_force import NoValidContract, effective_contract
from contracts.limits import limits_for, month_of, month_spend
from customers.tables import Customer
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
    expert_reasons: list[str] = []
    try:
        contract = effective_contract(session, customer_id, as_of)
    except NoValidContract as exc:
        # outside the validity period: rejected, or for the expert to decide, by contract setting
        if exc.contract is None or exc.contract.on_exceed != "expert":
            raise OrderRejected(f"Order not possible: {exc}", "contract") from exc
        contract = exc.contract
        expert_reasons.append(f"outside the framework contract's validity: {exc}")
    ctx = pricing.context(session, customer_id, as_of, contract)
    rights = rights_for(session, ctx.chain_ids, buyer.roles)

    skus = list(dict.fromkeys(line.sku for line in placement.lines))
    found = assortment.entries(session, customer_id, contract, skus, rights=rights, ctx=ctx)
    # quantity breaks count what the order takes of an item, over all its lines (configurations)
    ordered: Counter[str] = Counter()
    for line in placement.lines:
        ordered[line.sku] += max(line.quantity, 0)
    priced: list[PricedLine] = []
    for index, line in enumerate(placement.lines):
        where = f"lines[{index}]"
        entry = found.get(line.sku)
        if entry is None:
            raise OrderRejected(assortment.not_in_assortment(session, ctx, line.sku), f"{where}.sku")
        if line.quantity <= 0:
            raise OrderRejected(f"{line.sku}: the quantity must be positive", f"{where}.quantity")
        if not entry.decision.may_order:  # the same rule the catalog shows (catalog/rights.py)
            raise OrderRejected(f"{line.sku}: {entry.decision.reason}", f"{where}.sku")
        problems, surcharges = check(entry.item, line.configuration)
        if problems:
            raise OrderRejected("; ".join(p.message for p in problems), f"{where}.configuration")
        assert entry.sources is not None  # a customer's entries carry their prices
        quote = pricing.decide(entry.sources, ordered[line.sku])
        if quote is None:
            raise OrderRejected(
                f"{line.sku} is sold from {entry.min_quantity} pieces"
                + (" (all lines of the item together)" if ordered[line.sku] != line.quantity else ""),
                f"{where}.quantity",
            )
        unit_price = pricing.with_surcharges(quote.unit_price, surcharges)
        amounts = line_amounts(line.quantity, unit_price, entry.item.vat_rate)
        priced.append(
            PricedLine(
                line_no=index + 1,
                sku=line.sku,
                name=entry.item.name,
                quantity=line.quantity,
                configuration=line.configuration,
                unit_price=unit_price,
                line_total=amounts.net,
                vat_rate=entry.item.vat_rate,
                vat_amount=amounts.vat,
                delivery_unit_id=entry.item.delivery_unit_id,
                expert_review=entry.item.expert_review,
                customer_part_number=entry.part_number,
            )
        )

    totals = total([line_amounts(p.quantity, p.unit_price, p.vat_rate) for p in priced])
    limits = limits_for(session, buyer, ctx.chain_ids)
    reasons: list[str] = []
    # the order limit applies to the net value of one order
    if limits.order_limit is not None and totals.net > limits.order_limit:
        reasons.append(
            f"net total {totals.net} {contract.currency} exceeds the buyer's order limit {limits.order_limit}"
        )
    if limits.monthly_limit is not None:
        month = month_of(as_of)
        spent = month_spend(session, buyer.email, month, excluding=placement.order_id)
        if spent + totals.net > limits.monthly_limit:
            reasons.append(
                f"with this order the buyer's orders of {month} come to {spent + totals.net} "
                f"{contract.currency} net, over the monthly limit {limits.monthly_limit} "
                f"({spent} {contract.currency} before this order)"
            )
    return ValidatedOrder(
        catalog_version=live_version(session),
        customer_id=customer_id,
        approver_customer_ids=list(ctx.chain_ids),
        contract_id=contract.id,
        currency=contract.currency,
        payment_terms_days=contract.payment_terms_days,
        discount_days=contract.discount_days,
        discount_percent=contract.discount_percent,
        invoicing_policy=_invoicing_policy(session, customer_id),
        lines=priced,
        net_total=totals.net,
        vat_total=totals.vat,
        gross_total=totals.gross,
        order_limit=limits.order_limit,
        needs_customer_approval=bool(reasons),
        expert_review_skus=sorted({p.sku for p in priced if p.expert_review}),
        expert_reasons=expert_reasons,
        approval_reasons=reasons,
        monthly_limit=limits.monthly_limit,
    )


def _invoicing_policy(session: Session, customer_id: str) -> str:
    customer = session.get(Customer, customer_id)
    return customer.invoicing_policy if customer is not None else "per_order"
