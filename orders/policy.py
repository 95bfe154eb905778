"""The timeouts an order runs with, from the settings; fixed into the workflow's input when the
order is placed, so a changed setting applies to new orders only."""

from core.settings import Settings
from models.policy import EscalationPolicy, OrderPolicy


def order_policy(settings: Settings) -> OrderPolicy:
    """The timeouts an order runs with; fixed into the workflow input when it starts."""
    return OrderPolicy(
        approval=EscalationPolicy(
            reminder_after=settings.approval_reminder_after,
            escalation_after=settings.approval_escalation_after,
            timeout=settings.approval_timeout,
        ),
        partner_accept_timeout=settings.partner_accept_timeout,
        partner_ship_timeout=settings.partner_ship_timeout,
        partner_deliver_timeout=settings.partner_deliver_timeout,
        dunning_interval=settings.dunning_interval,
        attention_after=settings.attention_after,
    )
