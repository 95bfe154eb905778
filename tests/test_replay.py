"""Saved histories of finished workflows must replay against the current workflow code: a change
that would break running orders (non-determinism) fails here, not in production.

The histories in tests/histories/ were recorded by tests/histories/record_history.py: an order
with a customer approval (and its reminder), two sub-orders, an invoice and three payments (one a
repeat) that ended PAID, and the netpartner sub-order of that order. Two more came from the
workflow tests (see SAVED): the contract-consumption paths.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.order import OrderWorkflow
from workflows.suborder import SubOrderWorkflow

HISTORIES = Path(__file__).parent / "histories"
SAVED = [
    ("order_paid.json", "order-T-HISTORY-PAID", "Order"),
    ("suborder_delivered.json", "suborder-T-HISTORY-PAID-netpartner", "SubOrder"),
    # recorded from tests/workflows on 2026-11-27, before the order workflow was split into phase
    # helpers: contract consumption and monthly spend (both patched in), a sub-order decision, payment
    ("order_contract_decision_paid.json", "order-T-8D05C8CDEF", "Order"),
    # ... and a rejected order giving back what it consumed of the contract and the monthly spend
    ("order_contract_released.json", "order-T-6647F64695", "Order"),
]


def load(file: str, workflow_id: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(workflow_id, (HISTORIES / file).read_text())


def replayer() -> Replayer:
    return Replayer(workflows=[OrderWorkflow, SubOrderWorkflow], data_converter=pydantic_data_converter)


@pytest.mark.parametrize(("file", "workflow_id", "workflow_type"), SAVED)
async def test_saved_history_replays_without_nondeterminism(file, workflow_id, workflow_type):
    history = load(file, workflow_id)
    first = history.events[0].workflow_execution_started_event_attributes
    assert first.workflow_type.name == workflow_type
    assert history.events[-1].HasField("workflow_execution_completed_event_attributes")
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_the_saved_order_covers_approval_suborders_and_payments():
    """Guards the recording: the replay above is only worth as much as what the history holds."""
    events = json.loads((HISTORIES / "order_paid.json").read_text())["events"]
    kinds = [event["eventType"] for event in events]
    assert kinds.count("EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED") == 2
    assert kinds.count("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 4  # approval + 3 payments
    assert "EVENT_TYPE_TIMER_FIRED" in kinds  # the approval reminder
    assert kinds.count("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED") >= 6  # sub-order progress
    completed = json.dumps(events[-1])
    assert "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED" in completed


async def test_a_changed_history_is_detected():
    """The replayer does compare: a history whose first child-workflow start is replaced by a timer
    the code never started fails with a non-determinism error."""
    data = json.loads((HISTORIES / "order_paid.json").read_text())
    child_started = [
        i
        for i, e in enumerate(data["events"])
        if e["eventType"] == "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    ]
    # turn the first child start into a timer start the workflow never asked for
    tampered = data["events"][child_started[0]]
    tampered["eventType"] = "EVENT_TYPE_TIMER_STARTED"
    attributes_key = next(k for k in tampered if k.endswith("EventAttributes"))
    del tampered[attributes_key]
    tampered["timerStartedEventAttributes"] = {
        "timerId": "999",
        "startToFireTimeout": "60s",
        "workflowTaskCompletedEventId": tampered["eventId"],
    }
    history = WorkflowHistory.from_json("order-T-HISTORY-PAID", json.dumps(data))
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "Nondeterminism" in str(result.replay_failure)
