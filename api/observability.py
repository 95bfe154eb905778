"""What the API tells its operators (README "Operators: metrics and traces"):

- `GET /metrics` (METRICS_ENABLED, default on) in Prometheus' text format: every request by
  method, route template (`/api/v1/orders/{order_id}`, never the raw path: the series stay few)
  and status, its latency, the server errors, and business counters read off the answers of a few
  routes (orders the API accepted, partner webhooks taken or refused, sign-ins failed or
  throttled). Under several processes (`uvicorn --workers N`) set PROMETHEUS_MULTIPROC_DIR to an
  empty directory per start so that a scrape sums them (prometheus-client's multiprocess mode).
- with OTEL_ENABLED, a trace of every request (OpenTelemetry's FastAPI instrumentation), which
  Temporal's interceptor (core/telemetry.py) carries on into the workflows.
- log lines written while an order route runs name its order (core/logs.py).

`/metrics` itself is neither counted nor traced, and it is not in the OpenAPI document.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import logs, telemetry
from core.settings import Settings

METRICS_PATH = "/metrics"

disable_created_metrics()  # no `*_created` series beside every counter: Prometheus does not need them

REQUESTS = Counter(
    "order2cash_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "order2cash_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SERVER_ERRORS = Counter(
    "order2cash_http_server_errors",
    "Requests answered 5xx or that raised, by method and route template",
    ["method", "route"],
)
ORDERS_ACCEPTED = Counter(
    "order2cash_orders_accepted",
    "Orders POST /api/v1/orders accepted (202; a retry with the same Idempotency-Key counts too)",
)
PARTNER_WEBHOOKS = Counter(
    "order2cash_partner_webhooks",
    "Delivery units' webhooks by result: accepted (2xx), refused (4xx: signature, stale, unknown unit, state)",
    ["result"],
)
SIGN_INS = Counter(
    "order2cash_sign_ins",
    "Sign-ins (token and web page) by result: ok, failed (wrong or unknown credentials), throttled (429)",
    ["result"],
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _webhook(status: int) -> None:
    if 200 <= status < 300:
        PARTNER_WEBHOOKS.labels("accepted").inc()
    elif 400 <= status < 500:
        PARTNER_WEBHOOKS.labels("refused").inc()


def _sign_in(status: int) -> None:
    if status == 429:
        SIGN_INS.labels("throttled").inc()
    elif status in (200, 303):  # the token, or the page's redirect after a sign-in
        SIGN_INS.labels("ok").inc()
    elif status in (400, 401):
        SIGN_INS.labels("failed").inc()


def _order(status: int) -> None:
    if status == 202:
        ORDERS_ACCEPTED.inc()


# (method, route template) → what its answer's status counts for
BUSINESS: dict[tuple[str, str], Callable[[int], None]] = {
    ("POST", "/api/v1/orders"): _order,
    ("POST", "/api/v1/webhooks/partners/{partner_id}"): _webhook,
    ("POST", "/api/v1/auth/token"): _sign_in,
    ("POST", "/login"): _sign_in,
}


def route_of(scope: Scope, status: int) -> str:
    """The template of the route that answered; a bounded label for the rest."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template:
        return str(template)
    if status in (404, 405):
        return "unmatched"
    return "other"  # a mount (static files)


class MetricsMiddleware:
    """Counts and times every request but /metrics. Pure ASGI (no BaseHTTPMiddleware: no task and
    no body copy per request); it reads the route after routing, from the scope the router filled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        status = 500  # what the server-error handler outside answers if the app raises before a start
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = route_of(scope, status)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
            if status >= 500:
                SERVER_ERRORS.labels(method, route).inc()
            business = BUSINESS.get((method, route))
            if business is not None:
                business(status)


def metrics_registry() -> CollectorRegistry:
    """This process's metrics, or every process's under PROMETHEUS_MULTIPROC_DIR."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


async def metrics(request: Request) -> Response:
    return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)


async def order_in_logs(request: Request) -> None:
    """Log lines while this request runs name its order (core/logs.py); a dependency of every
    route, so it sees the path's parameters. Async: it runs in the request's own context."""
    params = request.path_params
    if "order_id" in params:
        logs.ORDER_ID.set(str(params["order_id"]))
    elif "suborder_id" in params:
        logs.ORDER_ID.set(logs.order_of_suborder(str(params["suborder_id"])))


def install(app: FastAPI, settings: Settings) -> None:
    """Metrics, traces and order ids in the logs for `app`; call it before the routers are
    included (the log dependency applies to the routes included after)."""
    serve = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        # when served, not when imported; a no-op where logging is set up already (a test
        # runner, uvicorn --log-config); uvicorn's own lines (access log too) get the format
        logs.configure("api", also=("uvicorn", "uvicorn.access"))
        async with serve(app) as state:
            yield state

    app.router.lifespan_context = lifespan
    logs.stamp_records()
    logs.redact_access_log()
    app.router.dependencies.append(Depends(order_in_logs))
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware)
        app.add_route(METRICS_PATH, metrics, include_in_schema=False)
    if telemetry.setup_tracing(settings, "order2cash-api"):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls=f"{METRICS_PATH.lstrip('/')},invitation/")
