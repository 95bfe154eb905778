"""Log lines that name the order they are about, in the worker and the API:

    2026-11-27 10:15:02,114 worker INFO activities.reconciliation [order O-7K3M9Q2W8XJD] ...

The order id comes from the record's `order_id` (`extra={"order_id": ...}`), else from the ids
Temporal's `workflow.logger` and `activity.logger` put on their records (an order's or sub-order's
workflow id), else from the request being served (`ORDER_ID`, set by the API for routes with an
order or sub-order in their path, and stamped on the records created meanwhile). `-` when the line
is about no order."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

from core import temporal_names as names

# the order the API's request in this context is about (api/observability.py sets it)
ORDER_ID: ContextVar[str | None] = ContextVar("order_id", default=None)

# an order id as orders/ids.py makes it; a sub-order's id is the order's, its unit and an attempt
_ORDER_ID = re.compile(r"O-[0-9A-Z]{12}")


def order_of_suborder(suborder_id: str) -> str | None:
    """The order id a sub-order id starts with (None for another shape)."""
    match = _ORDER_ID.match(suborder_id)
    return match.group(0) if match else None


def order_of_workflow(workflow_id: str) -> str | None:
    """The order an order's or sub-order's workflow id belongs to; None for other workflows."""
    if workflow_id.startswith(names.ORDER_PREFIX):
        return names.order_id_of(workflow_id)
    if workflow_id.startswith(names.SUBORDER_PREFIX):
        return order_of_suborder(names.suborder_id_of(workflow_id))
    return None


def order_id_of(record: logging.LogRecord) -> str | None:
    """The order a log record is about, as the module docstring says, or None."""
    explicit = getattr(record, "order_id", None)
    if explicit and explicit != "-":  # "-": a formatter found none before
        return str(explicit)
    for key in ("temporal_activity", "temporal_workflow"):  # what temporalio's loggers add
        details = getattr(record, key, None)
        if isinstance(details, dict) and details.get("workflow_id"):
            found = order_of_workflow(str(details["workflow_id"]))
            if found:
                return found
    return getattr(record, "request_order_id", None) or ORDER_ID.get()


def stamp_records() -> None:
    """Records created while a request about an order runs carry its id (`request_order_id`), for
    any handler, also one that formats later in another context. Installed once per process."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stamps_order_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        order_id = ORDER_ID.get()
        if order_id:
            record.request_order_id = order_id
        return record

    factory.stamps_order_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# a one-time link's token (invitation, password reset) is a password until used
_LINK_TOKEN = re.compile(r"(/invitation/)[^\s/?\"]+")


def redact(text: str) -> str:
    return _LINK_TOKEN.sub(r"\1[redacted]", text)


class RedactLinkTokens(logging.Filter):
    """Keeps one-time link tokens out of log lines (uvicorn's access log names every path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Installs RedactLinkTokens on uvicorn's access logger, once per process."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactLinkTokens) for f in access.filters):
        access.addFilter(RedactLinkTokens())


class OrderFormatter(logging.Formatter):
    """The project's log line: time, process, level, logger, `[order ID]`, message."""

    def __init__(self, process: str) -> None:
        super().__init__(f"%(asctime)s {process} %(levelname)s %(name)s [order %(order_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # read when the line is written: the handler writes in the context that logged (ORDER_ID)
        record.order_id = order_id_of(record) or "-"
        return super().format(record)


def configure(
    process: str, level: int | str = logging.INFO, stream=None, also: tuple[str, ...] = ()
) -> logging.Handler | None:
    """Log to stderr (or `stream`) with `OrderFormatter`, as `logging.basicConfig` would: only when
    the root logger has no handler yet (a test runner's or an operator's configuration wins).
    `also`: loggers with handlers of their own (uvicorn's) whose lines get the same format.
    Answers the handler it installed, or None."""
    root = logging.getLogger()
    if root.handlers:
        return None
    formatter = OrderFormatter(process)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)
    for name in also:
        for own in logging.getLogger(name).handlers:
            own.setFormatter(formatter)
    return handler
