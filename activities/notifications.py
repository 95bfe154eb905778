import json
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import outbound
from core import temporal_names as names
from models.notifications import Notification
from models.partners import UnitMessage
from models.records import SubOrderSnapshot
from notifications import service as notifications
from orders import service as orders
from partners import service as partners


class NotificationActivities:
    def __init__(self, engine: Engine, http_timeout: float = 10.0, allow_internal_targets: bool = False):
        self.engine = engine
        self.http_timeout = http_timeout
        self.allow_internal_targets = allow_internal_targets

    @activity.defn
    def notify(self, note: Notification) -> None:
        """Posts to the recipients' inbox (once per key)."""
        notifications.post(self.engine, note)

    @activity.defn
    def notify_delivery_unit(self, message: UnitMessage) -> None:
        """Tells the unit about its sub-order: in its portal inbox always, and by a signed webhook
        to its backend when it has one. The webhook-id is the message key on every retry. With a
        revision, the sub-order's document goes into the order record first.

        An unknown unit, or a backend that refuses the message (4xx other than 408/429), fails
        without retry (`PartnerRefused`): sending it again cannot help, the expert must decide."""
        sub = message.suborder
        if message.revision:
            orders.save_suborder(self.engine, SubOrderSnapshot(revision=message.revision, view=sub))
        try:
            url, secret = partners.backend_of(self.engine, sub.partner_id)
        except ValueError as exc:
            raise ApplicationError(str(exc), type=names.PARTNER_REFUSED, non_retryable=True) from exc
        verb = "new sub-order" if message.type == "suborder.created" else "sub-order cancelled"
        notifications.post(
            self.engine,
            Notification(
                key=message.key,
                role="fulfilment",
                delivery_unit_id=sub.partner_id,
                order_id=sub.order_id,
                subject=f"{verb} {sub.suborder_id}",
                body=", ".join(f"{line.quantity} x {line.sku}" for line in sub.lines),
            ),
        )
        if not url:
            return
        refused = outbound.refusal_when_used(url, self.allow_internal_targets)
        if refused:  # the address leads into the seller's own network: the expert must decide
            raise ApplicationError(
                f"{sub.partner_id}'s backend address is not allowed: {refused}",
                type=names.PARTNER_REFUSED,
                non_retryable=True,
            )
        body = json.dumps(
            {
                "type": message.type,
                "suborder_id": sub.suborder_id,
                "data": sub.model_dump(mode="json", exclude={"timeline"}),
            }
        )
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.key,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message.key, now, body),
        }
        response = httpx.post(url, content=body, headers=headers, timeout=self.http_timeout)
        if response.is_client_error and response.status_code not in (408, 429):
            raise ApplicationError(
                f"{sub.partner_id}'s backend refused {message.type}: HTTP {response.status_code} {response.text[:200]}",
                type=names.PARTNER_REFUSED,
                non_retryable=True,
            )
        response.raise_for_status()  # 5xx, 408, 429: the activity retries with backoff until the unit takes it
