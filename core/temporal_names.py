"""Every name Temporal knows order2cash by, spelled once: task queues, workflow types, the
update, signal and query names the API calls, workflow and schedule ids (builders and parsers),
memo keys, search attributes, and the error types the API turns into statuses.

The workflows declare themselves with these names and the API, the CLI and the worker use them,
so the API starts and talks to workflows without importing workflow code. Orders in flight were
started under these names: a workflow, message or id format here must never change for a running
workflow type (add a new name instead).
"""

from typing import Any

from temporalio.common import SearchAttributeKey

# --- task queues -------------------------------------------------------------------------------
# Orders and their sub-orders on one queue, catalog work on another: a 2 GiB supplier sync must not
# take the activity slots orders need. Settings may rename both per deployment
# (TEMPORAL_TASK_QUEUE, TEMPORAL_CATALOG_TASK_QUEUE); these are the defaults.
ORDERS_TASK_QUEUE = "order2cash"
CATALOG_TASK_QUEUE = "order2cash-catalog"

# --- workflow types ----------------------------------------------------------------------------
ORDER_WORKFLOW = "Order"
SUBORDER_WORKFLOW = "SubOrder"
CATALOG_PUBLICATION_WORKFLOW = "CatalogPublication"
CATALOG_SYNC_WORKFLOW = "CatalogSync"
# settles orders whose workflow was terminated and starts those whose workflow never started
RECONCILIATION_WORKFLOW = "OrderReconciliation"

# --- messages ------------------------------------------------------------------------------------
# the order's updates (validated: a refusal never touches the history), its signal and its query
ORDER_DECIDE = "decide"  # approve or reject what the order waits for
ORDER_DECIDE_SUBORDER = "decide_suborder"  # the expert on a rejected or escalated sub-order
ORDER_CANCEL = "cancel"  # the buyer cancels
ORDER_RECORD_PAYMENT = "record_payment"  # finance books a payment
ORDER_RETRY_INVOICING = "retry_invoicing"  # finance fixed what blocked the invoice: check it again
ORDER_PAUSE_DUNNING = "pause_dunning"  # finance: the customer disputes the invoice
ORDER_RESUME_DUNNING = "resume_dunning"
ORDER_CREDIT_NOTE_ISSUED = "credit_note_issued"  # signal: a credit note reduced an invoice of the order
ORDER_SUBORDER_CHANGED = "suborder_changed"  # signal: a sub-order tells its order what happened
ORDER_VIEW = "view"  # query: the status document
# the sub-order's
SUBORDER_REPORT = "report"  # update: a delivery unit's progress
SUBORDER_CANCEL = "cancel"  # signal from its order
SUBORDER_VIEW = "view"  # query
# the scheduled catalog publication's
CATALOG_PUBLICATION_STATE = "state"  # query: scheduled, published, cancelled

# --- ids -----------------------------------------------------------------------------------------
ORDER_PREFIX = "order-"
SUBORDER_PREFIX = "suborder-"
PUBLICATION_PREFIX = "catalog-publication-"
SYNC_SCHEDULE_PREFIX = "catalog-sync-"
# the schedule, and the prefix of its runs' ids (not "order-...": those are orders)
RECONCILIATION_SCHEDULE_ID = "reconcile-orders"


def order_workflow_id(order_id: str) -> str:
    return f"{ORDER_PREFIX}{order_id}"


def order_id_of(workflow_id: str) -> str:
    """The order id of an order workflow's id."""
    return workflow_id.removeprefix(ORDER_PREFIX)


def suborder_workflow_id(suborder_id: str) -> str:
    return f"{SUBORDER_PREFIX}{suborder_id}"


def suborder_id_of(workflow_id: str) -> str:
    """The sub-order id of a sub-order workflow's id."""
    return workflow_id.removeprefix(SUBORDER_PREFIX)


def publication_workflow_id(version_id: int) -> str:
    """The workflow that publishes catalog version `version_id` at its activation time."""
    return f"{PUBLICATION_PREFIX}{version_id}"


def sync_schedule_id(supplier: str) -> str:
    """A supplier's sync schedule; its runs' workflow ids start with it, too."""
    return f"{SYNC_SCHEDULE_PREFIX}{supplier}"


# --- memo keys (what the lists show without asking the workflow) ---------------------------------
MEMO_FINGERPRINT = "fingerprint"  # the order's request, hashed: the same Idempotency-Key for another body is refused
MEMO_BUYER = "buyer"
MEMO_CUSTOMER_REFERENCE = "customer_reference"
MEMO_GROSS_TOTAL = "gross_total"
MEMO_CURRENCY = "currency"
MEMO_ORDER_ID = "order_id"  # on a sub-order
MEMO_LINES = "lines"  # on a sub-order

# --- search attributes (registered when the server starts; operators filter by them) ----------
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
PARTNER_ID = SearchAttributeKey.for_keyword("PartnerId")
SUBORDER_STATUS = SearchAttributeKey.for_keyword("SubOrderStatus")
# set while an activity an order needs keeps failing; cleared when it succeeds
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")

SEARCH_ATTRIBUTES: list[SearchAttributeKey[Any]] = [
    ORDER_STATUS,
    CUSTOMER_ID,
    ORDER_TOTAL,
    ORDER_ID,
    PARTNER_ID,
    SUBORDER_STATUS,
    NEEDS_ATTENTION,
]

# --- error types (ApplicationError.type) ---------------------------------------------------------
# what an update's validator or an activity refuses with; the API answers 404 / 409 / 422
NOT_FOUND = "NotFound"
CONFLICT = "Conflict"
INVALID = "Invalid"
ORDER_REJECTED = "OrderRejected"  # validation refused the order (non-retryable)
CATALOG_SYNC_FAILED = "CatalogSyncFailed"  # the supplier's file cannot be imported (non-retryable)
# the workflow has not reached what the request presumes (it re-runs a workflow task that was lost
# while the record already shows its outcome): the API answers 503 with Retry-After
NOT_YET = "NotYet"
PARTNER_REFUSED = "PartnerRefused"  # a unit is unknown or its backend refuses a message (4xx): the expert decides
# an invoice cannot reach the customer (no address, SMTP 5xx, its webhook answers 4xx): finance decides
INVOICE_UNDELIVERABLE = "InvoiceUndeliverable"
INVOICE_DELIVERY_DELAYED = "InvoiceDeliveryDelayed"  # a channel failed for now (retryable)

# --- patches (workflow.patched): code paths of orders started after a change ---------------------
PATCH_CONTRACT_CONSUMPTION = "contract-consumption"
PATCH_MONTHLY_SPEND = "monthly-spend"
# the order record, one-transaction acceptance, local bookkeeping, the fulfilment state machine,
# healing activities and compensation; sub-orders write their own record
PATCH_SYSTEM_OF_RECORD = "system-of-record"

# --- courses carried in a workflow's input ---------------------------------------------------------
# A change to code in flight either asks `workflow.patched` (a marker and a search-attribute upsert
# in every new history, two events) or, for a workflow whose input we write, reads the course it
# was started with: OrderPlacement.engine and SubOrderStart.engine. Inputs of orders started before
# carry 0 and take the course their patches decide; replaying them gives what they ran.
# ENGINE_LEAN: the system of record's course without its patch marker, with fewer history events
# (sub-orders started together, one deadline timer per sub-order, record saves folded into the
# bookkeeping activities).
ENGINE_LEAN = 3
# ENGINE_CASH: invoice to cash: e-invoices checked before they are issued (INVOICE_BLOCKED until
# finance fixes the data), sent to the customer, payment terms with cash discount, credit notes,
# dunning levels per customer with pause and resume, collections
ENGINE_CASH = 4
CURRENT_ENGINE = ENGINE_CASH
