"""Delivering an issued invoice or credit note: e-mail and the customer's webhook, each once
(invoicing/delivery.py keeps the record; this activity makes the HTTP call and tells the workflow)."""

from collections.abc import Mapping

import httpx
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import temporal_names as names
from core.settings import Settings
from invoicing import service as invoicing
from models.invoices import DeliveryReport


class InvoiceDeliveryActivities:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings

    def _post(self, url: str, body: bytes, headers: Mapping[str, str]) -> invoicing.WebhookAnswer:
        try:
            response = httpx.post(url, content=body, headers=dict(headers), timeout=self.settings.partner_http_timeout)
        except httpx.TransportError as exc:  # not reached, no answer: the domain's "try again"
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        return invoicing.WebhookAnswer(response.status_code, response.text)

    @activity.defn
    def deliver_invoice(self, invoice_id: str) -> DeliveryReport:
        """Idempotent: a channel that has sent is not sent again. A channel that failed for now
        (server not reached, SMTP 4xx, webhook 5xx/408/429) fails the activity for a retry; one
        that cannot succeed (no address, SMTP 5xx, webhook 4xx) fails it without retry
        (`InvoiceUndeliverable`), so that the workflow can tell finance."""
        outcomes = invoicing.deliver_invoice(self.engine, self.settings, invoice_id, self._post)
        failed = [o for o in outcomes if o.status == "failed"]
        report = DeliveryReport(invoice_id=invoice_id, outcomes=outcomes)
        for outcome in outcomes:
            activity.logger.info(
                "invoice %s by %s: %s %s", invoice_id, outcome.channel, outcome.status, outcome.detail or ""
            )
        if any(not o.permanent for o in failed):  # retried first: a permanent one is reported once all else is done
            raise ApplicationError(
                "; ".join(f"{o.channel}: {o.detail}" for o in failed),
                report.model_dump(mode="json"),
                type=names.INVOICE_DELIVERY_DELAYED,
            )
        if failed:
            raise ApplicationError(
                "; ".join(f"{o.channel}: {o.detail}" for o in failed),
                report.model_dump(mode="json"),
                type=names.INVOICE_UNDELIVERABLE,
                non_retryable=True,
            )
        return report
