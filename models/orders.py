"""The order: what a buyer places, what validation makes of it, and its status document."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from models.actors import Actor
from models.approvals import ApprovalRecord, PendingApproval
from models.contracts import ConsumptionResult
from models.einvoices import Finding
from models.invoices import InvoiceSummary
from models.money import Money
from models.policy import OrderPolicy
from models.suborders import SubOrderView
from models.timeline import TimelineEntry


class OrderStatus(StrEnum):
    RECEIVED = "RECEIVED"
    VALIDATING = "VALIDATING"
    AWAITING_CUSTOMER_APPROVAL = "AWAITING_CUSTOMER_APPROVAL"
    AWAITING_EXPERT_APPROVAL = "AWAITING_EXPERT_APPROVAL"
    IN_FULFILLMENT = "IN_FULFILLMENT"
    INVOICE_BLOCKED = "INVOICE_BLOCKED"  # the e-invoice failed its checks: finance fixes the data and retries
    INVOICED = "INVOICED"
    OVERDUE = "OVERDUE"
    COLLECTIONS = "COLLECTIONS"  # the last dunning level passed: handed over to collections
    PAID = "PAID"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


FINAL_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.REJECTED, OrderStatus.CANCELLED})


class OrderLineRequest(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1_000_000)
    configuration: dict[str, str] = Field(default_factory=dict)


class OrderPlacement(BaseModel):
    """Workflow input: the order as the buyer placed it, plus the policy it runs under."""

    order_id: str
    seller_id: str
    buyer: Actor
    lines: list[OrderLineRequest] = Field(min_length=1)
    customer_reference: str | None = None
    delivery_address: str | None = None
    delivery_contact: str | None = None  # who takes the delivery (name, phone), for the units
    policy: OrderPolicy
    # the course the workflow takes (core/temporal_names.py CURRENT_ENGINE when started by this code;
    # 0 in the inputs of orders started before, which keep theirs)
    engine: int = 0


class PricedLine(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    configuration: dict[str, str] = {}
    unit_price: Money
    line_total: Money  # net
    vat_rate: Decimal
    vat_amount: Money
    delivery_unit_id: str
    expert_review: bool = False
    customer_part_number: str | None = None  # the customer's own number for the item (customers/part_numbers.py)


class ValidationRequest(BaseModel):
    placement: OrderPlacement
    as_of: date


class ValidatedOrder(BaseModel):
    """Validation's verdict on an acceptable order: contract prices, routing, approvals needed."""

    customer_id: str
    approver_customer_ids: list[str]  # approvers of the customer or of a parent may approve
    contract_id: str
    currency: str
    payment_terms_days: int
    lines: list[PricedLine]
    discount_days: int | None = None  # the contract's cash discount (invoicing/terms.py)
    discount_percent: Decimal | None = None
    # the customer's: per_order (one invoice after full delivery) or per_delivery (one per sub-order
    # as it is delivered); monthly collective invoicing is not built yet and invoices per order
    invoicing_policy: str = "per_order"
    net_total: Money
    vat_total: Money
    gross_total: Money
    order_limit: Money | None  # the buyer's, None = unlimited
    needs_customer_approval: bool
    expert_review_skus: list[str]
    # why the customer's approval is needed: order limit, monthly limit (contracts/limits.py)
    approval_reasons: list[str] = []
    monthly_limit: Money | None = None  # the buyer's, None = none
    catalog_version: int | None = None  # the published catalog version it was validated against
    expert_reasons: list[str] = []  # beyond flagged items, why the seller's expert must approve

    def lines_by_unit(self) -> dict[str, list[PricedLine]]:
        """Fulfilment routing: one sub-order per delivery unit, as the catalog assigns them."""
        units: dict[str, list[PricedLine]] = {}
        for line in self.lines:
            units.setdefault(line.delivery_unit_id, []).append(line)
        return units


class Acceptance(BaseModel):
    """An accepted order: validation's verdict and what it booked (in one transaction,
    orders/acceptance.py). `consumption.accepted` False: beyond the contract, for the expert."""

    validated: ValidatedOrder
    consumption: ConsumptionResult | None = None
    month: str  # the buyer's month the order counts towards ("2026-12")


class CancelRequest(BaseModel):
    actor: Actor
    reason: str = ""


class OrderView(BaseModel):
    """The order's status document, as the query returns it and the API serves it."""

    order_id: str
    status: OrderStatus
    customer_id: str | None
    buyer: str
    customer_reference: str | None = None
    delivery_address: str | None = None
    delivery_contact: str | None = None
    placed_at: datetime
    contract_id: str | None = None
    catalog_version: int | None = None
    currency: str | None = None
    lines: list[PricedLine] = []
    requested_lines: list[OrderLineRequest] = []
    net_total: Money | None = None
    vat_total: Money | None = None
    gross_total: Money | None = None
    suborders: list[SubOrderView] = []
    invoices: list[InvoiceSummary] = []
    paid_total: Money = Decimal("0.00")
    pending_approval: PendingApproval | None = None
    approvals: list[ApprovalRecord] = []
    rejection_reason: str | None = None
    timeline: list[TimelineEntry] = []
    contract_consumption: ConsumptionResult | None = None  # what the order took from its contract
    removed_lines: list[int] = []  # dropped by the expert or cancelled: neither delivered nor invoiced
    # what the order waits for to heal (an activity that keeps failing); None: nothing
    attention: str | None = None
    # invoice to cash: what blocks the invoice (INVOICE_BLOCKED), the dunning level reached, a pause
    invoice_findings: list[Finding] = []
    dunning_level: int = 0
    dunning_paused: bool = False
    revision: int = 0  # of the status document: a later one has a higher revision


# --- what the API takes and gives for orders ---------------------------------------------------


class OrderCreate(BaseModel):
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=500)
    customer_reference: str | None = Field(default=None, max_length=100)
    delivery_address: str | None = Field(default=None, max_length=500)
    delivery_contact: str | None = Field(
        default=None, max_length=200, description="who takes the delivery (name, phone); default: the buyer"
    )


class OrderAccepted(BaseModel):
    order_id: str
    status: OrderStatus
    location: str


class OrderSummary(BaseModel):
    order_id: str
    status: OrderStatus | None
    customer_id: str | None
    customer_reference: str | None = None
    buyer: str | None = None
    gross_total: str | None = None
    currency: str | None = None
    placed_at: datetime | None = None
    net_total: Money | None = None
    paid_total: Money | None = None
    updated_at: datetime | None = None
    attention: str | None = Field(default=None, description="set while the order waits for a failing step to heal")


class OrderQuery(BaseModel):
    """Which orders a list shows: every filter given must match; newest first, a page at a time."""

    status: OrderStatus | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    buyer: str | None = Field(default=None, max_length=254)
    placed_from: AwareDatetime | None = Field(default=None, description="placed at or after (with a zone)")
    placed_to: AwareDatetime | None = Field(default=None, description="placed before (with a zone)")
    customer_reference: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200, description="from the previous page's Link header")

    @field_validator("placed_from", "placed_to")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Compared in UTC; a time without one (year 1 east of Greenwich, 9999 west of it) is refused."""
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("the time is out of range in UTC") from exc


class ApprovalBody(BaseModel):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=2000)


class CancelBody(BaseModel):
    reason: str = Field(default="", max_length=2000)


class SubOrderDecisionBody(BaseModel):
    action: Literal["resend", "reassign", "drop", "cancel_order"]
    partner_id: str | None = Field(default=None, description="delivery unit for action=reassign")
    comment: str = Field(default="", max_length=2000)


class ReconciliationRequest(BaseModel):
    """A run of the order reconciliation: orders whose record has been untouched this long."""

    grace: timedelta


class ReconciliationReport(BaseModel):
    checked: int = 0
    started: list[str] = []  # requests whose workflow had never started
    closed: list[str] = []  # orders whose workflow had ended without closing them (now CANCELLED)
