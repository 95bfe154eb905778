"""What operators watch, on a running system of its own: the API's /metrics, the worker's Temporal
SDK metrics (Prometheus), OpenTelemetry traces from the API request into the workflow and its
activities, log lines that name the order, and the worker's graceful shutdown."""

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api.app import create_app
from core import logs, telemetry
from core.database import make_engine
from core.settings import Settings
from core.temporal_client import connect
from tests.api.flows import CABLES, deliver_all, order_until, place
from tests.api.record_flows import pay
from tests.system import free_port, password_login, served
from worker import catalog_worker, orders_worker

ROOT = Path(__file__).resolve().parents[2]
SPANS = InMemorySpanExporter()


def tracer_provider() -> TracerProvider:
    """The process's tracer provider, which also keeps every span in SPANS: the global one can be
    set once per process, so the first test that needs it sets it."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        current = TracerProvider()
        trace.set_tracer_provider(current)
    if not getattr(current, "_o2c_in_memory", False):
        current.add_span_processor(SimpleSpanProcessor(SPANS))
        current._o2c_in_memory = True  # type: ignore[attr-defined]
    return current


def samples(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of metric `name` whose labels include `labels` (0 when none)."""
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group(2))
    return total


@pytest.fixture(scope="module")
async def observed(dev_env, api_settings):
    """The API (metrics on, traces on) in a uvicorn thread and an orders worker whose client has
    the Prometheus runtime and the tracing interceptor, on task queues of their own; yields the
    API's base URL, the worker's metrics URL and the settings."""
    tracer_provider()
    settings = api_settings.model_copy(
        update={
            "temporal_task_queue": f"observed-{uuid.uuid4().hex[:8]}",
            "temporal_catalog_task_queue": f"observed-catalog-{uuid.uuid4().hex[:8]}",
            "metrics_enabled": True,
            "otel_enabled": True,
            "worker_metrics_address": f"127.0.0.1:{free_port()}",
        }
    )
    app = create_app(settings)

    @app.get("/api/v1/orders/{order_id}/log-probe", include_in_schema=False)
    async def log_probe(order_id: str) -> dict:  # a line logged while an order route runs
        logging.getLogger("api.probe").warning("probing")
        return {}

    engine = make_engine(settings.database_url)
    client = await connect(settings, telemetry.worker_runtime(settings))
    try:
        async with served(app) as base, orders_worker(client, engine, settings):
            yield {
                "api": base,
                "worker_metrics": f"http://{settings.worker_metrics_address}/metrics",
                "settings": settings,
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
async def observed_http(observed):
    async with httpx.AsyncClient(base_url=observed["api"], timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def observed_login(observed_http):
    return password_login(observed_http)


@pytest.fixture(scope="module")
async def paid(observed, observed_http, observed_login):
    """One order run to PAID through the observed system (no approval: 10 cables), with the API's
    and the worker's metrics before it; yields those and its final document."""
    http, login = observed_http, observed_login
    buyer = await login("buyer@acme.example")
    async with httpx.AsyncClient(timeout=30) as scraper:
        api_before = (await http.get("/metrics")).text
        worker_before = (await scraper.get(observed["worker_metrics"])).text
    SPANS.clear()
    r = await place(http, buyer, CABLES, key=f"observed-{uuid.uuid4().hex}")
    assert r.status_code == 202, r.text
    order_id = r.json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    await deliver_all(http, doc)
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "INVOICED")
    invoice = doc["invoices"][0]
    r = await pay(http, login, invoice["invoice_id"], invoice["gross_total"], f"BANK-{order_id}")
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "PAID")
    return {"doc": doc, "api_before": api_before, "worker_before": worker_before}


async def test_the_api_counts_requests_by_route_template_and_the_orders_it_accepted(observed_http, paid):
    order_id = paid["doc"]["order_id"]
    r = await observed_http.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    now, before = r.text, paid["api_before"]

    def moved(name: str, **labels: str) -> float:
        return samples(now, name, **labels) - samples(before, name, **labels)

    assert moved("order2cash_orders_accepted_total") == 1
    assert moved("order2cash_partner_webhooks_total", result="accepted") == 3  # accepted, shipped, delivered
    route = "/api/v1/orders/{order_id}"
    assert moved("order2cash_http_requests_total", method="GET", route=route, status="200") >= 3
    assert moved("order2cash_http_request_duration_seconds_count", method="GET", route=route) >= 3
    assert order_id not in now  # route templates, never raw paths
    assert 'route="/metrics"' not in now  # the scrape itself is not counted
    assert moved("order2cash_http_server_errors_total") == 0


async def test_sign_ins_that_fail_are_counted(observed_http):
    before = (await observed_http.get("/metrics")).text
    r = await observed_http.post("/api/v1/auth/token", data={"username": "buyer@acme.example", "password": "nope"})
    assert r.status_code == 401
    r = await observed_http.get("/no/such/page")
    assert r.status_code == 404
    now = (await observed_http.get("/metrics")).text
    assert (
        samples(now, "order2cash_sign_ins_total", result="failed")
        - samples(before, "order2cash_sign_ins_total", result="failed")
        == 1
    )
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert samples(now, "order2cash_http_requests_total", **unmatched) == (
        samples(before, "order2cash_http_requests_total", **unmatched) + 1
    )
    assert "/no/such/page" not in now


async def test_the_worker_serves_the_temporal_sdk_metrics_and_they_move_when_an_order_runs(observed, paid):
    queue = observed["settings"].temporal_task_queue
    before = paid["worker_before"]

    def moved(now: str, name: str, **labels: str) -> float:
        return samples(now, name, task_queue=queue, **labels) - samples(before, name, task_queue=queue, **labels)

    def order_ran(now: str) -> bool:
        return (
            # the order and its sub-order ran to their end on this worker (the order's workflow
            # closes just after its record says PAID: scraped until it has)
            moved(now, "temporal_workflow_completed", workflow_type="Order") >= 1
            and moved(now, "temporal_workflow_completed", workflow_type="SubOrder") >= 1
            # the message to the unit is a regular activity, the bookkeeping local ones
            and moved(now, "temporal_activity_execution_latency_count", activity_type="notify_delivery_unit") >= 1
            and moved(now, "temporal_local_activity_total", activity_type="accept_order") >= 1
            and moved(now, "temporal_workflow_task_execution_latency_count", workflow_type="Order") >= 1
        )

    now = ""
    async with httpx.AsyncClient(timeout=30) as scraper:
        for _ in range(200):
            r = await scraper.get(observed["worker_metrics"])
            assert r.status_code == 200
            now = r.text
            if order_ran(now):
                break
            await asyncio.sleep(0.05)
    assert order_ran(now), now


async def test_a_trace_runs_from_the_api_request_into_the_workflow_and_its_activities(paid):
    spans = SPANS.get_finished_spans()
    by_name = {span.name: span for span in spans}
    request = by_name["POST /api/v1/orders"]  # the FastAPI instrumentation's server span
    trace_id = request.context.trace_id
    same_trace = {span.name for span in spans if span.context.trace_id == trace_id}
    assert {"StartWorkflow:Order", "RunWorkflow:Order", "RunActivity:accept_order"} <= same_trace
    assert "RunWorkflow:SubOrder" in same_trace  # the child workflow, and the unit's message
    assert "RunActivity:notify_delivery_unit" in same_trace
    assert not any(span.name.startswith("GET /metrics") for span in spans)


async def test_log_lines_of_an_orders_activities_and_routes_name_the_order(
    observed, observed_http, observed_login, caplog
):
    caplog.set_level(logging.INFO)
    buyer = await observed_login("buyer@acme.example")
    r = await place(observed_http, buyer, CABLES, key=f"logged-{uuid.uuid4().hex}")
    assert r.status_code == 202, r.text
    order_id = r.json()["order_id"]
    await order_until(observed_http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    r = await observed_http.get(f"/api/v1/orders/{order_id}/log-probe")
    assert r.status_code == 200, r.text

    formatter = logs.OrderFormatter("worker")
    accepted = [r for r in caplog.records if r.name == "temporalio.activity" and "order accepted" in r.getMessage()]
    assert any(logs.order_id_of(record) == order_id for record in accepted)
    line = formatter.format(next(r for r in accepted if logs.order_id_of(r) == order_id))
    assert f"[order {order_id}] order accepted: " in line
    assert "temporalio.activity" in line

    probe = next(r for r in caplog.records if r.name == "api.probe")
    assert f"[order {order_id}] probing" in logs.OrderFormatter("api").format(probe)
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "no order", None, None)
    assert "[order -] no order" in formatter.format(other)


def test_order_ids_are_found_in_order_and_suborder_workflow_ids():
    assert logs.order_of_workflow("order-O-0123456789AB") == "O-0123456789AB"
    assert logs.order_of_workflow("suborder-O-0123456789AB-central-warehouse-2") == "O-0123456789AB"
    assert logs.order_of_workflow("catalog-publication-3") is None


async def test_the_worker_gives_running_activities_the_grace_period(dev_env, engine):
    settings = Settings(worker_shutdown_grace=timedelta(seconds=7))
    for build in (orders_worker, catalog_worker):
        worker = build(dev_env.client, engine, settings)
        assert worker.config()["graceful_shutdown_timeout"] == timedelta(seconds=7)
    assert Settings().worker_shutdown_grace == timedelta(seconds=50)  # under compose's 60 s stop_grace_period
    assert Settings(worker_shutdown_grace="PT2M").worker_shutdown_grace == timedelta(minutes=2)


async def test_sigterm_stops_the_worker_cleanly_after_it_served_its_metrics(dev_env, tmp_path):
    """worker.py as a deployment runs it: metrics on WORKER_METRICS_ADDRESS, and SIGTERM ends it with
    exit code 0 once its workers have shut down."""
    address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "DATABASE_URL": f"sqlite:///{tmp_path}/worker.db",
        "TEMPORAL_CATALOG_TASK_QUEUE": f"sigterm-{uuid.uuid4().hex[:8]}",
        "WORKER_METRICS_ADDRESS": address,
        "WORKER_SHUTDOWN_GRACE": "5",
    }
    proc = subprocess.Popen(
        [sys.executable, "worker.py", "--queue", "catalog"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not any("worker on task queue" in line for line in lines):
            line = await asyncio.to_thread(proc.stderr.readline)
            assert line, f"the worker ended: {''.join(lines)}"
            lines.append(line)
        async with httpx.AsyncClient(timeout=30) as scraper:
            r = await scraper.get(f"http://{address}/metrics")
        assert r.status_code == 200
        assert "temporal_" in r.text
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.to_thread(proc.stderr.read)
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, "".join(lines) + rest
    assert "stopping: running activities get 0:00:05 to finish" in rest
    assert " worker INFO " in "".join(lines)  # the project's log format (core/logs.py)


def test_one_time_link_tokens_stay_out_of_the_access_log():
    """The token in /invitation/{token} is a password until used: uvicorn's access line for it
    (the shape uvicorn logs) reaches the handlers without it."""
    create_app(Settings(jwt_secret="x" * 32, metrics_enabled=False))
    access = logging.getLogger("uvicorn.access")
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/invitation/SeCrEt-ToKeN_123?x=1", "1.1", 200),
        None,
    )
    assert all(f.filter(record) for f in access.filters)
    assert "SeCrEt" not in record.getMessage() and "/invitation/[redacted]?x=1" in record.getMessage()
