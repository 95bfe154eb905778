"""Timeouts an order runs with. Fixed into the workflow input at start, so a settings change
affects new orders only and in-flight histories replay unchanged."""

from datetime import timedelta

from pydantic import BaseModel, model_validator


class EscalationPolicy(BaseModel):
    """A human wait: remind the person, then escalate, then give up."""

    reminder_after: timedelta
    escalation_after: timedelta
    timeout: timedelta

    @model_validator(mode="after")
    def _ordered(self) -> "EscalationPolicy":
        if not (self.reminder_after <= self.escalation_after <= self.timeout):
            raise ValueError("reminder_after <= escalation_after <= timeout is required")
        return self


class OrderPolicy(BaseModel):
    approval: EscalationPolicy
    partner_accept_timeout: timedelta
    partner_ship_timeout: timedelta
    partner_deliver_timeout: timedelta
    dunning_interval: timedelta
    # how long an activity the order needs may keep failing before operators are told (the order
    # shows `attention` and the NeedsAttention search attribute; it keeps retrying regardless)
    attention_after: timedelta = timedelta(minutes=2)
