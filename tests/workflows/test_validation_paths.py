"""Validation: an order the catalog cannot honour is rejected with a reason the buyer understands;
a subsidiary orders from its parent's contract plus its own special assortment."""

from datetime import date
from decimal import Decimal

from contracts.tables import Contract
from core.database import session_scope
from models.approvals import ApprovalDecision
from models.orders import OrderLineRequest, OrderStatus
from tests.catalog.data import add_buyer, add_customer
from tests.workflows.helpers import (
    ACME_AT_BUYER,
    CABLES,
    EXPERT,
    SWITCH,
    events,
    placement,
    start,
    suborder,
    wait_for,
)
from workflows.order import OrderWorkflow


async def rejected(client, task_queue, *lines, **kwargs):
    handle = await start(client, task_queue, placement(*lines, **kwargs))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert events(result) == ["order.received", "order.rejected"]
    assert result.timeline[-1].detail == result.rejection_reason
    assert result.lines == [] and result.suborders == [] and result.invoices == []
    return result.rejection_reason


async def test_incompatible_configuration_is_rejected(client, task_queue):
    line = OrderLineRequest(sku="SW-24-PRO", quantity=1, configuration={"hw_version": "A1", "sw_version": "8.0"})
    reason = await rejected(client, task_queue, CABLES, line)
    assert "SW-24-PRO" in reason and "A1" in reason and "8.0" in reason
    assert "does not support" in reason


async def test_unknown_sku_is_rejected(client, task_queue):
    reason = await rejected(client, task_queue, OrderLineRequest(sku="NO-SUCH-ITEM", quantity=1))
    assert reason == "NO-SUCH-ITEM is not in your contract assortment"


async def test_another_customers_special_item_is_rejected(client, task_queue):
    # PWR-UPS-AT is in ACME Austria's special assortment, not in the ACME contract
    reason = await rejected(client, task_queue, OrderLineRequest(sku="PWR-UPS-AT", quantity=1))
    assert reason == "PWR-UPS-AT is not in your contract assortment"


async def test_missing_configuration_option_is_rejected(client, task_queue):
    line = OrderLineRequest(sku="SW-24-PRO", quantity=1, configuration={"hw_version": "B2"})
    reason = await rejected(client, task_queue, line)
    assert reason == "SW-24-PRO needs a value for 'sw_version' (one of 7.2, 8.0)"


async def test_unknown_option_value_and_options_on_a_plain_item_are_rejected(client, task_queue):
    line = OrderLineRequest(sku="SW-24-PRO", quantity=1, configuration={"hw_version": "C3", "sw_version": "8.0"})
    assert "SW-24-PRO has no hw_version 'C3'" in await rejected(client, task_queue, line)
    cables = OrderLineRequest(sku="CBL-CAT6-5M", quantity=1, configuration={"colour": "red"})
    assert "CBL-CAT6-5M is not configurable" in await rejected(client, task_queue, cables)


async def test_subsidiary_orders_its_special_item_and_the_parents_contract_items(client, task_queue):
    ups = OrderLineRequest(sku="PWR-UPS-AT", quantity=1)
    handle = await start(client, task_queue, placement(ups, CABLES, buyer=ACME_AT_BUYER))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    assert view.customer_id == "acme-at"
    assert view.contract_id == "ACME-FC-2026"  # inherited from the parent, ACME
    prices = {line.sku: line.unit_price for line in view.lines}
    assert prices == {"PWR-UPS-AT": Decimal("589.00"), "CBL-CAT6-5M": Decimal("4.20")}
    assert view.net_total == Decimal("631.00")  # 589.00 + 10 x 4.20
    assert view.vat_total == Decimal("119.89")  # 111.91 + 7.98, rounded per line
    assert view.gross_total == Decimal("750.89")
    # both lines go to the central warehouse: one sub-order
    assert [s.partner_id for s in view.suborders] == ["central-warehouse"]
    assert [line.sku for line in suborder(view, "central-warehouse").lines] == ["PWR-UPS-AT", "CBL-CAT6-5M"]


async def test_prices_come_from_the_contract_not_the_list(client, task_queue):
    handle = await start(client, task_queue, placement(SWITCH))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
    assert view.lines[0].unit_price == Decimal("1450.00")  # list price is 1690.00
    assert view.lines[0].configuration == {"hw_version": "B2", "sw_version": "8.0"}


async def test_order_outside_the_contract_validity_waits_for_the_expert_by_contract_setting(client, task_queue, engine):
    customer_id, contract_id = add_customer(
        engine, contract=(date(2020, 1, 1), date(2020, 12, 31)), prices={"CBL-CAT6-5M": "4.00"}
    )
    with session_scope(engine) as session:
        session.get(Contract, contract_id).on_exceed = "expert"
    buyer = add_buyer(engine, customer_id)
    handle = await start(client, task_queue, placement(CABLES, buyer=buyer))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.AWAITING_EXPERT_APPROVAL)
    assert "validity" in view.pending_approval.reason and "2020-12-31" in view.pending_approval.reason
    await handle.execute_update(OrderWorkflow.decide, ApprovalDecision(decision="approve", actor=EXPERT))
    await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
