"""The FastAPI application: `uvicorn api.app:app`."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from temporalio.client import Client

from accounts import service as accounts
from api import body_limit, observability, problems, request_text
from api.gateway import Gateway
from api.routes import (
    auth,
    bank_statements,
    catalog,
    catalog_changes,
    catalog_customer_views,
    catalog_drafts,
    catalog_export,
    catalog_sync_schedules,
    catalog_versions,
    contracts,
    customers,
    delivery_units,
    finance,
    health,
    invoice_documents,
    invoices,
    notifications,
    orders,
    suborders,
    users,
    webhooks,
)
from core.database import make_engine
from core.settings import Settings, get_settings
from core.temporal_client import connect

DESCRIPTION = """Order-to-cash for framework contracts. Every order is a durable Temporal workflow.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password grant) and send
`Authorization: Bearer <token>`. Errors are RFC 9457 problem details (`application/problem+json`)
naming the field at fault. Money is a decimal string, never a float."""


def create_app(settings: Settings | None = None, engine: Engine | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own_engine = engine is None
        app.state.settings = settings
        app.state.engine = engine or make_engine(settings.database_url)
        app.state.login_throttle = accounts.LoginThrottle(
            settings.login_limit_per_account, settings.login_limit_per_client, settings.login_throttle_storage
        )
        app.state.gateway = Gateway(client or await connect(settings), settings)
        yield
        if own_engine:
            app.state.engine.dispose()

    app = FastAPI(title="order2cash", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    body_limit.install(app, settings)  # inside the error boundary that problems.install adds
    request_text.install(app)  # no control characters in the API's parameters (422)
    problems.install(app)
    observability.install(app, settings)  # outermost: counts every answer, 413s and 500s too
    for module in (health, auth, catalog, contracts, customers, orders, suborders, webhooks, invoices, notifications):
        app.include_router(module.router)
    app.include_router(users.router)  # onboarding: the seller's administrators keep the accounts
    app.include_router(delivery_units.router)  # onboarding: units and their webhook secrets
    app.include_router(finance.router)  # finance's views: open items, DSO, blocked invoices
    app.include_router(invoice_documents.router)  # an invoice's XML and PDF
    app.include_router(bank_statements.router)  # finance: bank statements, unmatched payments
    for module in (
        catalog_versions,
        catalog_drafts,
        catalog_customer_views,
        catalog_export,
        catalog_sync_schedules,
        catalog_changes,
    ):
        app.include_router(module.router)  # catalog management (and the customers' catalog export)
    from api import pages  # the web pages share the routes' logic

    app.include_router(pages.router)
    return app


# `uvicorn api.app:app`: settings come from the environment of the process
app = create_app()
