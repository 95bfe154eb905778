"""Timeouts and retries of the activities the workflows call."""

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

# Infrastructure failures (database, network) are retried with backoff; business failures are
# non-retryable ApplicationErrors raised by the activities themselves.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)
# What must eventually succeed retries without a deadline once operators know (workflows/healing.py);
# backoff capped, so a long outage costs few retries (and, for local activities, few history events).
FOREVER = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5)
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
# Short database work the workflow runs in its own task (orders of new code: bookkeeping, the
# record, invoices, payments, inbox messages): one marker in the history instead of an activity's
# three events and a workflow task. The deadline comes from workflows/healing.py.
LOCAL: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RETRY,
}
# A unit's backend over HTTP (new code): a regular activity, retried by the server; healing sets
# the deadline.
PARTNER: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RETRY,
}

# Sending an invoice (SMTP, the customer's webhook) from the workflow's task: a slow mail server
# gets a minute per attempt; healing sets the deadline.
SEND: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "retry_policy": RETRY,
}
