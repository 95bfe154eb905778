"""Timeouts and retries of the activities the workflows call."""

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

# Infrastructure failures (database, network) are retried with backoff; business failures are
# non-retryable ApplicationErrors raised by the activities themselves.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)

DB: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(days=1),
    "retry_policy": RETRY,
}
NOTIFY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(days=1),
    "retry_policy": RETRY,
}
