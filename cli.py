"""`order2cash` command line: run the whole system locally, or one part of it in a deployment.

order2cash dev          # what `make run` does: Temporal dev server, migrations, demo data, worker, API
order2cash migrate      # apply database migrations
order2cash seed-demo    # load the demo data (idempotent)
order2cash api | worker # one process of a deployment
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

import catalog_cli
import contracts_cli
import customers_cli
from core.settings import DATA_DIR, get_settings

app = typer.Typer(add_completion=False, help=__doc__)
console = Console()
BIN = Path(sys.executable).parent
app.add_typer(catalog_cli.app, name="catalog", help="Catalog versions: import, diff, publish, export, sync")
app.add_typer(contracts_cli.app, name="contracts", help="Framework contracts: terms, items, consumption")
app.add_typer(
    customers_cli.app,
    name="customers",
    help="Customers and their catalog rules: price lists, role rules, limits, part numbers",
)


def search_attribute_flags() -> list[str]:
    from core import temporal_names as names

    kinds = {"KEYWORD": "Keyword", "DOUBLE": "Double"}
    flags = []
    for key in names.SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags


@app.command()
def migrate() -> None:
    """Create or upgrade the application database schema."""
    from migrations import upgrade

    upgrade(get_settings().database_url)
    console.print("database migrated")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo customers, contracts, items, delivery units and users (idempotent)."""
    from core.database import make_engine
    from demo.seed import load_demo_data

    engine = make_engine(get_settings().database_url)
    load_demo_data(engine)
    engine.dispose()
    console.print("demo data loaded")


@app.command()
def worker(
    queue: list[str] = typer.Option(
        None, "--queue", help="orders | catalog (repeatable; default: WORKER_QUEUES, both)", show_default=False
    ),
) -> None:
    """Run a Temporal worker (scale out by running more; --queue serves one task queue)."""
    flags = [arg for name in queue or [] for arg in ("--queue", name)]
    os.execv(sys.executable, [sys.executable, "worker.py", *flags])


@app.command()
def api(host: str = typer.Option(None), port: int = typer.Option(None), workers: int = 1) -> None:
    """Run the HTTP API and pages."""
    s = get_settings()
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app",
            "--host",
            host or s.api_host,
            "--port",
            str(port or s.api_port),
            "--workers",
            str(workers),
        ],
    )


@app.command("partner-event")
def partner_event(
    unit: str = typer.Argument(..., help="delivery unit id, e.g. netpartner"),
    suborder_id: str = typer.Argument(...),
    event: str = typer.Argument(..., help="accepted | shipped | delivered | rejected"),
    data: list[str] = typer.Option([], "--data", "-d", help="key=value, e.g. tracking=DHL-123 or reason=..."),
    api_url: str = typer.Option(None, help="default: the local API"),
) -> None:
    """Play a delivery unit's backend: send a signed Standard Webhooks event to the API."""
    import json
    import uuid
    from datetime import datetime, timezone

    import httpx
    from standardwebhooks.webhooks import Webhook

    from core.database import make_engine
    from partners.webhooks import unit_secret

    s = get_settings()
    secret = unit_secret(make_engine(s.database_url), unit)
    if secret is None:
        raise typer.BadParameter(f"unknown delivery unit {unit}")
    body = json.dumps(
        {"type": f"suborder.{event}", "suborder_id": suborder_id, "data": dict(item.split("=", 1) for item in data)}
    )
    msg_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(timezone.utc)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body),
    }
    url = f"{api_url or f'http://localhost:{s.api_port}'}/api/v1/webhooks/partners/{unit}"
    response = httpx.post(url, content=body, headers=headers)
    typer.echo(f"{response.status_code} {response.text}")
    raise typer.Exit(0 if response.is_success else 1)


def _wait_for_port(host: str, port: int, seconds: float) -> bool:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


@app.command()
def dev(demo: bool = typer.Option(True, help="load the demo data")) -> None:
    """Start everything on embedded defaults; Ctrl-C stops it all. Data lives in .data/."""
    s = get_settings()
    DATA_DIR.mkdir(exist_ok=True)
    procs: list[subprocess.Popen] = []

    def stop(*_args) -> None:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc is procs[-1] else signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    host, _, port = s.temporal_address.partition(":")
    if not _wait_for_port(host, int(port or 7233), 0.3):
        log = open(DATA_DIR / "temporal.log", "ab")
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
        if not _wait_for_port(host, int(port or 7233), 60):
            console.print("[red]Temporal did not start; see .data/temporal.log[/red]")
            stop()
    migrate()
    if demo:
        seed_demo()
    procs.append(subprocess.Popen([sys.executable, "worker.py"], start_new_session=True))
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
    if not _wait_for_port(s.api_host, s.api_port, 60):
        console.print("[red]The API did not start[/red]")
        stop()
    _banner(s, demo)
    while all(proc.poll() is None for proc in procs):
        time.sleep(0.5)
    console.print("[red]a process exited; stopping everything[/red]")
    stop()


def _banner(s, demo: bool) -> None:
    base = f"http://localhost:{s.api_port}"
    console.print(
        f"\n[bold green]order2cash is running[/bold green]\n"
        f"  Web pages:     {base}/\n  API docs:      {base}/docs\n"
        f"  Temporal UI:   http://localhost:8233\n  Health:        {base}/healthz\n"
    )
    if demo:
        from sqlalchemy import select

        from accounts.tables import User
        from core.database import make_engine, session_scope
        from demo.seed import DEMO_PASSWORD

        table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
        for column in ("user", "customer / unit", "roles"):
            table.add_column(column)
        engine = make_engine(s.database_url)
        with session_scope(engine) as session:  # every demo module's users, as loaded
            users = session.execute(select(User).where(User.email.like("%.example"))).scalars().all()
            for user in sorted(users, key=lambda u: (u.customer_id is None, u.delivery_unit_id or "", u.email)):
                table.add_row(user.email, user.customer_id or user.delivery_unit_id or "seller", ", ".join(user.roles))
        engine.dispose()
        console.print(table)
    console.print("Press Ctrl-C to stop everything.\n")


if __name__ == "__main__":
    app()
