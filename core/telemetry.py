"""What a process tells its operators besides logs (README "Operators: metrics and traces"):

- the Temporal SDK's own metrics (workflow and activity tasks, their latencies, polls, slots) on a
  Prometheus endpoint of the worker, `WORKER_METRICS_ADDRESS`;
- with `OTEL_ENABLED`, OpenTelemetry traces: one tracer provider per process that exports over
  OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (the standard OTEL_* variables configure the
  exporter and `OTEL_SERVICE_NAME` the service), and Temporal's tracing interceptor on the client,
  which carries the trace from the API's request into the workflow and its activities.

The API's own metrics are in api/observability.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.settings import Settings

if TYPE_CHECKING:
    from temporalio.client import Interceptor


def worker_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime that serves the SDK's metrics at WORKER_METRICS_ADDRESS (None: not set,
    the default runtime without metrics). Create it once per process: it binds the port."""
    if not settings.worker_metrics_address:
        return None
    # Temporal's own names and units (durations in milliseconds), as its SDK metrics reference and
    # dashboards have them: temporal_workflow_completed, temporal_activity_execution_latency, ...
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=settings.worker_metrics_address)))


def setup_tracing(settings: Settings, service_name: str) -> bool:
    """With OTEL_ENABLED, makes the process's global tracer provider one that exports over OTLP,
    unless the process has one already (a test's, an auto-instrumentation's); answers whether
    traces are on."""
    if not settings.otel_enabled:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return True
    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win over the process's own name
    resource = Resource.create({"service.name": service_name}).merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


def temporal_interceptors(settings: Settings) -> list[Interceptor]:
    """Temporal's tracing interceptor when OTEL_ENABLED: on a client it traces starts, updates and
    queries, and on the workers built from that client the workflows and activities they run."""
    if not settings.otel_enabled:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]
