import json
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook
from temporalio import activity

from models.notifications import Notification
from models.partners import UnitMessage
from notifications import service as notifications
from partners import service as partners


class NotificationActivities:
    def __init__(self, engine: Engine, http_timeout: float = 10.0):
        self.engine = engine
        self.http_timeout = http_timeout

    @activity.defn
    def notify(self, note: Notification) -> None:
        """Posts to the recipients' inbox (once per key)."""
        notifications.post(self.engine, note)

    @activity.defn
    def notify_delivery_unit(self, message: UnitMessage) -> None:
        """Tells the unit about its sub-order: in its portal inbox always, and by a signed webhook
        to its backend when it has one. The webhook-id is the message key on every retry."""
        sub = message.suborder
        url, secret = partners.backend_of(self.engine, sub.partner_id)
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
        response.raise_for_status()  # the activity retries with backoff until the unit takes it
