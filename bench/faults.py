"""Fault drill: orders end to end through the HTTP API while the worker and Temporal are killed.

    .venv/bin/python bench/faults.py [--orders N] [--concurrency C] [--partner-backend]   (also: make faults)

Starts the system as bench/orders_e2e.py does (its helpers are reused): a fresh temp dir, free
ports, a Temporal dev server on a SQLite file, a migrated and seeded SQLite app database, the
worker and the API as subprocesses. Then it drives N orders (C in flight) as the parties would,
exactly as the benchmark does: the buyer places SW-24-PRO + 10 x CBL-CAT6-5M (two delivery units,
no approval), polls until both sub-orders exist, each unit sends signed accepted/shipped/delivered
webhooks, the buyer polls until INVOICED, finance pays, the buyer polls until PAID.

The clients retry as a careful client must: on a connection error, a timeout or a 5xx (503 with
Retry-After: after that many seconds) they send the same request again, with the same
Idempotency-Key (order placement, payment) or the same webhook-id (webhooks, signed anew).

While the load runs, at fixed shares of the orders placed, the drill
- SIGKILLs the worker (at 25 % and 65 %) and starts it again after --worker-down seconds;
- SIGKILLs the Temporal dev server (at 45 %) and starts it again after --temporal-down seconds on
  the same port and the same SQLite file (--db-filename persists it). The API keeps running and
  answers 503 with Retry-After meanwhile (15 s by default: longer than the ~10 s the Temporal
  client in the API retries a call by itself, so the clients do see 503s).
A fault waits until the previous one is over (the new worker polls its task queue) and orders
move again, so faults never pile up.

Then it checks, and exits 1 if any check fails:
- every order is PAID (otherwise: how many are in which status);
- invoice numbers are unique and gapless per seller and year, one invoice per order, and one
  payment of the gross total per invoice;
- every order has 2 sub-orders with distinct units, Temporal ran exactly one Order workflow per order
  and one SubOrder workflow per sub-order, and no unit was told about a sub-order twice: the demo
  units have no backend URL, so they are told in their portal inbox (`notification` rows, one per
  message key) and the drill counts those rows per sub-order and per order and unit; with
  --partner-backend the units get a webhook URL of a local HTTP server the drill runs, which
  records and verifies every message it receives: one webhook-id per sub-order, and redeliveries
  of that same id (at-least-once, the unit drops them) are counted;
- the order record (GET /api/v1/orders/{id}) matches the workflow: the result of a closed Order
  workflow (a running one: its query) for status, totals, lines, sub-orders, invoices, timeline and
  revision, and each sub-order's status matches its SubOrder workflow's result;
- the API's 503s carry Retry-After, and it answers no other 5xx;
- every repeated request got the answer of the first (no 4xx to a retry);
- no process died other than by the drill's hand.

It prints requests and retries, 503s seen, kills and restarts, the time each fault kept the
orders from moving, wall time and orders/s. See docs/benchmarks.md ("Fault drill").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from bench.orders_e2e import (  # noqa: E402 - the system is started exactly as the benchmark starts it
    BUYER,
    EVENTS,
    FINANCE,
    ORDER_BODY,
    System,
    free_port,
    log,
    prepare_database,
    quantile,
    scan_logs,
    start_api,
    start_temporal,
    tail,
    temporal_ready,
    versions,
)

SUBORDERS_PER_ORDER = 2  # ORDER_BODY's two lines go to two delivery units
# (share of the orders placed, what to kill): spread over the run so each fault hits orders in
# every phase, and the faults do not overlap
PLAN = [(0.25, "worker"), (0.45, "temporal"), (0.65, "worker")]


# --- the clients: every request retried as a careful client would -------------------------------


class OrderFailed(Exception):
    """One order could not be driven on (the drill records it and goes on with the others)."""


@dataclass
class Figures:
    """What the clients saw."""

    attempts: int = 0  # HTTP requests sent, repeats included
    requests: int = 0  # requests the clients meant to make (each once)
    retried: int = 0  # of those, how many needed a repeat
    repeats: int = 0  # repeats sent
    status_503: int = 0
    status_503_without_retry_after: int = 0
    status_5xx: Counter[int] = field(default_factory=Counter)  # other than 503
    transport_errors: Counter[str] = field(default_factory=Counter)
    retry_after_waited: float = 0.0  # seconds slept because a 503 said so
    duplicate_webhook_acks: int = 0  # a repeated webhook answered "duplicate"
    # a repeat that got another answer than the first would have (the effect was already there)
    retry_anomalies: list[str] = field(default_factory=list)
    # requests that need Temporal succeeded: (kind, sent, answered); a placement needs only Temporal,
    # a webhook or a payment (updates) the worker too
    progress: list[tuple[str, float, float]] = field(default_factory=list)


class Api:
    """The HTTP API as its clients use it: one request sent again on connection errors, timeouts and
    5xx, honouring Retry-After, with whatever makes it the same request (built per attempt)."""

    def __init__(self, http: httpx.AsyncClient, figures: Figures, give_up_after: float):
        self.http = http
        self.figures = figures
        self.give_up_after = give_up_after

    async def send(
        self, what: str, method: str, url: str, build: Callable[[], dict[str, Any]] | None = None
    ) -> tuple[httpx.Response, int]:
        """The first answer below 500 and how many attempts it took. `build` gives the request's
        arguments (headers, body) for each attempt: a webhook is signed anew, with the same id."""
        f = self.figures
        f.requests += 1
        deadline = time.monotonic() + self.give_up_after
        attempt = 0
        while True:
            attempt += 1
            f.attempts += 1
            wait = min(0.5 * 2 ** (attempt - 1), 5.0)  # backoff when the answer names no wait
            try:
                response = await self.http.request(method, url, **(build() if build else {}))
            except httpx.TransportError as exc:  # connect refused, reset, timeout: the request may have arrived
                f.transport_errors[type(exc).__name__] += 1
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500:
                    return response, attempt
                last = f"HTTP {response.status_code} {response.text[:200]}"
                if response.status_code == 503:
                    f.status_503 += 1
                else:
                    f.status_5xx[response.status_code] += 1
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = float(retry_after)
                    f.retry_after_waited += wait
                elif response.status_code == 503:
                    f.status_503_without_retry_after += 1
            if time.monotonic() + wait > deadline:
                raise OrderFailed(f"{what}: gave up after {attempt} attempts; last: {last}")
            f.repeats += 1
            if attempt == 1:
                f.retried += 1
            await asyncio.sleep(wait)


# --- a delivery unit's backend (--partner-backend) ------------------------------------------------


@dataclass
class Delivery:
    unit: str
    webhook_id: str
    type: str
    suborder_id: str
    signature_ok: bool


class PartnerBackend:
    """A real HTTP server standing in for the units' backends: it verifies and records every
    message the worker's notify_delivery_unit activity posts to it and answers 200."""

    def __init__(self, secrets: dict[str, str]):
        self.secrets = secrets
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                unit = self.path.rstrip("/").rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                backend.received(unit, body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per message on stderr would drown the drill's output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="partner-backend", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url_of(self, unit: str) -> str:
        return f"http://127.0.0.1:{self.port}/units/{unit}"

    def received(self, unit: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            Webhook(self.secrets[unit]).verify(body, headers, json_parse=False)
            ok = True
        except Exception:  # noqa: BLE001 - a bad signature is recorded and reported, not raised here
            ok = False
        message = json.loads(body or b"{}")
        with self.lock:
            self.deliveries.append(
                Delivery(
                    unit=unit,
                    webhook_id=headers.get("webhook-id", ""),
                    type=str(message.get("type")),
                    suborder_id=str(message.get("suborder_id")),
                    signature_ok=ok,
                )
            )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def give_units_a_backend(database_url: str, backend: PartnerBackend) -> None:
    """Points every delivery unit of this run's app database at the drill's backend."""
    from sqlalchemy import update
    from sqlmodel import col

    from core.database import make_engine
    from partners.tables import DeliveryUnit

    engine = make_engine(database_url)
    with engine.begin() as conn:
        for unit in backend.secrets:
            conn.execute(
                update(DeliveryUnit).where(col(DeliveryUnit.id) == unit).values(webhook_url=backend.url_of(unit))
            )
    engine.dispose()


# --- the parties driving the orders ---------------------------------------------------------------


@dataclass
class Progress:
    placed: int = 0
    paid: int = 0
    order_ids: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # order id (or "#n" before it had one) -> why


class Parties:
    """The buyer, the units' backends and finance, each order as orders_e2e.py drives it."""

    def __init__(self, api: Api, poll: float, order_timeout: float):
        from demo.seed import DELIVERY_UNITS

        self.api = api
        self.poll = poll
        self.order_timeout = order_timeout
        self.secrets = {unit.id: unit.webhook_secret for unit in DELIVERY_UNITS}
        self.headers: dict[str, dict[str, str]] = {}
        self.progress = Progress()

    async def login(self, email: str) -> None:
        response, _ = await self.api.send(
            f"login {email}",
            "POST",
            "/api/v1/auth/token",
            lambda: {"data": {"username": email, "password": "demo"}},
        )
        if response.status_code != 200:
            raise RuntimeError(f"login {email}: {response.status_code} {response.text}")
        self.headers[email] = {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def read(self, order_id: str) -> dict:
        """The order's status document (from the order record)."""
        response, _ = await self.api.send(
            f"GET order {order_id}", "GET", f"/api/v1/orders/{order_id}", lambda: {"headers": self.headers[BUYER]}
        )
        if response.status_code != 200:
            raise OrderFailed(f"GET order {order_id}: {response.status_code} {response.text[:300]}")
        return response.json()

    async def until(self, order_id: str, what: str, predicate: Callable[[dict], bool]) -> dict:
        deadline = time.monotonic() + self.order_timeout
        doc: dict = {}
        while time.monotonic() < deadline:
            doc = await self.read(order_id)
            if predicate(doc):
                return doc
            if doc.get("status") in ("REJECTED", "CANCELLED"):
                raise OrderFailed(f"order {order_id} is {doc['status']}: {doc.get('rejection_reason')}")
            await asyncio.sleep(self.poll)
        raise OrderFailed(
            f"order {order_id} not {what} within {self.order_timeout:.0f}s; last {doc.get('status')}, "
            f"attention {doc.get('attention')}"
        )

    async def effect_or_fail(
        self, what: str, response: httpx.Response, attempts: int, effect: Callable[[], Awaitable[bool]]
    ) -> None:
        """A repeated request may find its first attempt's effect already there and be refused for it
        (say, 409 because the workflow has closed meanwhile). The order goes on if the effect is
        there, and the answer is recorded as an anomaly: a retry should get the first answer."""
        detail = f"{what}: HTTP {response.status_code} after {attempts} attempts: {response.text[:300]}"
        if attempts > 1 and await effect():
            self.api.figures.retry_anomalies.append(detail)
            return
        raise OrderFailed(detail)

    async def place(self) -> str:
        key = f"faults-{uuid.uuid4().hex}"  # one per order: every attempt is the same order
        headers = {**self.headers[BUYER], "Idempotency-Key": key}
        t0 = time.monotonic()
        response, attempts = await self.api.send(
            "place order", "POST", "/api/v1/orders", lambda: {"json": ORDER_BODY, "headers": headers}
        )
        if response.status_code != 202:
            raise OrderFailed(f"place order: HTTP {response.status_code} after {attempts} attempts: {response.text}")
        self.api.figures.progress.append(("place", t0, time.monotonic()))
        return response.json()["order_id"]

    async def report(self, order_id: str, sub: dict, event: str) -> None:
        """The unit's backend reports one event: the same webhook-id on every attempt."""
        unit, sub_id = sub["partner_id"], sub["suborder_id"]
        payload = json.dumps({"type": f"suborder.{event}", "suborder_id": sub_id, "data": {}})
        webhook_id = f"msg_{uuid.uuid4().hex}"

        def signed() -> dict[str, Any]:
            now = datetime.now(UTC)
            return {
                "content": payload.encode(),
                "headers": {
                    "webhook-id": webhook_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": Webhook(self.secrets[unit]).sign(webhook_id, now, payload),
                    "content-type": "application/json",
                },
            }

        t0 = time.monotonic()
        response, attempts = await self.api.send(
            f"webhook {event} {sub_id}", "POST", f"/api/v1/webhooks/partners/{unit}", signed
        )
        if response.status_code == 200:
            self.api.figures.progress.append(("update", t0, time.monotonic()))
            if response.json().get("status") == "duplicate":
                self.api.figures.duplicate_webhook_acks += 1
            return

        async def reached() -> bool:
            doc = await self.read(order_id)
            order = ["SENT", "ACCEPTED", "SHIPPED", "DELIVERED"]
            now = next((s["status"] for s in doc["suborders"] if s["suborder_id"] == sub_id), "SENT")
            return now in order and order.index(now) >= order.index(event.upper())

        await self.effect_or_fail(
            f"order {order_id} webhook {event} {sub_id} ({webhook_id})", response, attempts, reached
        )

    async def pay(self, order_id: str, invoice: dict) -> None:
        headers = {**self.headers[FINANCE], "Idempotency-Key": f"pay-{order_id}"}
        body = {"amount": invoice["gross_total"], "reference": f"FAULTS-{order_id}"}
        t0 = time.monotonic()
        response, attempts = await self.api.send(
            f"payment {order_id}",
            "POST",
            f"/api/v1/invoices/{invoice['invoice_id']}/payments",
            lambda: {"json": body, "headers": headers},
        )
        if response.status_code == 200:
            self.api.figures.progress.append(("update", t0, time.monotonic()))
            return

        async def paid() -> bool:
            return (await self.read(order_id))["status"] == "PAID"

        await self.effect_or_fail(f"order {order_id} payment", response, attempts, paid)

    async def order(self, n: int) -> None:
        """One order from placement to PAID; a failure is recorded against it."""
        t0 = time.monotonic()
        order_id = f"#{n}"
        try:
            order_id = await self.place()
            self.progress.placed += 1
            self.progress.order_ids.append(order_id)
            doc = await self.until(order_id, "split", lambda d: len(d["suborders"]) >= SUBORDERS_PER_ORDER)
            for sub in doc["suborders"]:  # one unit after the other, as the benchmark does
                for event in EVENTS:
                    await self.report(order_id, sub, event)
            doc = await self.until(order_id, "INVOICED", lambda d: d["status"] in ("INVOICED", "PAID"))
            await self.pay(order_id, doc["invoices"][0])
            await self.until(order_id, "PAID", lambda d: d["status"] == "PAID")
        except (OrderFailed, httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            self.progress.failures[order_id] = f"{type(exc).__name__}: {exc}"
            log(f"order {order_id} FAILED: {exc}")
            return
        self.progress.paid += 1
        self.progress.latencies.append(time.monotonic() - t0)

    async def run(self, count: int, concurrency: int) -> float:
        """All orders, at most `concurrency` in flight; the wall time."""
        sem = asyncio.Semaphore(concurrency)

        async def guarded(n: int) -> None:
            async with sem:
                await self.order(n)

        t0 = time.monotonic()
        await asyncio.gather(*(guarded(n) for n in range(count)))
        return time.monotonic() - t0


# --- the faults -----------------------------------------------------------------------------------


@dataclass
class Fault:
    what: str  # "worker" or "temporal"
    killed_at: float  # time.monotonic()
    placed: int  # orders placed when it struck
    back_at: float = 0.0  # the process was started again (Temporal: and answers)
    detail: str = ""


class Faults:
    """Kills and restarts the worker and the Temporal server by plan, and watches that nothing else
    dies: a process that exits by itself is recorded and started again (as a supervisor would), so
    the drill can still check everything else."""

    def __init__(
        self,
        sys_: System,
        progress: Progress,
        figures: Figures,
        total: int,
        worker_down: float,
        temporal_down: float,
    ):
        self.sys_ = sys_
        self.progress = progress
        self.figures = figures
        self.total = total
        self.worker_down = worker_down
        self.temporal_down = temporal_down
        self.done: list[Fault] = []
        self.unexpected_exits: list[str] = []
        self.ours: set[str] = set()  # processes down by our hand right now

    async def run(self, plan: list[tuple[float, str]], finished: asyncio.Event) -> None:
        """Injects the planned faults as the orders placed reach their shares, and watches the
        processes until the load has finished."""
        watch = asyncio.create_task(self.watch(finished))
        try:
            for share, what in plan:
                while not finished.is_set() and (self.progress.placed < share * self.total or not self.moving()):
                    await asyncio.sleep(0.2)
                if finished.is_set():
                    log(f"load finished before the {what} fault at {share:.0%}: not injected")
                    continue
                await (self.kill_worker() if what == "worker" else self.restart_temporal())
            await finished.wait()
        finally:
            watch.cancel()

    def moving(self) -> bool:
        """Whether orders move again since the last fault (a request that needs Temporal, and mostly
        the worker, was sent after the system was back and succeeded): faults must not pile up."""
        if not self.done:
            return True
        back = self.done[-1].back_at
        return any(sent > back for _, sent, _ in self.figures.progress)

    async def kill(self, name: str) -> subprocess.Popen:
        """SIGKILL to the process's group (each runs in its own session): no chance to clean up."""
        proc = self.sys_.procs[name]
        self.ours.add(name)
        os.killpg(proc.pid, signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        return proc

    async def worker_polling(self, seconds: float = 120) -> None:
        """Waits until the current worker process polls the orders task queue (its identity is
        "<pid>@<host>"): a new worker needs a few seconds to import and connect, and the next fault
        must not strike before (worker.py does not retry its first connection)."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        client = await temporal_client(self.sys_)
        pid = self.sys_.procs["worker"].pid
        request = DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=self.sys_.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            described = await client.workflow_service.describe_task_queue(request)
            if any(p.identity.startswith(f"{pid}@") for p in described.pollers):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"worker pid {pid} does not poll {self.sys_.task_queue} after {seconds:.0f}s")

    async def kill_worker(self) -> None:
        fault = Fault("worker", time.monotonic(), self.progress.placed)
        old = await self.kill("worker")
        log(f"FAULT: worker pid {old.pid} SIGKILLed ({fault.placed} orders placed); back in {self.worker_down:.0f}s")
        await asyncio.sleep(self.worker_down)
        new = self.sys_.spawn("worker", [sys.executable, "worker.py"])
        self.ours.discard("worker")
        fault.back_at = time.monotonic()
        await self.worker_polling()
        fault.detail = f"pid {old.pid} -> {new.pid}, polling {time.monotonic() - fault.back_at:.1f}s after its start"
        self.done.append(fault)
        log(f"worker restarted (pid {new.pid}) and polling")

    async def restart_temporal(self) -> None:
        fault = Fault("temporal", time.monotonic(), self.progress.placed)
        old = await self.kill("temporal")
        log(
            f"FAULT: Temporal dev server pid {old.pid} SIGKILLed ({fault.placed} orders placed); "
            f"back in {self.temporal_down:.0f}s on the same port and SQLite file"
        )
        await asyncio.sleep(self.temporal_down)
        # the same command line as at the start: same port, same --db-filename, same search attributes
        await asyncio.to_thread(start_temporal, self.sys_)
        await temporal_ready(self.sys_)
        self.ours.discard("temporal")
        fault.back_at = time.monotonic()
        await self.worker_polling()  # the worker that lived through the outage polls the new server
        fault.detail = (
            f"pid {old.pid} -> {self.sys_.procs['temporal'].pid}, worker polling again "
            f"{time.monotonic() - fault.back_at:.1f}s after"
        )
        self.done.append(fault)
        log(f"Temporal answers again after {fault.back_at - fault.killed_at:.1f}s; the worker polls it")

    async def watch(self, finished: asyncio.Event) -> None:
        while not finished.is_set():
            for name, proc in list(self.sys_.procs.items()):
                if name in self.ours or proc.poll() is None:
                    continue
                self.unexpected_exits.append(f"{name} pid {proc.pid} exited with {proc.returncode}")
                log(f"UNEXPECTED: {name} exited with {proc.returncode}:\n{tail(self.sys_.logs[name])}")
                self.ours.add(name)
                if name == "worker":
                    self.sys_.spawn("worker", [sys.executable, "worker.py"])
                elif name == "temporal":
                    await asyncio.to_thread(start_temporal, self.sys_)
                else:
                    continue  # the API is not restarted: the load will fail and say so
                self.ours.discard(name)
            await asyncio.sleep(0.5)


def stalls(faults: list[Fault], progress: list[tuple[str, float, float]]) -> list[float]:
    """Per fault, the seconds from the kill until a request sent after it succeeded (for the worker:
    an update, which needs a worker; for Temporal: any request that needs it): how long the fault
    kept orders from moving, as the clients saw it."""
    out = []
    for fault in faults:
        kinds = ("update",) if fault.what == "worker" else ("place", "update")
        after = [answered for kind, sent, answered in progress if kind in kinds and sent > fault.killed_at]
        out.append(min(after) - fault.killed_at if after else float("nan"))
    return out


# --- the checks -----------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    figures: str
    problems: list[str] = field(default_factory=list)


def statuses_check(docs: dict[str, dict], progress: Progress, total: int) -> Check:
    """Every order PAID; each one that is not: its status and what its client saw go wrong."""
    counts = Counter(doc["status"] for doc in docs.values())
    problems = [
        f"{oid}: {docs[oid]['status'] if oid in docs else 'not placed'}; {progress.failures.get(oid, '')}".rstrip("; ")
        for oid in sorted(set(progress.failures) | {oid for oid, doc in docs.items() if doc["status"] != "PAID"})
    ]
    ok = counts.get("PAID", 0) == total and not progress.failures
    by_status = ", ".join(f"{status} {n}" for status, n in counts.most_common())
    return Check("every order PAID", ok, f"{counts.get('PAID', 0)} of {total} PAID ({by_status or 'none'})", problems)


def invoices_checks(database_url: str, order_ids: list[str]) -> list[Check]:
    """Numbers unique and gapless per seller and year (the whole invoice table: nothing else issues
    invoices in this database), the sequence at the next number, one invoice per order; and one
    payment of the gross total per invoice (no payment booked twice by a retry)."""
    from sqlalchemy import select

    from core.database import make_engine, session_scope
    from invoicing.tables import InvoiceRecord, InvoiceSequence, PaymentRow

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            invoices = list(session.execute(select(InvoiceRecord)).scalars())
            sequences = {
                (s.seller_id, s.year): s.next_value for s in session.execute(select(InvoiceSequence)).scalars()
            }
            payments = list(session.execute(select(PaymentRow)).scalars())
    finally:
        engine.dispose()
    problems: list[str] = []
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for inv in invoices:
        year, value = inv.number.split("-")
        numbers[(inv.seller_id, int(year))].append(int(value))
    for (seller, year), values in sorted(numbers.items()):
        dups = sorted(v for v, n in Counter(values).items() if n > 1)
        gaps = sorted(set(range(1, max(values) + 1)) - set(values))
        if dups:
            problems.append(f"{seller} {year}: duplicate numbers {dups[:10]}")
        if gaps:
            problems.append(f"{seller} {year}: gaps at {gaps[:10]}")
        if sequences.get((seller, year)) != max(values) + 1:
            problems.append(f"{seller} {year}: sequence at {sequences.get((seller, year))}, highest {max(values)}")
    per_order = Counter(inv.order_id for inv in invoices)
    problems += [f"{oid}: {per_order[oid]} invoices" for oid in order_ids if per_order[oid] != 1]
    ranges = "; ".join(
        f"{seller} {year}: {min(v)}..{max(v)} ({len(v)} numbers)" for (seller, year), v in sorted(numbers.items())
    )
    paid: dict[str, list] = defaultdict(list)
    for p in payments:
        paid[p.invoice_id].append(p.amount)
    unpaid = [
        f"{inv.order_id} invoice {inv.number}: payments {[str(a) for a in paid[inv.id]]}, gross {inv.gross_total}"
        for inv in invoices
        if paid[inv.id] != [inv.gross_total]
    ]
    return [
        Check(
            "invoice numbers unique and gapless; one invoice per order",
            not problems,
            f"{len(invoices)} invoices; {ranges or 'no invoices'}",
            problems,
        ),
        Check(
            "one payment of the gross total per invoice",
            not unpaid,
            f"{len(payments)} payments for {len(invoices)} invoices",
            unpaid,
        ),
    ]


async def suborders_check(
    sys_: System, database_url: str, docs: dict[str, dict], backend: PartnerBackend | None
) -> Check:
    """Two sub-orders per order at distinct units; one Order workflow per order and one SubOrder
    workflow per sub-order in Temporal; no unit told about a sub-order twice. (A unit may be told
    not at all: the drill's units answer as soon as the order shows the sub-order, and a sub-order
    its unit delivered before the message went out withdraws the message: counted, not a fault.)"""
    from sqlalchemy import select
    from sqlmodel import col

    from core.database import make_engine, session_scope
    from notifications.tables import NotificationRow

    problems: list[str] = []
    subs = {s["suborder_id"]: (oid, s["partner_id"]) for oid, doc in docs.items() for s in doc["suborders"]}
    for oid, doc in docs.items():
        units = [s["partner_id"] for s in doc["suborders"]]
        if len(units) != SUBORDERS_PER_ORDER or len(set(units)) != len(units):
            problems.append(f"{oid}: sub-orders at {units}")

    client = await temporal_client(sys_)
    counts = {}
    for wf_type in ("Order", "SubOrder"):
        counts[wf_type] = (await client.count_workflows(f"WorkflowType = '{wf_type}'")).count
    if counts["Order"] != len(docs):
        problems.append(f"{counts['Order']} Order workflows for {len(docs)} orders")
    if counts["SubOrder"] != len(subs):
        problems.append(f"{counts['SubOrder']} SubOrder workflows for {len(subs)} sub-orders")

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = list(
                session.execute(
                    select(NotificationRow).where(col(NotificationRow.delivery_unit_id).is_not(None))
                ).scalars()
            )
    finally:
        engine.dispose()
    # the unit's message key is "<sub-order id>.created" (or ".cancelled"): activities/notifications.py
    told = Counter(row.key.rsplit(".", 1)[0] for row in rows if row.key.endswith(".created"))
    cancelled = [row.key for row in rows if row.key.endswith(".cancelled")]
    per_order_unit = Counter((row.order_id, row.delivery_unit_id) for row in rows if row.key.endswith(".created"))
    problems += [f"{sid} ({subs[sid][1]}): told {told[sid]} times in the inbox" for sid in subs if told[sid] > 1]
    untold = [sid for sid in subs if told[sid] == 0]
    problems += [f"inbox message about an unknown sub-order: {sid}" for sid in told if sid not in subs]
    problems += [f"{oid} at {unit}: {n} sub-orders told" for (oid, unit), n in per_order_unit.items() if n != 1]
    problems += [f"cancellation told: {key}" for key in cancelled]
    figures = (
        f"{len(subs)} sub-orders for {len(docs)} orders; Temporal: {counts['Order']} Order, "
        f"{counts['SubOrder']} SubOrder workflows; inbox: {sum(told.values())} 'new sub-order' messages "
        f"(max {max(told.values(), default=0)} per sub-order), {len(cancelled)} cancellations; "
        f"{len(untold)} not told: their unit answered first"
    )
    if backend is not None:
        with backend.lock:
            deliveries = list(backend.deliveries)
        ids = defaultdict(set)
        for d in deliveries:
            ids[(d.suborder_id, d.type)].add(d.webhook_id)
        created = {sid: ids.get((sid, "suborder.created"), set()) for sid in subs}
        problems += [
            f"{sid}: backend got {len(i)} distinct 'created' webhook-ids" for sid, i in created.items() if len(i) > 1
        ]
        problems += [f"bad signature: {d}" for d in deliveries if not d.signature_ok]
        problems += [f"backend got {d.type} for {d.suborder_id}" for d in deliveries if d.type != "suborder.created"]
        redelivered = len(deliveries) - sum(len(i) for i in ids.values())
        figures += (
            f"; partner backend: {len(deliveries)} HTTP deliveries, {sum(len(i) for i in ids.values())} "
            f"distinct webhook-ids, {redelivered} redeliveries of an id already received (at-least-once)"
        )
    return Check("2 sub-orders per order; no unit told about a sub-order twice", not problems, figures, problems)


async def temporal_client(sys_: System):
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    return await Client.connect(sys_.temporal_address, data_converter=pydantic_data_converter)


def essentials(view: dict) -> dict:
    """What must agree between the order record and the workflow (JSON as the API serves it): the
    timeline as a multiset of (actor, event, detail), since both sort equal instants differently."""
    return {
        "status": view["status"],
        "currency": view["currency"],
        "totals": [view["net_total"], view["vat_total"], view["gross_total"], view["paid_total"]],
        "lines": sorted((li["line_no"], li["sku"], li["quantity"], li["line_total"]) for li in view["lines"]),
        "suborders": sorted((s["suborder_id"], s["partner_id"], s["status"]) for s in view["suborders"]),
        "invoices": sorted((i["invoice_id"], i["number"], i["gross_total"]) for i in view["invoices"]),
        "timeline": Counter((e["actor"], e["event"], e["detail"]) for e in view["timeline"]),
        "attention": view["attention"],
        "revision": view["revision"],
    }


async def record_check(sys_: System, docs: dict[str, dict]) -> Check:
    """The record (as GET served it) against the Order workflow's result (closed) or query (running),
    and each sub-order's recorded status against its SubOrder workflow's."""
    from temporalio.client import WorkflowExecutionStatus

    from core import temporal_names as names
    from models.orders import OrderView
    from models.suborders import SubOrderView

    client = await temporal_client(sys_)
    problems: list[str] = []
    how: Counter[str] = Counter()
    sem = asyncio.Semaphore(10)

    async def final_or_current(wf_id: str, result_type: type, query: str) -> Any:
        handle = client.get_workflow_handle(wf_id, result_type=result_type)
        desc = await handle.describe()
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            how["result"] += 1
            return await handle.result()
        how[f"query ({desc.status.name if desc.status else '?'})"] += 1
        return await handle.query(query, result_type=result_type)

    async def one(order_id: str, doc: dict) -> None:
        async with sem:
            try:
                view = await final_or_current(names.order_workflow_id(order_id), OrderView, names.ORDER_VIEW)
                ours, theirs = essentials(doc), essentials(view.model_dump(mode="json"))
                for key in ours:
                    if ours[key] == theirs[key]:
                        continue
                    if key == "timeline":  # only what differs: the whole timeline is long
                        only_record, only_workflow = ours[key] - theirs[key], theirs[key] - ours[key]
                        problems.append(
                            f"{order_id} timeline: only in the record {sorted(only_record.elements())}, "
                            f"only in the workflow {sorted(only_workflow.elements())}"
                        )
                    else:
                        problems.append(f"{order_id} {key}: record {ours[key]!r} != workflow {theirs[key]!r}")
                for sub in doc["suborders"]:
                    sub_view = await final_or_current(
                        names.suborder_workflow_id(sub["suborder_id"]), SubOrderView, names.SUBORDER_VIEW
                    )
                    if sub_view.status.value != sub["status"]:
                        problems.append(
                            f"{order_id} sub-order {sub['suborder_id']}: record {sub['status']} != "
                            f"workflow {sub_view.status.value}"
                        )
            except Exception as exc:  # noqa: BLE001 - one order's failure is a finding, not the end of the check
                problems.append(f"{order_id}: {type(exc).__name__}: {exc}")

    await asyncio.gather(*(one(oid, doc) for oid, doc in docs.items()))
    figures = f"{len(docs)} orders compared ({', '.join(f'{k} {v}' for k, v in sorted(how.items()))})"
    return Check("order record matches the workflow for every order", not problems, figures, problems)


async def wait_until_closed(sys_: System, seconds: float, settled: float = 15.0) -> int:
    """Waits until no order or sub-order workflow runs any more, or none closed for `settled` seconds
    (the workflows of an order that failed wait for what never comes), at most `seconds`; the number
    still running."""
    client = await temporal_client(sys_)
    deadline = time.monotonic() + seconds
    last, since = -1, time.monotonic()
    while True:
        running = (
            await client.count_workflows("WorkflowType IN ('Order', 'SubOrder') AND ExecutionStatus = 'Running'")
        ).count
        if running != last:
            last, since = running, time.monotonic()
        if running == 0 or time.monotonic() > deadline or time.monotonic() - since > settled:
            return running
        await asyncio.sleep(1)


# --- the report -----------------------------------------------------------------------------------


def report(
    a: argparse.Namespace,
    checks: list[Check],
    figures: Figures,
    faults: Faults,
    progress: Progress,
    wall: float,
    still_running: int,
    sys_: System,
) -> None:
    print("\n=== fault drill: results ===", flush=True)
    for check in checks:
        print(f"[{'ok' if check.ok else 'FAILED'}] {check.name}: {check.figures}", flush=True)
        for problem in check.problems[:20]:
            print(f"      - {problem}", flush=True)
        if len(check.problems) > 20:
            print(f"      ... and {len(check.problems) - 20} more", flush=True)
    print("", flush=True)
    kills = [f for f in faults.done if f.what == "worker"]
    restarts = [f for f in faults.done if f.what == "temporal"]
    print(f"orders: {progress.paid} of {a.orders} PAID, {a.concurrency} in flight", flush=True)
    print(f"wall time: {wall:.1f}s = {progress.paid / wall:.2f} orders/s (faults included)", flush=True)
    lat = progress.latencies
    print(
        f"order latency (place -> PAID seen): p50 {quantile(lat, 0.5):.1f}s  p95 {quantile(lat, 0.95):.1f}s  "
        f"max {max(lat, default=float('nan')):.1f}s",
        flush=True,
    )
    print(
        f"requests: {figures.requests} made, {figures.attempts} sent; {figures.retried} retried "
        f"({figures.repeats} repeats); 503 seen {figures.status_503} "
        f"(Retry-After honoured: {figures.retry_after_waited:.0f}s slept in all); other 5xx "
        f"{dict(figures.status_5xx) or 0}; connection errors/timeouts {dict(figures.transport_errors) or 0}; "
        f"repeated webhooks answered 'duplicate' {figures.duplicate_webhook_acks}",
        flush=True,
    )
    print(f"worker kills: {len(kills)}; Temporal server restarts: {len(restarts)}", flush=True)
    for fault, stall in zip(faults.done, stalls(faults.done, figures.progress), strict=True):
        print(
            f"  {fault.what:8s} killed at {fault.placed} orders placed ({fault.detail}); back after "
            f"{fault.back_at - fault.killed_at:.1f}s; first request needing it answered {stall:.1f}s after the kill",
            flush=True,
        )
    print(f"unexpected process exits: {faults.unexpected_exits or 'none'}", flush=True)
    print(f"workflows still running at the checks: {still_running}", flush=True)
    print("log scan (counts, whole run):", flush=True)
    for name, counts in scan_logs(sys_).items():
        print(f"  {name:9s} " + ", ".join(f"{k}: {v}" for k, v in counts.items()), flush=True)
    failed = [c.name for c in checks if not c.ok]
    print(f"\nRESULT: {'FAILED: ' + '; '.join(failed) if failed else 'all checks passed'}", flush=True)


# --- main -----------------------------------------------------------------------------------------


async def drill(a: argparse.Namespace, sys_: System) -> bool:
    """Starts the system, runs the load with the faults, checks; True when every check passed."""
    backend: PartnerBackend | None = None
    log(f"temp dir {sys_.tmp}; starting Temporal dev server on {sys_.temporal_address}")
    start_temporal(sys_)
    await temporal_ready(sys_)
    log("migrating and seeding the app database")
    prepare_database(sys_)
    if a.partner_backend:
        from demo.seed import DELIVERY_UNITS

        backend = PartnerBackend({unit.id: unit.webhook_secret for unit in DELIVERY_UNITS})
        backend.start()
        give_units_a_backend(sys_.database_url, backend)
        log(f"partner backend on 127.0.0.1:{backend.port}: every delivery unit's webhook URL points there")
    sys_.spawn("worker", [sys.executable, "worker.py"])
    await start_api(sys_)
    log(f"API healthy on 127.0.0.1:{sys_.api_port}")

    figures = Figures()
    limits = httpx.Limits(max_connections=a.concurrency * 2, max_keepalive_connections=a.concurrency * 2)
    timeout = httpx.Timeout(a.request_timeout, connect=5)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{sys_.api_port}", timeout=timeout, limits=limits
        ) as http:
            parties = Parties(Api(http, figures, a.give_up_after), a.poll_interval, a.order_timeout)
            await parties.login(BUYER)
            await parties.login(FINANCE)
            faults = Faults(sys_, parties.progress, figures, a.orders, a.worker_down, a.temporal_down)
            finished = asyncio.Event()
            log(f"load: {a.orders} orders, {a.concurrency} in flight; faults at {PLAN}")
            injector = asyncio.create_task(faults.run(PLAN, finished))
            try:
                wall = await parties.run(a.orders, a.concurrency)
            finally:
                finished.set()
                await injector
            log(f"load done in {wall:.1f}s: {parties.progress.paid} PAID, {len(parties.progress.failures)} failed")

            log("checking: waiting for the workflows to close, then reading every order")
            still_running = await wait_until_closed(sys_, a.close_timeout)
            docs = {}
            for oid in parties.progress.order_ids:
                try:
                    docs[oid] = await parties.read(oid)
                except OrderFailed as exc:
                    parties.progress.failures.setdefault(oid, str(exc))
        checks = [
            statuses_check(docs, parties.progress, a.orders),
            *invoices_checks(sys_.database_url, parties.progress.order_ids),
            await suborders_check(sys_, sys_.database_url, docs, backend),
            await record_check(sys_, docs),
            Check(
                "the API answered while Temporal was down: 503 with Retry-After, never another 5xx",
                not figures.status_503_without_retry_after and not figures.status_5xx,
                f"{figures.status_503} 503s ({figures.status_503_without_retry_after} without Retry-After), "
                f"other 5xx {dict(figures.status_5xx) or 0}",
            ),
            Check(
                "every repeated request got the first answer",
                not figures.retry_anomalies,
                f"{figures.retried} requests repeated, {len(figures.retry_anomalies)} answered otherwise",
                figures.retry_anomalies,
            ),
            Check(
                "faults injected as planned; no process died otherwise",
                len(faults.done) == len(PLAN) and not faults.unexpected_exits,
                f"{len(faults.done)} of {len(PLAN)} faults injected; {len(faults.unexpected_exits)} unexpected exits",
                faults.unexpected_exits,
            ),
        ]
        report(a, checks, figures, faults, parties.progress, wall, still_running, sys_)
        return all(check.ok for check in checks)
    finally:
        if backend is not None:
            backend.stop()


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=200, help="orders to drive to PAID (default 200)")
    ap.add_argument("--concurrency", type=int, default=20, help="orders in flight (default 20)")
    ap.add_argument("--worker-down", type=float, default=2.0, help="seconds the killed worker stays down (2)")
    # longer than the ~10 s the Temporal client in the API retries a call by itself, so clients see 503s
    ap.add_argument("--temporal-down", type=float, default=15.0, help="seconds Temporal stays down (15)")
    ap.add_argument("--poll-interval", type=float, default=0.25, help="seconds between status polls (0.25)")
    ap.add_argument("--request-timeout", type=float, default=30.0, help="client timeout per HTTP request (30)")
    ap.add_argument("--give-up-after", type=float, default=600.0, help="seconds one request is retried (600)")
    ap.add_argument("--order-timeout", type=float, default=600.0, help="seconds one wait of an order may take")
    ap.add_argument("--close-timeout", type=float, default=120.0, help="seconds to wait for workflows to close")
    ap.add_argument(
        "--partner-backend",
        action="store_true",
        help="give the delivery units a webhook URL of a local HTTP server that records every message",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (databases and logs)")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="o2c-faults-"))
    sys_ = System(
        tmp=tmp,
        temporal_port=free_port(),
        api_port=free_port(),
        task_queue=f"faults-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite:///{tmp / 'app.db'}",
        jwt_secret="faults-" + uuid.uuid4().hex,
    )
    print("order2cash fault drill", flush=True)
    print(
        f"settings: orders={a.orders} concurrency={a.concurrency} worker_down={a.worker_down}s "
        f"temporal_down={a.temporal_down}s poll_interval={a.poll_interval}s partner_backend={a.partner_backend} "
        f"faults={PLAN}; temporal=dev server, SQLite file (WAL); app db=SQLite file; cores={os.cpu_count()}",
        flush=True,
    )
    print(f"versions: {versions()}", flush=True)
    ok = False
    try:
        ok = await drill(a, sys_)
    except BaseException as exc:  # noqa: BLE001 - report, then clean up
        print(f"\nfault drill failed: {type(exc).__name__}: {exc}", flush=True)
        for name, path in sys_.logs.items():
            print(f"--- {name} log tail ---\n{tail(path)}", flush=True)
    finally:
        log("stopping API, worker and Temporal")
        sys_.stop()
        if a.keep or not ok:
            print(f"kept {tmp} (databases and logs)", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # temporalio/sdk-python#300: avoid the interpreter-exit abort
