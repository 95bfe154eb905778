"""Replay as a habit: every test that runs workflows on the time-skipping test server (fixture
`time_env`) leaves the histories of the workflows it ran behind, and the session replays all of them
against the current workflow code. A change to a workflow that running orders could not take (a
non-deterministic one) fails the suite where it is made.

A plugin of the root conftest. After each test that uses `time_env` (after its own fixtures have
ended what was still running) every workflow execution that closed on the server and was not saved
yet is fetched and written to the session's directory (pytest's basetemp, `workflow-histories0/`),
as `<module>.<test>--<workflow id>.json`. tests/test_replay.py::test_every_history_of_this_session_replays
runs last and replays them; when it is not part of the run (a subset of the suite), the session's
end replays them instead and reports a failure as an error.

SAVE_RELEASE_HISTORIES=<directory> also writes, gzip-compressed, one history per distinct path
(a few per test at most) to that directory: how tests/histories/release/ was recorded (see
tests/histories/README.md).
"""

import asyncio
import base64
import gzip
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ListClosedWorkflowExecutionsRequest
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.catalog_publication import CatalogPublicationWorkflow
from workflows.catalog_sync import CatalogSyncWorkflow
from workflows.order import OrderWorkflow
from workflows.reconciliation import OrderReconciliationWorkflow
from workflows.suborder import SubOrderWorkflow

# every workflow type the workers run (worker.py): a history of a type missing here fails to replay
WORKFLOWS = [
    OrderWorkflow,
    SubOrderWorkflow,
    CatalogPublicationWorkflow,
    CatalogSyncWorkflow,
    OrderReconciliationWorkflow,
]
RELEASE_ENV = "SAVE_RELEASE_HISTORIES"
RELEASE_PER_TEST = 4  # histories of distinct paths kept of one test at most
REPLAY_LAST = "replay_last"  # the marker of the test that replays what the session saved


def replayer() -> Replayer:
    return Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)


# --- files ------------------------------------------------------------------------------------------


def name_of_test(node: pytest.Item) -> str:
    """`<module>.<test>` (a parameter as `.param`), safe as a file name and free of "--"."""
    name = re.sub(r"\[(.*)\]$", r".\1", f"{node.path.stem}.{node.name}")
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9_.-]+", "_", name))


def workflow_id_of(path: Path) -> str:
    """`<test>--<workflow id>.json[.gz]`: the workflow id the history was recorded under."""
    return path.name.removesuffix(".gz").removesuffix(".json").split("--", 1)[1]


def read_json(path: Path) -> dict[str, Any]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return json.loads(raw)


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(workflow_id_of(path), read_json(path))


def free_path(directory: Path, test: str, workflow_id: str, suffix: str) -> Path:
    """The file for this history; a second run of the same workflow id in one test gets `.2`."""
    path, n = directory / f"{test}--{workflow_id}{suffix}", 1
    while path.exists():
        n += 1
        path = directory / f"{test}.{n}--{workflow_id}{suffix}"
    return path


# --- what a history holds -----------------------------------------------------------------------


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def _step(event: HistoryEvent) -> str:
    kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    name = ""
    if event.HasField("activity_task_scheduled_event_attributes"):
        name = event.activity_task_scheduled_event_attributes.activity_type.name
    elif event.HasField("start_child_workflow_execution_initiated_event_attributes"):
        name = event.start_child_workflow_execution_initiated_event_attributes.workflow_type.name
    elif event.HasField("workflow_execution_signaled_event_attributes"):
        name = event.workflow_execution_signaled_event_attributes.signal_name
    elif event.HasField("signal_external_workflow_execution_initiated_event_attributes"):
        name = event.signal_external_workflow_execution_initiated_event_attributes.signal_name
    elif event.HasField("workflow_execution_update_accepted_event_attributes"):
        name = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
    elif event.HasField("marker_recorded_event_attributes"):
        name = event.marker_recorded_event_attributes.marker_name
    return f"{kind}:{name}" if name else kind


def path_of(history: WorkflowHistory) -> tuple[str, ...]:
    """The path a run took: its type and the commands and messages of its history in order (which
    activity, child, signal, update, marker), without the workflow tasks between them."""
    steps = [
        _step(e) for e in history.events if not EventType.Name(e.event_type).startswith("EVENT_TYPE_WORKFLOW_TASK_")
    ]
    return (workflow_type(history), *steps)


def payload_text(data: dict[str, Any]) -> str:
    """Every payload of a history in its JSON form (inputs, results, signals, updates), decoded."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "metadata" in node and isinstance(node.get("data"), str):
                texts.append(base64.b64decode(node["data"]).decode(errors="replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return "\n".join(texts)


# --- replay ---------------------------------------------------------------------------------------


async def replay(paths: Iterable[Path]) -> dict[Path, str]:
    """Replays the histories against the current workflow code; the failures, by file."""
    by_run: dict[str, Path] = {}
    failures: dict[Path, str] = {}

    async def histories():
        for path in paths:
            history = load(path)
            by_run[history.run_id] = path
            yield history

    results = await replayer().replay_workflows(histories(), raise_on_replay_failure=False)
    for run_id, failure in results.replay_failures.items():
        failures[by_run[run_id]] = f"{type(failure).__name__}: {failure}"
    return failures


def failure_report(failures: dict[Path, str], directory: Path) -> str:
    lines = [f"{len(failures)} saved workflow histories do not replay against the current code ({directory}):"]
    lines += [f"  {path.name}: {message}" for path, message in sorted(failures.items())]
    return "\n".join(lines)


# --- saving ---------------------------------------------------------------------------------------


@dataclass
class ReleaseRecorder:
    """Writes, gzip-compressed, the histories of the distinct paths each test took: at most
    RELEASE_PER_TEST of one test, and none whose path the test took already with another parameter
    (the other database)."""

    directory: Path
    taken: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)  # (test, path)
    written: list[Path] = field(default_factory=list)

    def offer(self, node: pytest.Item, histories: list[tuple[str, WorkflowHistory]]) -> None:
        test = f"{node.path.stem}.{getattr(node, 'originalname', node.name)}"
        new: dict[tuple[str, ...], tuple[str, WorkflowHistory]] = {}
        for workflow_id, history in histories:
            path = path_of(history)
            if (test, path) not in self.taken:
                new.setdefault(path, (workflow_id, history))
        # the longest history of each workflow type first, then the longest of the rest
        ranked = sorted(new, key=lambda path: -len(new[path][1].events))
        first: dict[str, tuple[str, ...]] = {}
        for path in ranked:
            first.setdefault(path[0], path)
        chosen = list(first.values()) + [path for path in ranked if path not in first.values()]
        for path in chosen[:RELEASE_PER_TEST]:
            workflow_id, history = new[path]
            target = free_path(self.directory, name_of_test(node), workflow_id, ".json.gz")
            target.write_bytes(gzip.compress(history.to_json().encode(), compresslevel=9, mtime=0))
            self.taken.add((test, path))
            self.written.append(target)


@dataclass
class SavedHistories:
    """The session's saved histories: where, which runs, and how many of them were replayed."""

    directory: Path
    runs: set[tuple[str, str]] = field(default_factory=set)  # (workflow id, run id)
    files: list[Path] = field(default_factory=list)
    replayed: int = 0  # files[:replayed] went through a replay
    release: ReleaseRecorder | None = None

    async def save_closed(self, client: Client, node: pytest.Item) -> None:
        """Fetches and saves the history of every execution that closed and was not saved yet."""
        new = [run for run in await closed_runs(client) if run not in self.runs]
        histories = await asyncio.gather(
            *(client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history() for workflow_id, run_id in new)
        )
        for (workflow_id, _), history in zip(new, histories, strict=True):
            path = free_path(self.directory, name_of_test(node), workflow_id, ".json")
            path.write_text(history.to_json())
            self.files.append(path)
        self.runs.update(new)
        if self.release is not None and new:
            self.release.offer(node, [(workflow_id, h) for (workflow_id, _), h in zip(new, histories, strict=True)])

    async def replay_unreplayed(self) -> dict[Path, str]:
        pending, self.replayed = self.files[self.replayed :], len(self.files)
        return await replay(pending) if pending else {}


async def closed_runs(client: Client) -> list[tuple[str, str]]:
    """Every closed execution on the server. The time-skipping test server lists open and closed
    executions (it has no ListWorkflowExecutions query)."""
    runs: list[tuple[str, str]] = []
    token = b""
    while True:
        page = await client.workflow_service.list_closed_workflow_executions(
            ListClosedWorkflowExecutionsRequest(
                namespace=client.namespace, maximum_page_size=1000, next_page_token=token
            )
        )
        runs += [(e.execution.workflow_id, e.execution.run_id) for e in page.executions]
        token = page.next_page_token
        if not token:
            return runs


# --- the plugin -----------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{REPLAY_LAST}: runs after every other test of the session")
    release = os.environ.get(RELEASE_ENV)
    if release and any(Path(release).glob("*.json.gz")):
        raise pytest.UsageError(f"{RELEASE_ENV}={release} holds histories already: record into an empty directory")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test that replays the session's histories goes last, after every workflow test."""
    last = [item for item in items if item.get_closest_marker(REPLAY_LAST)]
    items[:] = [item for item in items if not item.get_closest_marker(REPLAY_LAST)] + last


@pytest.fixture(scope="session")
async def saved_workflow_histories(tmp_path_factory):
    """The session's saved histories. At the session's end whatever no test replayed yet (the
    replaying test was not part of the run) is replayed; a failure is an error of the run."""
    release = os.environ.get(RELEASE_ENV)
    recorder = None
    if release:
        Path(release).mkdir(parents=True, exist_ok=True)
        recorder = ReleaseRecorder(Path(release))
    saved = SavedHistories(tmp_path_factory.mktemp("workflow-histories"), release=recorder)
    yield saved
    failures = await saved.replay_unreplayed()
    if recorder is not None:
        print(f"\n{RELEASE_ENV}: wrote {len(recorder.written)} histories to {recorder.directory}")
    if failures:
        pytest.fail(failure_report(failures, saved.directory), pytrace=False)


@pytest.fixture
async def _workflow_history_saver(request, time_env, saved_workflow_histories):
    yield
    # torn down after the test's own fixtures, which terminate what the test left running
    await saved_workflow_histories.save_closed(time_env.client, request.node)


@pytest.fixture(autouse=True)
def _workflow_histories_of_the_test(request):
    """Saves the histories of a test that runs workflows on the time-skipping server; a no-op for
    every other test (it starts no test server)."""
    if "time_env" in request.fixturenames:
        request.getfixturevalue("_workflow_history_saver")
