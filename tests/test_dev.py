"""`make run` (cli/dev.py) and Temporal's namespace: the retention it sets (TEMPORAL_RETENTION,
against the real dev server of tests/system.py) and the search attributes it registers."""

import asyncio
import subprocess
import time
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cli.dev import apply_retention, human, search_attribute_flags
from core import temporal_names as names
from core.settings import Settings
from core.temporal_client import retention_of, set_retention
from tests.conftest import SEARCH_ATTRIBUTE_TYPES, executable
from tests.system import free_port


async def described_retention(client: Client, namespace: str = "default") -> timedelta:
    """Read back independently of the code under test: DescribeNamespace itself."""
    response = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    return response.config.workflow_execution_retention_ttl.ToTimedelta()


@pytest.fixture
async def dev_client(dev_env):
    """The session's dev server; its retention is put back after the test."""
    before = await described_retention(dev_env.client)
    yield dev_env.client
    await set_retention(dev_env.client, before)


def settings_for(client: Client, **changes) -> Settings:
    return Settings(temporal_address=client.service_client.config.target_host, **changes)


async def test_the_retention_is_set_and_read_back(dev_client):
    assert await set_retention(dev_client, timedelta(days=3)) == timedelta(days=3)
    assert await described_retention(dev_client) == timedelta(days=3)
    assert await retention_of(dev_client) == timedelta(days=3)
    assert await set_retention(dev_client, timedelta(hours=1)) == timedelta(hours=1)  # Temporal's least
    assert await described_retention(dev_client) == timedelta(hours=1)


async def test_make_run_sets_temporal_retention_on_the_namespace(dev_client):
    assert await apply_retention(settings_for(dev_client, temporal_retention="P45D")) == timedelta(days=45)
    assert await described_retention(dev_client) == timedelta(days=45)
    # the default when nothing is set: 30 days (the dev server's own is 24 hours)
    assert await apply_retention(settings_for(dev_client)) == timedelta(days=30)
    assert await described_retention(dev_client) == timedelta(days=30)


async def test_setting_the_retention_changes_nothing_else(dev_client):
    request = ListSearchAttributesRequest(namespace=dev_client.namespace)
    before = dict((await dev_client.operator_service.list_search_attributes(request)).custom_attributes)
    described = await dev_client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
    await set_retention(dev_client, timedelta(days=7))
    after = await dev_client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
    assert dict((await dev_client.operator_service.list_search_attributes(request)).custom_attributes) == before
    assert after.config.history_archival_state == described.config.history_archival_state
    assert after.config.custom_search_attribute_aliases == described.config.custom_search_attribute_aliases
    assert after.namespace_info.description == described.namespace_info.description


async def test_a_retention_the_server_refuses_fails_at_once(dev_client):
    with pytest.raises(RPCError) as refused:
        await set_retention(dev_client, timedelta(minutes=30))
    assert refused.value.status == RPCStatusCode.INVALID_ARGUMENT
    # the setting refuses it first; past the setting, `make run` does not retry a refusal
    with pytest.raises(ValueError, match="1 hour"):
        settings_for(dev_client, temporal_retention="PT30M")
    too_short = settings_for(dev_client).model_copy(update={"temporal_retention": timedelta(minutes=30)})
    started = time.monotonic()
    with pytest.raises(RPCError):
        await apply_retention(too_short, seconds=10)
    assert time.monotonic() - started < 5


async def test_an_unknown_namespace_is_retried_then_reported(dev_client):
    started = time.monotonic()
    with pytest.raises(RPCError) as missing:
        await apply_retention(settings_for(dev_client, temporal_namespace="no-such-namespace"), seconds=1)
    assert missing.value.status == RPCStatusCode.NOT_FOUND
    assert 1 <= time.monotonic() - started < 10


async def test_the_test_servers_know_every_search_attribute_with_its_type(dev_env, time_env):
    """dev_env registers them through the SDK (`start_local(search_attributes=...)`), time_env through
    tests/conftest.py; the time-skipping server accepted them (it cannot list them)."""
    wanted = {key.name: SEARCH_ATTRIBUTE_TYPES[key.indexed_value_type.name] for key in names.SEARCH_ATTRIBUTES}
    assert wanted["NeedsAttention"] == IndexedValueType.INDEXED_VALUE_TYPE_BOOL
    listed = await dev_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=dev_env.client.namespace)
    )
    assert {name: listed.custom_attributes[name] for name in wanted} == wanted


def test_the_flags_name_every_search_attribute_with_its_cli_type():
    flags = search_attribute_flags()
    assert flags[::2] == ["--search-attribute"] * len(names.SEARCH_ATTRIBUTES)
    pairs = dict(flag.split("=") for flag in flags[1::2])
    assert pairs["NeedsAttention"] == "Bool" and pairs["OrderTotal"] == "Double" and pairs["OrderId"] == "Keyword"
    assert list(pairs) == [key.name for key in names.SEARCH_ATTRIBUTES]


async def test_the_dev_server_make_run_starts_accepts_the_flags():
    """`make run` passes search_attribute_flags() to `temporal server start-dev`; so does bench/."""
    port = free_port()
    server = subprocess.Popen(
        [executable("temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--log-level", "error", *search_attribute_flags()],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        listed = None
        deadline = time.monotonic() + 60
        while listed is None and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                client = await Client.connect(f"127.0.0.1:{port}")
                listed = await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace="default")
                )
            except RuntimeError:  # not listening yet
                await asyncio.sleep(0.2)
        assert listed is not None, "the dev server did not answer"
        wanted = {key.name: SEARCH_ATTRIBUTE_TYPES[key.indexed_value_type.name] for key in names.SEARCH_ATTRIBUTES}
        assert {name: listed.custom_attributes[name] for name in wanted} == wanted
        # what `make run` then does on it
        settings = Settings(temporal_address=f"127.0.0.1:{port}")
        assert await apply_retention(settings) == timedelta(days=30)
        assert await described_retention(client) == timedelta(days=30)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(days=30), "30 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=90), "1:30:00"),
    ],
)
def test_the_banner_says_the_retention_plainly(duration, text):
    assert human(duration) == text
