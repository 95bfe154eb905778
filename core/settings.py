"""Every setting, read from environment variables (or a `.env` file) with embedded defaults.

The defaults run the whole system on one machine (Temporal dev server, SQLite); a deployment sets
`TEMPORAL_ADDRESS`, `DATABASE_URL`, `JWT_SECRET` and friends (see README and docker-compose.yml).
Durations accept seconds (`30`) or ISO 8601 (`P3D`, `PT15M`).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from schwifty import BIC, IBAN

from core import temporal_names as names

DATA_DIR = Path(".data")


def _seconds_or_iso(value: object) -> object:
    """A number of seconds as an environment variable spells it (`"30"`) becomes a number; anything
    else (ISO 8601, a timedelta) goes to pydantic as it is."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        return float(value)
    return value


# every duration setting: seconds (`30`) or ISO 8601 (`P3D`, `PT15M`)
Duration = Annotated[timedelta, BeforeValidator(_seconds_or_iso)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    # orders and their sub-orders; catalog work (publications, supplier syncs, imports) on its own
    # queue so a big sync never takes the activity slots orders need
    temporal_task_queue: str = names.ORDERS_TASK_QUEUE
    temporal_catalog_task_queue: str = names.CATALOG_TASK_QUEUE
    # how long Temporal keeps a closed workflow and its history before deleting it; `make run` sets
    # it on the namespace (docker compose: deploy/register-search-attributes.sh). Temporal refuses
    # less than an hour. Orders stay readable after it from the app database's order record.
    temporal_retention: Duration = Field(default=timedelta(days=30), ge=timedelta(hours=1))
    # what `worker.py` serves ("orders", "catalog" or both: "orders,catalog"); a deployment runs them
    # as separate services to scale them apart
    worker_queues: str = "orders,catalog"
    # activities at once per worker process (their thread pool); catalog imports are few and heavy
    orders_max_concurrent_activities: int = Field(default=32, gt=0)
    catalog_max_concurrent_activities: int = Field(default=4, gt=0)
    # on SIGTERM/SIGINT a worker polls no more and gives running activities this long before it
    # cancels them: under compose's stop_grace_period (60 s), so it ends before the SIGKILL
    worker_shutdown_grace: Duration = Field(default=timedelta(seconds=50), ge=timedelta(0))
    # host:port where a worker serves the Temporal SDK's Prometheus metrics (empty: none);
    # `make run` sets 127.0.0.1:9464, a deployment 0.0.0.0:9464 on a port it does not publish
    worker_metrics_address: str = ""

    # observability (docs: README "Operators: metrics and traces"): the API's GET /metrics, and
    # OpenTelemetry traces of the API and the workflows, exported over OTLP to
    # OTEL_EXPORTER_OTLP_ENDPOINT (the exporter reads the standard OTEL_* variables itself)
    metrics_enabled: bool = True
    otel_enabled: bool = False

    database_url: str = f"sqlite:///{DATA_DIR}/order2cash.db"

    # Unset: a random secret is generated once and kept in .data/jwt-secret (single-host use).
    jwt_secret: str | None = None
    jwt_ttl: Duration = timedelta(hours=8)
    # failed sign-ins allowed per account and per client address (the `limits` notation) before
    # sign-ins are refused with 429 for the rest of the window; where the counts live
    login_limit_per_account: str = "5/minute"
    login_limit_per_client: str = "20/minute"
    login_throttle_storage: str = "memory://"
    # how long a one-time link to set a password (an invitation or an admin's reset) stays usable
    invitation_ttl: Duration = Field(default=timedelta(hours=72), gt=timedelta(0))
    # where people reach the pages (invitation links name it); unset: the API uses the request's
    # own address, the CLI http://API_HOST:API_PORT
    public_url: str | None = None

    seller_id: str = "seller"

    approval_reminder_after: Duration = timedelta(days=1)
    approval_escalation_after: Duration = timedelta(days=3)
    approval_timeout: Duration = timedelta(days=7)
    partner_accept_timeout: Duration = timedelta(days=2)
    partner_ship_timeout: Duration = timedelta(days=5)
    partner_deliver_timeout: Duration = timedelta(days=10)
    # after the due date an unpaid order is OVERDUE and a dunning reminder goes out this often
    dunning_interval: Duration = timedelta(days=14)
    # an activity an order needs that fails this long sets the order's `attention` (NeedsAttention)
    # and keeps retrying without a deadline until it succeeds (workflows/healing.py)
    attention_after: Duration = Field(default=timedelta(minutes=2), gt=timedelta(0))
    # the order reconciliation (workflows/reconciliation.py) runs this often (0: no schedule): it
    # settles orders whose workflow an operator terminated and starts requests whose workflow never
    # started, once their record has been untouched for the grace period
    reconciliation_every: Duration = Field(default=timedelta(minutes=5), ge=timedelta(0))
    reconciliation_grace: Duration = Field(default=timedelta(minutes=2), gt=timedelta(0))
    # how long the API waits for a workflow to take a person's decision before it answers 503 with
    # Retry-After (a worker or Temporal is down); the decision itself is not lost if it was taken
    api_update_timeout: Duration = Field(default=timedelta(seconds=20), gt=timedelta(0))

    # Partner notifications (HTTP to a delivery unit's backend) give up after this long per try.
    partner_http_timeout: float = Field(default=10.0, gt=0)
    # after a unit's signing secret is rotated, the previous one verifies its webhooks this long
    # (time to switch its backend over); outbound messages use the new one at once
    webhook_secret_grace: Duration = Field(default=timedelta(hours=24), ge=timedelta(0))
    # whether the worker may call a unit's backend or a supplier's feed on loopback or a private
    # network (core/outbound.py): off in production, on for `make run` and the tests
    webhook_allow_internal_targets: bool = False

    # Invoices by e-mail (invoicing/delivery.py). No host: e-mail is off and recorded as skipped.
    # smtp_ssl: TLS from the first byte (port 465); smtp_starttls: upgrade a plain connection (587).
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_from: str = "invoices@order2cash.example"
    smtp_timeout: float = Field(default=30.0, gt=0)  # seconds per SMTP command

    # Catalog imports and syncs (catalog/exchange/importing.py, catalog/exchange/sync.py): new items get these
    catalog_default_delivery_unit: str = "central-warehouse"
    catalog_default_category: str = "uncategorised"
    catalog_sync_timeout: float = Field(default=60.0, gt=0)  # seconds without data from a supplier's URL
    catalog_sync_max_bytes: int = Field(default=2 * 1024**3, gt=0)

    # The seller's legal entity, printed on every invoice (invoicing/seller.py): the EN 16931 seller
    # party and its bank account. The defaults are made up but well formed (a demo); a deployment
    # sets its own. seller_name is also SUPPLIER_NAME in BMEcat exports.
    seller_name: str = "order2cash Demo GmbH"
    seller_street: str = "Königstraße 1"
    seller_postal_code: str = "70173"
    seller_city: str = "Stuttgart"
    seller_country: str = Field(default="DE", pattern=r"^[A-Z]{2}$")
    seller_vat_id: str = "DE123456789"
    seller_tax_number: str = "99/123/45678"  # Steuernummer (BT-32)
    seller_register: str = "HRB 12345, Amtsgericht Stuttgart"
    seller_email: str = "invoices@order2cash.example"  # electronic address of the seller (BT-34)
    seller_contact_name: str = "Accounts Receivable"
    seller_contact_phone: str = "+49 711 1234567"
    seller_contact_email: str = "billing@order2cash.example"
    seller_iban: str = "DE89370400440532013000"
    seller_bic: str | None = "COBADEFFXXX"

    @field_validator("seller_iban")
    @classmethod
    def _valid_iban(cls, value: str) -> str:
        return IBAN(value).compact  # schwifty: checksum, length and country format

    @field_validator("seller_bic")
    @classmethod
    def _valid_bic(cls, value: str | None) -> str | None:
        return str(BIC(value)) if value else None

    # request bodies in bytes (api/body_limit.py): larger ones answer 413 before a route reads them;
    # partners' webhooks are checked before their signature, catalog imports take supplier files
    max_request_body: int = Field(default=1024**2, gt=0)
    max_webhook_body: int = Field(default=256 * 1024, gt=0)
    max_import_body: int = Field(default=2 * 1024**3, gt=0)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    demo_data: bool = False

    def signing_secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        path = DATA_DIR / "jwt-secret"
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
