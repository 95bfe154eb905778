"""What a client's retry gets: a payment retried with its bank reference answers with the payment
as booked (also once the order is PAID and its workflow closed or deleted), and an update that no
worker takes answers 503 with Retry-After, so the client tries again instead of giving up."""

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import WorkflowExecutionStatus

from api import problems
from api.gateway import Gateway
from api.problems import Problem
from core import errors
from core import temporal_names as names
from core.errors import Unavailable
from models.actors import Actor
from models.approvals import ApprovalDecision, SubOrderDecision
from models.invoices import PaymentIn
from models.orders import CancelRequest, OrderLineRequest, OrderPlacement
from models.suborders import PartnerEvent, SubOrderLine, SubOrderStart
from orders.policy import order_policy
from tests.api.flows import CABLES, order_until, place
from tests.api.record_flows import (
    OVER_LIMIT,
    another_api,
    delete_history,
    delete_order_history,
    fresh_customer,
    invoiced_order,
    pay,
    until_closed,
    workflow_status,
)

# --- 5. payments: one per bank reference, and its retry answers with it ---------------------------


def payment_of(answer: dict) -> tuple[str, Decimal]:
    return answer["payment"]["reference"], Decimal(answer["payment"]["amount"])


async def test_a_payment_retried_with_its_reference_answers_with_the_payment(http, login, dev_env):
    client = dev_env.client
    key = f"PO-{uuid.uuid4().hex[:10]}"
    _, doc = await invoiced_order(http, login, key)
    order_id, invoice = doc["order_id"], doc["invoices"][0]
    invoice_id, gross = invoice["invoice_id"], Decimal(invoice["gross_total"])
    part, rest = Decimal("100.00"), gross - Decimal("100.00")
    first_ref, last_ref = f"BANK-{key}-1", f"BANK-{key}-2"

    # a part payment, and its retry while the order runs
    first = await pay(http, login, invoice_id, str(part), first_ref)
    assert first.status_code == 200, first.text
    assert payment_of(first.json()) == (first_ref, part) and first.json()["added"] is True
    retry = await pay(http, login, invoice_id, str(part), first_ref)
    assert retry.status_code == 200, retry.text
    # while the order runs the retry reaches it (its booking may have been in a lost workflow task),
    # and Temporal answers the repeated update with the first answer
    assert retry.json() == first.json()
    assert Decimal(retry.json()["paid_total"]) == part
    # the same reference is the same payment: another amount with it is a conflict
    r = await pay(http, login, invoice_id, "99.00", first_ref)
    assert r.status_code == 409 and r.json()["field"] == "reference", r.text

    # the rest pays the invoice in full: the order ends PAID and its workflow closes
    last = await pay(http, login, invoice_id, str(rest), last_ref)
    assert last.status_code == 200, last.text
    assert payment_of(last.json()) == (last_ref, rest) and Decimal(last.json()["paid_total"]) == gross
    buyer = await login("buyer@acme.example")
    await order_until(http, buyer, order_id, lambda d: d["status"] == "PAID")
    assert await until_closed(client, names.order_workflow_id(order_id)) == WorkflowExecutionStatus.COMPLETED

    async def retries_answer_as_booked() -> None:
        for reference, amount in ((last_ref, rest), (first_ref, part)):
            r = await pay(http, login, invoice_id, str(amount), reference)
            assert r.status_code == 200, r.text
            assert payment_of(r.json()) == (reference, amount) and r.json()["added"] is False
            assert Decimal(r.json()["paid_total"]) == gross
        r = await pay(http, login, invoice_id, str(rest + 1), last_ref)
        assert r.status_code == 409 and r.json()["field"] == "reference", r.text
        r = await pay(http, login, invoice_id, "1.00", f"BANK-{key}-3")  # a new payment: the invoice is paid
        assert r.status_code == 409 and "paid" in r.json()["detail"], r.text

    await retries_answer_as_booked()  # the workflow closed
    await delete_order_history(client, await order_until(http, buyer, order_id, lambda d: True))
    await retries_answer_as_booked()  # Temporal deleted its history
    finance = await login("finance@seller.example")
    booked = (await http.get(f"/api/v1/invoices/{invoice_id}", headers=finance)).json()
    assert sorted((p["reference"], Decimal(p["amount"])) for p in booked["payments"]) == [
        (first_ref, part),
        (last_ref, rest),
    ]
    assert Decimal(booked["paid_total"]) == gross


# --- a decision retried with its Idempotency-Key gets the first answer ------------------------------


async def test_a_decision_retried_with_its_key_gets_the_first_answer_also_when_it_closed_the_order(
    http, login, dev_env
):
    """A client that timed out retries with the same Idempotency-Key: the decision that closed the
    order answers 200 again (not 409); another key is refused; once Temporal deleted the order's
    history, the record's refusal (409, not 404)."""
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    rejecting = {**approver, "Idempotency-Key": f"appr-{uuid.uuid4()}"}
    cancelling = {**buyer, "Idempotency-Key": f"cancel-{uuid.uuid4()}"}
    rejected = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    cancelled = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    for order_id in (rejected, cancelled):
        await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")

    async def reject() -> httpx.Response:
        return await http.post(
            f"/api/v1/orders/{rejected}/approval", json={"decision": "reject", "comment": "no"}, headers=rejecting
        )

    async def cancel() -> httpx.Response:
        return await http.post(f"/api/v1/orders/{cancelled}/cancel", json={"reason": "typo"}, headers=cancelling)

    for send, order_id, status in ((reject, rejected, "REJECTED"), (cancel, cancelled, "CANCELLED")):
        first = await send()
        assert first.status_code == 200 and first.json()["status"] == status, first.text
        retry = await send()  # the workflow may still run
        assert retry.status_code == 200 and retry.json()["status"] == status, retry.text
        await until_closed(dev_env.client, names.order_workflow_id(order_id))
        retry = await send()  # the workflow closed
        assert retry.status_code == 200, retry.text
        assert retry.json() == (await http.get(f"/api/v1/orders/{order_id}", headers=buyer)).json()

    # another key (or none) is another decision: the closed order refuses it
    r = await http.post(
        f"/api/v1/orders/{rejected}/approval",
        json={"decision": "reject", "comment": "no"},
        headers={**approver, "Idempotency-Key": f"appr-{uuid.uuid4()}"},
    )
    assert r.status_code == 409 and "REJECTED" in r.json()["detail"], r.text
    r = await http.post(f"/api/v1/orders/{cancelled}/cancel", json={"reason": "typo"}, headers=buyer)
    assert r.status_code == 409 and "CANCELLED" in r.json()["detail"], r.text
    # the same key by someone else is not theirs
    r = await http.post(
        f"/api/v1/orders/{cancelled}/cancel",
        json={"reason": "typo"},
        headers={**await login("approver@acme.example"), "Idempotency-Key": cancelling["Idempotency-Key"]},
    )
    assert r.status_code == 409, r.text
    # the history gone, the record still refuses with 409
    await delete_history(dev_env.client, names.order_workflow_id(rejected))
    r = await reject()
    assert r.status_code == 409 and "REJECTED" in r.json()["detail"], r.text


# --- 6. no worker takes the update: 503 with Retry-After ------------------------------------------

BUYER = Actor(id="buyer@acme.example", roles=["buyer"], customer_id="acme")
EXPERT = Actor(id="expert@seller.example", roles=["expert"])


@pytest.fixture
def unpolled(api_settings):
    """The running system's settings with a task queue no worker polls and a short update timeout."""
    return api_settings.model_copy(
        update={"api_update_timeout": timedelta(seconds=2), "temporal_task_queue": f"nobody-{uuid.uuid4().hex[:8]}"}
    )


def assert_unavailable(outcome: object) -> None:
    """The refusal that the API answers with 503 and Retry-After (api/problems.py)."""
    assert isinstance(outcome, Unavailable), outcome
    assert problems.status_of(outcome) == 503


async def test_the_gateway_answers_503_with_retry_after_when_no_worker_takes_an_update(dev_env, unpolled):
    client = dev_env.client
    gateway = Gateway(client, unpolled)
    order_id = f"T-{uuid.uuid4().hex[:10].upper()}"
    placement = OrderPlacement(
        order_id=order_id,
        seller_id=unpolled.seller_id,
        buyer=BUYER,
        lines=[OrderLineRequest(sku="CBL-CAT6-5M", quantity=1)],
        policy=order_policy(unpolled),
    )
    assert await gateway.place_order(placement, "fingerprint") == (order_id, "RECEIVED")
    suborder_id = f"{order_id}-central-warehouse"
    await client.start_workflow(
        names.SUBORDER_WORKFLOW,
        SubOrderStart(
            suborder_id=suborder_id,
            order_id=order_id,
            partner_id="central-warehouse",
            customer_id="acme",
            lines=[SubOrderLine(line_no=1, sku="CBL-CAT6-5M", name="Cable", quantity=1)],
            accept_timeout=timedelta(days=2),
            ship_timeout=timedelta(days=5),
            deliver_timeout=timedelta(days=10),
        ),
        id=names.suborder_workflow_id(suborder_id),
        task_queue=unpolled.temporal_task_queue,
    )
    try:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                gateway.decide(order_id, ApprovalDecision(decision="approve", actor=BUYER), "key-1"),
                gateway.cancel(order_id, CancelRequest(actor=BUYER, reason="no worker")),
                gateway.decide_suborder(
                    order_id, SubOrderDecision(action="drop", suborder_id=suborder_id, actor=EXPERT)
                ),
                gateway.record_payment(
                    order_id, PaymentIn(invoice_id="INV-x", amount=Decimal("1.00"), reference="R", actor=EXPERT), "R"
                ),
                gateway.report(
                    PartnerEvent(
                        type="suborder.accepted",
                        suborder_id=suborder_id,
                        event_id="e-1",
                        actor=Actor(id="partner:central-warehouse", delivery_unit_id="central-warehouse"),
                    ),
                    "e-1",
                ),
                return_exceptions=True,
            ),
            timeout=10,  # the update timeout (2 s), not the default 20 s
        )
        for outcome in outcomes:
            assert_unavailable(outcome)
    finally:
        for workflow_id in (names.order_workflow_id(order_id), names.suborder_workflow_id(suborder_id)):
            await client.get_workflow_handle(workflow_id).terminate("test over")


async def test_the_api_answers_503_problem_with_retry_after_when_no_worker_takes_an_update(
    http, login, app_db, demo_hash, dev_env, unpolled
):
    """The API once more, starting orders on a queue no worker polls: the buyer's order is accepted
    (durable in Temporal), its cancel gets 503 + Retry-After as problem details."""
    _, email = fresh_customer(app_db, demo_hash, ("buyer", "approver"))
    buyer = await login(email)
    async with another_api(unpolled) as base, httpx.AsyncClient(base_url=base, timeout=30) as api:
        r = await place(api, buyer, CABLES, key=f"PO-{uuid.uuid4().hex[:8]}")
        assert r.status_code == 202 and r.json()["status"] == "RECEIVED", r.text
        order_id = r.json()["order_id"]
        try:
            cancel, approval = await asyncio.gather(
                api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "x"}, headers=buyer),
                api.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=buyer),
            )
            for r in (cancel, approval):
                assert r.status_code == 503, r.text
                assert r.headers["content-type"].startswith("application/problem+json")
                assert int(r.headers["retry-after"]) > 0
                assert r.json()["status"] == 503 and r.json()["title"] == "Service unavailable"
        finally:
            await dev_env.client.get_workflow_handle(names.order_workflow_id(order_id)).terminate("test over")
    assert await workflow_status(dev_env.client, names.order_workflow_id(order_id)) == (
        WorkflowExecutionStatus.TERMINATED
    )


async def test_every_503_problem_carries_retry_after():
    """api/problems.py adds Retry-After to a 503 that does not name one (a service's Unavailable, a
    gateway Problem without headers) and keeps the one a Problem gives."""
    app = FastAPI()
    problems.install(app)

    @app.get("/unavailable")
    async def unavailable():
        raise errors.Unavailable("Temporal is unreachable")

    @app.get("/bare")
    async def bare():
        raise Problem(503, "the publication could not be scheduled")

    @app.get("/given")
    async def given():
        raise Problem(503, "later", headers={"Retry-After": "30"})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for path, after in (("/unavailable", problems.RETRY_AFTER_SECONDS), ("/bare", "5"), ("/given", "30")):
            r = await client.get(path)
            assert r.status_code == 503 and r.headers["retry-after"] == after, (path, r.headers)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["status"] == 503
