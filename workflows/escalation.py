"""A human wait with a reminder, an escalation and a final timeout."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.policy import EscalationPolicy

Stage = Literal["reminder", "escalation"]


async def wait_escalating(
    done: Callable[[], bool],
    policy: EscalationPolicy,
    on_stage: Callable[[Stage], Awaitable[None]],
) -> bool:
    """Waits until `done()`; calls `on_stage` at the reminder and escalation marks. Returns False
    when the final timeout passes first. All marks count from the start of the wait."""
    started = workflow.now()
    marks: list[tuple[Stage | None, timedelta]] = [
        ("reminder", policy.reminder_after),
        ("escalation", policy.escalation_after),
        (None, policy.timeout),
    ]
    for stage, mark in marks:
        remaining = mark - (workflow.now() - started)
        if done():
            return True
        if remaining.total_seconds() > 0:
            try:
                await workflow.wait_condition(done, timeout=remaining)
                return True
            except TimeoutError:
                pass
        if stage is None:
            return done()
        await on_stage(stage)
    return done()
