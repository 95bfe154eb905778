"""The Temporal workers, one per task queue, each with its own activity slots:

- orders: the order and sub-order workflows and the activities they call;
- catalog: scheduled catalog publications and supplier syncs (imports of up to 2 GiB), which must
  not take the slots orders need.

    python worker.py                          # both (WORKER_QUEUES, default "orders,catalog")
    python worker.py --queue orders           # one of them: a deployment scales them apart

Scale out by starting more of these; the workers of one queue share its tasks.
"""

import argparse
import asyncio
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import order_starter
from activities.catalog import CatalogActivities
from activities.contracts import ContractActivities
from activities.invoice_delivery import InvoiceDeliveryActivities
from activities.invoicing import InvoicingActivities
from activities.notifications import NotificationActivities
from activities.orders import OrderActivities
from activities.reconciliation import ReconciliationActivities
from activities.spending import SpendActivities
from activities.validation import ValidationActivities
from core import logs, telemetry
from core.database import make_engine
from core.settings import Settings, get_settings
from core.temporal_client import connect
from invoicing.service import seller
from workflows.catalog_publication import CatalogPublicationWorkflow
from workflows.catalog_sync import CatalogSyncWorkflow
from workflows.order import OrderWorkflow
from workflows.reconciliation import OrderReconciliationWorkflow
from workflows.suborder import SubOrderWorkflow

ORDERS, CATALOG = "orders", "catalog"
QUEUES = (ORDERS, CATALOG)


def order_activities(engine: Engine, settings: Settings, client: Client) -> list:
    validation = ValidationActivities(engine)
    invoicing = InvoicingActivities(engine, seller(settings))
    invoice_delivery = InvoiceDeliveryActivities(engine, settings)
    notifications = NotificationActivities(
        engine, settings.partner_http_timeout, settings.webhook_allow_internal_targets
    )
    contracts = ContractActivities(engine)
    spend = SpendActivities(engine)
    orders = OrderActivities(engine)
    reconciliation = ReconciliationActivities(engine, client, settings.temporal_task_queue)
    return [
        reconciliation.reconcile_orders,
        orders.accept_order,
        orders.keep_bookings,
        orders.save_order,
        orders.save_suborder,
        orders.shipped_suborders,
        orders.suborder_state,
        validation.validate_order,
        invoicing.issue_invoice,
        invoicing.issue_document,
        invoicing.check_invoice,
        invoicing.set_dunning_paused,
        invoicing.record_payment,
        invoice_delivery.deliver_invoice,
        notifications.notify,
        notifications.notify_delivery_unit,
        contracts.consume_contract,
        contracts.release_contract,
        spend.record_spend,
        spend.release_spend,
    ]


def catalog_activities(engine: Engine, settings: Settings) -> list:
    catalog = CatalogActivities(engine, settings)
    notifications = NotificationActivities(
        engine, settings.partner_http_timeout, settings.webhook_allow_internal_targets
    )  # a sync tells the managers
    return [
        catalog.activate_catalog_version,
        catalog.unschedule_catalog_version,
        catalog.sync_catalog,
        notifications.notify,
    ]


# The sandbox re-imports, for every workflow it creates, each module that is not passed through.
# Our workflow modules keep no state at module level and reach the outside only through activities,
# so they are imported once (three workflows an order; a tenth of the worker's time before).
SANDBOX = SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows"))


def _worker(
    client: Client, task_queue: str, workflows: list, activities: list, slots: int, settings: Settings
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        # activities are synchronous (SQLAlchemy, httpx): they run on this pool, one slot a thread
        activity_executor=ThreadPoolExecutor(max_workers=slots),
        max_concurrent_activities=slots,
        workflow_runner=SANDBOX,
        # on shutdown running activities get this long to finish before they are cancelled
        graceful_shutdown_timeout=settings.worker_shutdown_grace,
    )


def orders_worker(client: Client, engine: Engine, settings: Settings) -> Worker:
    """Orders and their sub-orders, on TEMPORAL_TASK_QUEUE."""
    return _worker(
        client,
        settings.temporal_task_queue,
        [OrderWorkflow, SubOrderWorkflow, OrderReconciliationWorkflow],
        order_activities(engine, settings, client),
        settings.orders_max_concurrent_activities,
        settings,
    )


def catalog_worker(client: Client, engine: Engine, settings: Settings) -> Worker:
    """Catalog publications and supplier syncs, on TEMPORAL_CATALOG_TASK_QUEUE."""
    return _worker(
        client,
        settings.temporal_catalog_task_queue,
        [CatalogPublicationWorkflow, CatalogSyncWorkflow],
        catalog_activities(engine, settings),
        settings.catalog_max_concurrent_activities,
        settings,
    )


BUILDERS = {ORDERS: orders_worker, CATALOG: catalog_worker}


def queues_of(raw: str | list[str]) -> list[str]:
    """ "orders,catalog" (or a list of such) as the queues' names, each once; ValueError for others."""
    parts = [raw] if isinstance(raw, str) else raw
    wanted = [name.strip() for part in parts for name in part.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in QUEUES]
    if unknown or not wanted:
        raise ValueError(f"worker queues are {' and '.join(QUEUES)}, not {', '.join(unknown) or 'none'}")
    return list(dict.fromkeys(wanted))


def build_workers(client: Client, engine: Engine, settings: Settings, queues: list[str]) -> list[Worker]:
    return [BUILDERS[queue](client, engine, settings) for queue in queues]


async def main(queues: list[str]) -> None:
    logs.configure("worker")
    settings = get_settings()
    telemetry.setup_tracing(settings, "order2cash-worker")
    engine = make_engine(settings.database_url)
    runtime = telemetry.worker_runtime(settings)  # the SDK's metrics at WORKER_METRICS_ADDRESS
    client = await connect(settings, runtime)
    workers = build_workers(client, engine, settings, queues)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    for worker in workers:
        logging.info("worker on task queue %s at %s", worker.task_queue, settings.temporal_address)
    if runtime is not None:
        logging.info("Temporal SDK metrics at http://%s/metrics", settings.worker_metrics_address)
    if ORDERS in queues and settings.reconciliation_every > timedelta(0):
        await order_starter.schedule_reconciliation(
            client, settings.temporal_task_queue, settings.reconciliation_every, settings.reconciliation_grace
        )
    elif ORDERS in queues:
        await order_starter.unschedule_reconciliation(client)
    runs = [asyncio.create_task(worker.run()) for worker in workers]
    await stop.wait()
    logging.info("stopping: running activities get %s to finish", settings.worker_shutdown_grace)
    await asyncio.gather(*(worker.shutdown() for worker in workers))
    await asyncio.gather(*runs, return_exceptions=True)
    engine.dispose()


def parse_args(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--queue", action="append", choices=QUEUES, help="a queue to serve (repeatable; default: WORKER_QUEUES)"
    )
    args = parser.parse_args(argv)
    return queues_of(args.queue or get_settings().worker_queues)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    os._exit(0)  # temporalio/sdk-python#300: avoid the interpreter-exit abort
