"""Saved histories of workflows must replay against the current workflow code: a change that would
break running orders (non-determinism) fails here, not in production. Three sets:

- the histories every workflow test of this session produced (tests/workflow_histories.py saves
  them; `test_every_history_of_this_session_replays` runs last and replays them all);
- the histories recorded from the last release, tests/histories/release/ (one history per distinct
  path of the workflow tests; tests/histories/README.md says how and when they are recorded);
- older hand-picked ones, SAVED: tests/histories/record_history.py recorded an order with a customer
  approval (and its reminder), two sub-orders, an invoice and three payments (one a repeat) that
  ended PAID, and the netpartner sub-order of that order; two more came from the workflow tests:
  the contract-consumption paths.
"""

import gzip
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from tests.workflow_histories import (
    failure_report,
    payload_text,
    read_json,
    replay,
    replayer,
    workflow_id_of,
)

HISTORIES = Path(__file__).parent / "histories"
RELEASE = HISTORIES / "release"
RELEASE_FILES = sorted(RELEASE.rglob("*.json.gz"))
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


@pytest.mark.parametrize(("file", "workflow_id", "workflow_type"), SAVED)
async def test_saved_history_replays_without_nondeterminism(file, workflow_id, workflow_type):
    history = load(file, workflow_id)
    first = history.events[0].workflow_execution_started_event_attributes
    assert first.workflow_type.name == workflow_type
    assert history.events[-1].HasField("workflow_execution_completed_event_attributes")
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


@pytest.mark.parametrize("path", RELEASE_FILES, ids=[path.name for path in RELEASE_FILES])
async def test_a_release_history_replays_without_nondeterminism(path):
    history = WorkflowHistory.from_json(workflow_id_of(path), read_json(path))
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def _summary(path: Path) -> tuple[str, set[str], set[str], str]:
    """A release history's workflow type, event types, accepted update names and decoded payloads."""
    data = read_json(path)
    events = data["events"]
    kind = events[0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
    event_types = {e["eventType"].removeprefix("EVENT_TYPE_") for e in events}
    updates = {
        e["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]["name"]
        for e in events
        if "workflowExecutionUpdateAcceptedEventAttributes" in e
    }
    return kind, event_types, updates, payload_text(data)


# what the release set must hold: a path each, told by what a history's events and payloads hold
RELEASE_PATHS = {
    "an order paid": lambda k, e, u, text: k == "Order" and "order.paid" in text,
    "an order the buyer cancelled": lambda k, e, u, text: k == "Order" and "cancel" in u and "order.cancelled" in text,
    "an approval reminded and escalated": lambda k, e, u, text: (
        k == "Order" and "approval.reminder" in text and "approval.escalation" in text
    ),
    "an approval timed out": lambda k, e, u, text: k == "Order" and "approval.timeout" in text,
    "a customer approval": lambda k, e, u, text: k == "Order" and "decide" in u and '"kind":"customer"' in text,
    "an expert approval": lambda k, e, u, text: k == "Order" and "decide" in u and '"kind":"expert"' in text,
    "the expert's decision on a sub-order": lambda k, e, u, text: k == "Order" and "decide_suborder" in u,
    "an invoice OVERDUE and dunned": lambda k, e, u, text: (
        k == "Order" and "invoice.overdue" in text and ".dunning." in text
    ),
    "a sub-order delivered": lambda k, e, u, text: k == "SubOrder" and "suborder.delivered" in text,
    "a sub-order escalated": lambda k, e, u, text: k == "SubOrder" and "suborder.escalated" in text,
    "a sub-order its unit rejected": lambda k, e, u, text: k == "SubOrder" and "suborder.rejected" in text,
    "a sub-order its order cancelled": lambda k, e, u, text: (
        k == "SubOrder" and "WORKFLOW_EXECUTION_SIGNALED" in e and "suborder.cancelled" in text
    ),
    "a catalog publication published": lambda k, e, u, text: (
        k == "CatalogPublication" and "WORKFLOW_EXECUTION_COMPLETED" in e
    ),
    "a catalog publication cancelled": lambda k, e, u, text: (
        k == "CatalogPublication" and "WORKFLOW_EXECUTION_CANCEL_REQUESTED" in e
    ),
    "a catalog sync": lambda k, e, u, text: k == "CatalogSync" and "WORKFLOW_EXECUTION_COMPLETED" in e,
    "a catalog sync failed": lambda k, e, u, text: k == "CatalogSync" and "WORKFLOW_EXECUTION_FAILED" in e,
}


def test_the_release_histories_cover_every_workflow_type_and_path():
    """Guards the recording: the release set is only worth as much as the paths it holds."""
    summaries = [_summary(path) for path in RELEASE_FILES]
    assert {kind for kind, *_ in summaries} == {"Order", "SubOrder", "CatalogPublication", "CatalogSync"}
    missing = [name for name, holds in RELEASE_PATHS.items() if not any(holds(*s) for s in summaries)]
    assert missing == [], f"no release history of: {', '.join(missing)}"
    sizes: dict[Path, int] = {}
    for path in RELEASE_FILES:  # a set of a release (the newest, or an older one kept in a folder)
        sizes[path.parent] = sizes.get(path.parent, 0) + path.stat().st_size
    assert all(size < 1_500_000 for size in sizes.values()), sizes  # the repository stays small


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


def tampered_order() -> dict:
    """order_paid.json with its first child-workflow start replaced by a timer the code never started."""
    data = json.loads((HISTORIES / "order_paid.json").read_text())
    child_started = [
        i
        for i, e in enumerate(data["events"])
        if e["eventType"] == "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    ]
    tampered = data["events"][child_started[0]]
    tampered["eventType"] = "EVENT_TYPE_TIMER_STARTED"
    attributes_key = next(k for k in tampered if k.endswith("EventAttributes"))
    del tampered[attributes_key]
    tampered["timerStartedEventAttributes"] = {
        "timerId": "999",
        "startToFireTimeout": "60s",
        "workflowTaskCompletedEventId": tampered["eventId"],
    }
    return data


async def test_a_changed_history_is_detected():
    """The replayer does compare: a history whose first child-workflow start is replaced by a timer
    the code never started fails with a non-determinism error."""
    history = WorkflowHistory.from_json("order-T-HISTORY-PAID", tampered_order())
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "Nondeterminism" in str(result.replay_failure)


async def test_a_saved_history_that_does_not_replay_is_reported_by_its_file(tmp_path):
    """What the session's replay reports: the file of each history that failed, and why."""
    good = tmp_path / "test_x.test_paid--order-T-HISTORY-PAID.json"
    good.write_text((HISTORIES / "order_paid.json").read_text())
    bad = tmp_path / "test_x.test_tampered--order-T-HISTORY-PAID.json.gz"
    bad.write_bytes(gzip.compress(json.dumps(tampered_order()).encode()))
    failures = await replay([good, bad])
    assert list(failures) == [bad] and "Nondeterminism" in failures[bad]
    assert "test_x.test_tampered--order-T-HISTORY-PAID.json.gz: NondeterminismError" in failure_report(
        failures, tmp_path
    )


@pytest.mark.replay_last
async def test_every_history_of_this_session_replays(saved_workflow_histories):
    """Runs after every other test (the marker replay_last): each workflow the session's tests ran on the
    time-skipping server replays against the current code."""
    saved = saved_workflow_histories
    if not saved.files:
        pytest.skip("no test of this run ran a workflow on the time-skipping server")
    failures = await saved.replay_unreplayed()
    if failures:
        pytest.fail(failure_report(failures, saved.directory), pytrace=False)
