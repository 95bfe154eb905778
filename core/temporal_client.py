"""Connecting to Temporal with the pydantic data converter (the one every process must share), and
the namespace's retention (how long closed workflows and their histories are kept)."""

from datetime import timedelta

from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from core import telemetry
from core.settings import Settings


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client on TEMPORAL_ADDRESS; with OTEL_ENABLED it traces (and so do the workers built from
    it). `runtime`: the worker's, which serves the SDK's metrics (core/telemetry.py)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=telemetry.temporal_interceptors(settings),
        runtime=runtime,
    )


async def set_retention(client: Client, retention: timedelta, namespace: str | None = None) -> timedelta:
    """Sets the retention of `namespace` (default: the client's) and nothing else of its config;
    answers the retention the server now holds. The server refuses less than an hour
    (RPCError INVALID_ARGUMENT) and an unknown namespace (NOT_FOUND)."""
    config = NamespaceConfig()
    config.workflow_execution_retention_ttl.FromTimedelta(retention)
    response = await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(namespace=namespace or client.namespace, config=config)
    )
    return response.config.workflow_execution_retention_ttl.ToTimedelta()


async def retention_of(client: Client, namespace: str | None = None) -> timedelta:
    """The retention of `namespace` (default: the client's), as DescribeNamespace tells it."""
    response = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace or client.namespace)
    )
    return response.config.workflow_execution_retention_ttl.ToTimedelta()
