"""`order2cash` command line: run the whole system locally, or one part of it in a deployment.

order2cash dev          # what `make run` does: Temporal dev server, migrations, demo data, worker, API
order2cash migrate      # apply database migrations
order2cash seed-demo    # load the demo data (idempotent)
order2cash api | worker # one process of a deployment
"""

import os
import sys
from datetime import UTC
from pathlib import Path

import typer
from rich.console import Console

from cli import admin as admin_cli
from cli import catalog as catalog_cli
from cli import contracts as contracts_cli
from cli import customers as customers_cli
from cli import finance as finance_cli
from cli import finance_reports as reports_cli
from core.settings import get_settings

app = typer.Typer(add_completion=False, help=__doc__)
console = Console()
BIN = Path(sys.executable).parent
app.add_typer(admin_cli.app, name="admin", help="Onboarding: first admin, customers, users, contracts, delivery units")
app.add_typer(catalog_cli.app, name="catalog", help="Catalog versions: import, diff, publish, export, sync")
app.add_typer(contracts_cli.app, name="contracts", help="Framework contracts: terms, items, consumption")
app.add_typer(finance_cli.app, name="finance", help="Bank statements (camt.053) and unmatched payments")
app.add_typer(reports_cli.app, name="reports", help="Receivables: open items with aging, DSO, invoices, blocked ones")
app.add_typer(
    customers_cli.app,
    name="customers",
    help="Customers and their catalog rules: price lists, role rules, limits, part numbers",
)


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
    from datetime import datetime

    import httpx
    from standardwebhooks.webhooks import Webhook

    from core.database import make_engine
    from partners import service as partners

    s = get_settings()
    secret = partners.unit_secret(make_engine(s.database_url), unit)
    if secret is None:
        raise typer.BadParameter(f"unknown delivery unit {unit}")
    body = json.dumps(
        {"type": f"suborder.{event}", "suborder_id": suborder_id, "data": dict(item.split("=", 1) for item in data)}
    )
    msg_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
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


@app.command()
def dev(demo: bool = typer.Option(True, help="load the demo data")) -> None:
    """Start everything on embedded defaults; Ctrl-C stops it all. Data lives in .data/."""
    from cli import dev as local

    local.run(demo, migrate, seed_demo)


if __name__ == "__main__":
    app()
