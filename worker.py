"""The Temporal worker: runs the order and sub-order workflows and all activities.

Scale out by starting more of these (docker-compose: `worker` replicas); they share the task queue.
"""

import asyncio
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.catalog import CatalogActivities
from activities.contracts import ContractActivities
from activities.invoicing import InvoicingActivities
from activities.notifications import NotificationActivities
from activities.spending import SpendActivities
from activities.validation import ValidationActivities
from core.database import make_engine
from core.settings import Settings, get_settings
from core.temporal_client import connect
from workflows.catalog_publication import CatalogPublicationWorkflow
from workflows.catalog_sync import CatalogSyncWorkflow
from workflows.order import OrderWorkflow
from workflows.suborder import SubOrderWorkflow

WORKFLOWS = [OrderWorkflow, SubOrderWorkflow, CatalogPublicationWorkflow, CatalogSyncWorkflow]


def activities(engine: Engine, settings: Settings) -> list:
    validation = ValidationActivities(engine)
    invoicing = InvoicingActivities(engine)
    notifications = NotificationActivities(engine, settings.partner_http_timeout)
    return [
        validation.validate_order,
        invoicing.issue_invoice,
        invoicing.record_payment,
        notifications.notify,
        notifications.notify_delivery_unit,
        *contract_activities(engine),
        *catalog_activities(engine, settings),
        *spend_activities(engine),
    ]


def spend_activities(engine: Engine) -> list:
    spend = SpendActivities(engine)
    return [spend.record_spend, spend.release_spend]


def contract_activities(engine: Engine) -> list:
    contracts = ContractActivities(engine)
    return [contracts.consume_contract, contracts.release_contract]


def catalog_activities(engine: Engine, settings: Settings) -> list:
    catalog = CatalogActivities(engine, settings)
    return [catalog.activate_catalog_version, catalog.unschedule_catalog_version, catalog.sync_catalog]


def build_worker(client: Client, engine: Engine, settings: Settings, task_queue: str | None = None) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities(engine, settings),
        # activities are synchronous (SQLAlchemy, httpx): they run on this pool
        activity_executor=ThreadPoolExecutor(max_workers=32),
        max_concurrent_activities=32,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    client = await connect(settings)
    worker = build_worker(client, engine, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.info("worker on task queue %s at %s", settings.temporal_task_queue, settings.temporal_address)
    async with worker:
        await stop.wait()
    engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
    os._exit(0)  # temporalio/sdk-python#300: avoid the interpreter-exit abort
