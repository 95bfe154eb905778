"""The worker process: which task queues it serves, and what each queue's worker runs."""

import pytest

from core import temporal_names as names
from core.settings import Settings
from worker import catalog_worker, orders_worker, parse_args, queues_of


def test_queues_are_named_once_each_and_unknown_ones_are_refused():
    assert queues_of("orders,catalog") == ["orders", "catalog"]
    assert queues_of(["catalog", "catalog,orders"]) == ["catalog", "orders"]
    with pytest.raises(ValueError, match="not payments"):
        queues_of("orders,payments")
    with pytest.raises(ValueError):
        queues_of(" , ")


def test_the_flag_wins_over_the_setting():
    assert parse_args(["--queue", "catalog"]) == ["catalog"]
    assert parse_args([]) == queues_of(Settings().worker_queues)


async def test_orders_and_catalog_work_run_on_separate_queues(time_env, engine):
    settings = Settings(temporal_task_queue="q-orders", temporal_catalog_task_queue="q-catalog")
    orders = orders_worker(time_env.client, engine, settings)
    catalog = catalog_worker(time_env.client, engine, settings)
    assert (orders.task_queue, catalog.task_queue) == ("q-orders", "q-catalog")
    assert Settings().temporal_task_queue == names.ORDERS_TASK_QUEUE  # orders in flight keep their queue
    assert Settings().temporal_catalog_task_queue == names.CATALOG_TASK_QUEUE != names.ORDERS_TASK_QUEUE
