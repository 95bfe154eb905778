"""Call-offs consume their framework contract: beyond the agreed quantity the contract's setting
rejects the order or asks the expert; a cancelled or rejected order gives its quantity back.

Each test has its own customer and contract (small agreed quantities), so the shared database's
demo contract is not used up."""

from datetime import date, timedelta
from decimal import Decimal

from contracts import consumption
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from models.approvals import ApprovalDecision, ApprovalKind, SubOrderDecision
from models.orders import CancelRequest, OrderLineRequest, OrderStatus
from tests.catalog.data import add_buyer, add_customer
from tests.workflows.helpers import (
    EXPERT,
    SWITCH,
    deliver,
    events,
    placement,
    refused,
    report,
    start,
    status,
    suborder,
    wait_for,
)
from workflows.order import OrderWorkflow

PRICES = {"SW-24-PRO": "1000.00", "CBL-CAT6-5M": "5.00", "SVC-INSTALL-ONSITE": "800.00"}
CONFIG = {"hw_version": "B2", "sw_version": "8.0"}


def switches(quantity: int) -> OrderLineRequest:
    return OrderLineRequest(sku="SW-24-PRO", quantity=quantity, configuration=CONFIG)


def contract_with(engine, *, agreed: int, on_exceed: str, tolerance: str = "0", order_limit: str | None = None):
    """A fresh customer whose contract agrees `agreed` switches; returns (contract id, buyer)."""
    customer_id, contract_id = add_customer(engine, contract=(date(2020, 1, 1), date(2099, 12, 31)), prices=PRICES)
    with session_scope(engine) as session:
        contract = session.get(Contract, contract_id)
        contract.on_exceed, contract.tolerance_percent = on_exceed, Decimal(tolerance)
        session.get(ContractItem, (contract_id, "SW-24-PRO")).agreed_quantity = agreed
    return contract_id, add_buyer(engine, customer_id, order_limit)


def consumed(engine, contract_id: str) -> int:
    with session_scope(engine) as session:
        return next(i for i in consumption.usage(session, contract_id).items if i.sku == "SW-24-PRO").consumed_quantity


def decision(verdict: str, comment: str = "") -> ApprovalDecision:
    return ApprovalDecision(decision=verdict, comment=comment, actor=EXPERT)


def awaiting_contract_decision(view) -> bool:
    return view.pending_approval is not None and view.pending_approval.kind == ApprovalKind.CONTRACT


async def test_an_accepted_call_off_consumes_the_contract_and_keeps_it_when_invoiced(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=5, on_exceed="reject")
    handle = await start(client, task_queue, placement(switches(3), buyer=buyer))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    assert consumed(engine, contract_id) == 3
    assert view.contract_consumption.contract_id == contract_id and view.contract_consumption.accepted
    assert [(li.sku, li.quantity, li.value) for li in view.contract_consumption.lines] == [
        ("SW-24-PRO", 3, Decimal("3000.00"))
    ]
    entry = next(e for e in view.timeline if e.event == "contract.consumed")
    assert entry.detail == f"contract {contract_id}: 3 x SW-24-PRO"
    assert events(view).index("order.validated") < events(view).index("contract.consumed")

    await deliver(client, suborder(view, "netpartner").suborder_id, "netpartner")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert consumed(engine, contract_id) == 3 and not view.contract_consumption.released


async def test_beyond_the_remaining_quantity_a_reject_contract_rejects_the_order(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=4, on_exceed="reject", tolerance="25")  # up to 5
    first = await start(client, task_queue, placement(switches(3), buyer=buyer))
    await wait_for(first, lambda v: v.status == OrderStatus.IN_FULFILLMENT)

    handle = await start(client, task_queue, placement(switches(3), buyer=buyer))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert result.rejection_reason == (
        f"Order not possible: beyond the framework contract {contract_id}: "
        "SW-24-PRO: 2 of the agreed 4 remain (tolerance 25 %), 3 ordered"
    )
    assert events(result)[-1] == "order.rejected" and result.pending_approval is None
    assert result.contract_consumption is None and result.suborders == []
    assert consumed(engine, contract_id) == 3


async def test_beyond_the_remaining_quantity_the_expert_approves_and_the_order_consumes_anyway(
    client, task_queue, engine
):
    contract_id, buyer = contract_with(engine, agreed=2, on_exceed="expert")
    handle = await start(client, task_queue, placement(switches(3), buyer=buyer))
    view = await wait_for(handle, awaiting_contract_decision)
    assert view.status == OrderStatus.AWAITING_EXPERT_APPROVAL and view.pending_approval.role == "expert"
    assert view.pending_approval.reason == (
        f"beyond the framework contract {contract_id}: SW-24-PRO: 2 of the agreed 2 remain (tolerance 0 %), 3 ordered"
    )
    assert consumed(engine, contract_id) == 0  # nothing is taken while the expert decides
    await refused(
        handle.execute_update(OrderWorkflow.decide, ApprovalDecision(decision="approve", actor=buyer)), "Conflict"
    )

    await handle.execute_update(OrderWorkflow.decide, decision("approve", "framework extension signed"))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    assert consumed(engine, contract_id) == 3
    assert view.contract_consumption.forced
    assert [(a.kind, a.decision) for a in view.approvals] == [(ApprovalKind.CONTRACT, "approve")]
    assert next(e for e in view.timeline if e.event == "contract.consumed").detail == (
        f"contract {contract_id}: 3 x SW-24-PRO (beyond the agreement, approved by the expert)"
    )


async def test_beyond_the_remaining_quantity_the_expert_rejects(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=2, on_exceed="expert")
    handle = await start(client, task_queue, placement(switches(3), buyer=buyer))
    await wait_for(handle, awaiting_contract_decision)
    await handle.execute_update(OrderWorkflow.decide, decision("reject", "no more switches this year"))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert result.rejection_reason == "rejected by expert@seller.example: no more switches this year"
    assert result.contract_consumption is None and consumed(engine, contract_id) == 0


async def test_buyer_cancels_while_the_expert_decides_on_the_contract(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=2, on_exceed="expert")
    handle = await start(client, task_queue, placement(switches(3), buyer=buyer))
    await wait_for(handle, awaiting_contract_decision)
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=buyer, reason="ordered too many"))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED and consumed(engine, contract_id) == 0


async def test_a_cancelled_order_releases_what_it_consumed(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=5, on_exceed="reject")
    handle = await start(client, task_queue, placement(switches(5), buyer=buyer))
    await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    assert consumed(engine, contract_id) == 5
    # the contract is used up: the next call-off is rejected ...
    blocked = await start(client, task_queue, placement(switches(1), buyer=buyer))
    assert (await blocked.result()).status == OrderStatus.REJECTED

    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=buyer, reason="project stopped"))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED and events(result)[-1] == "order.cancelled"
    assert result.contract_consumption.released and consumed(engine, contract_id) == 0
    # ... and once the cancelled order has given its switches back, it fits again
    again = await start(client, task_queue, placement(switches(5), buyer=buyer))
    await wait_for(again, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
    assert consumed(engine, contract_id) == 5


async def test_an_order_rejected_at_a_later_approval_releases_what_it_consumed(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=10, on_exceed="reject")
    install = OrderLineRequest(sku="SVC-INSTALL-ONSITE", quantity=1)  # needs the expert's review
    handle = await start(client, task_queue, placement(switches(4), install, buyer=buyer))
    await wait_for(handle, lambda v: v.pending_approval is not None and v.pending_approval.kind == ApprovalKind.EXPERT)
    assert consumed(engine, contract_id) == 4  # consumed before the approvals: the units are held
    await handle.execute_update(OrderWorkflow.decide, decision("reject", "site not ready"))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED and result.contract_consumption.released
    assert consumed(engine, contract_id) == 0


async def test_an_approval_timeout_releases_what_the_order_consumed(client, task_queue, engine, time_env):
    contract_id, buyer = contract_with(engine, agreed=10, on_exceed="reject", order_limit="1000.00")
    handle = await start(client, task_queue, placement(switches(2), buyer=buyer))  # 2000.00 > 1000.00
    await wait_for(handle, lambda v: v.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL)
    assert consumed(engine, contract_id) == 2
    await time_env.sleep(timedelta(days=1, hours=1))  # POLICY: the approval timeout is 1 day
    await wait_for(handle, lambda v: v.status == OrderStatus.REJECTED)
    result = await handle.result()
    assert "approval.timeout" in events(result) and result.contract_consumption.released
    assert consumed(engine, contract_id) == 0


async def test_the_expert_cancelling_the_order_in_fulfilment_releases_it(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=10, on_exceed="reject")
    handle = await start(client, task_queue, placement(switches(2), buyer=buyer))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    await report(client, suborder(view, "netpartner").suborder_id, "netpartner", "rejected", reason="out of stock")
    await wait_for(handle, lambda v: v.pending_approval is not None)
    await handle.execute_update(
        OrderWorkflow.decide_suborder, SubOrderDecision(action="cancel_order", comment="no alternative", actor=EXPERT)
    )
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED and result.contract_consumption.released
    assert consumed(engine, contract_id) == 0


async def test_nothing_delivered_releases_it(client, task_queue, engine):
    contract_id, buyer = contract_with(engine, agreed=10, on_exceed="reject")
    handle = await start(client, task_queue, placement(switches(2), buyer=buyer))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    await report(client, suborder(view, "netpartner").suborder_id, "netpartner", "rejected")
    await wait_for(handle, lambda v: v.pending_approval is not None)
    await handle.execute_update(OrderWorkflow.decide_suborder, SubOrderDecision(action="drop", actor=EXPERT))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED and result.timeline[-1].detail == "no line was delivered"
    assert result.contract_consumption.released and consumed(engine, contract_id) == 0


async def test_the_demo_contract_takes_small_call_offs(client, task_queue, engine):
    """ACME's switches are agreed at 100 with 5 % tolerance and go to the expert beyond: an
    ordinary call-off of one switch passes as before."""
    handle = await start(client, task_queue, placement(SWITCH))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
    assert view.contract_consumption.contract_id == "ACME-FC-2026" and view.contract_consumption.on_exceed == "expert"
    assert (await status(handle)).pending_approval is None
