"""Activities that must eventually succeed: retry, tell operators, go on by themselves.

An activity the order needs (a database write, an invoice, a message to a unit) first gets the
order's `attention_after` to succeed with ordinary retries (counted as the attempts that fit
into that time with the retry policy's backoff: local activities do not keep a schedule-to-close
deadline across their retries, attempts they do). If it has not, the order raises its
attention flag (the status document's `attention`, the NeedsAttention search attribute) and the
activity retries without a deadline, its backoff capped; once it succeeds the flag is cleared and
the order continues where it was. Business failures (non-retryable ApplicationErrors) are not
retried here: the caller turns them into a defined outcome.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from workflows import options

T = TypeVar("T")


class Attentive(Protocol):
    """What a workflow shows while something it needs keeps failing."""

    def attention_raised(self, what: str, why: str) -> None: ...
    def attention_cleared(self, what: str) -> None: ...


def business_failure(err: BaseException) -> ApplicationError | None:
    """The refusal no retry changes (a non-retryable ApplicationError the activity raised), or
    None. An activity's failure comes as ActivityError with the refusal as its cause; a local
    activity's is the refusal itself."""
    cause = err.cause if isinstance(err, ActivityError) else err
    return cause if isinstance(cause, ApplicationError) and cause.non_retryable else None


def is_business_failure(err: BaseException) -> bool:
    return business_failure(err) is not None


def attempts_within(policy: RetryPolicy, duration: timedelta) -> int:
    """How many attempts the policy's backoff fits into `duration` (at least 2: one retry)."""
    attempts, waited = 1, timedelta(0)
    interval = policy.initial_interval
    while waited + interval <= duration or attempts < 2:
        waited += interval
        attempts += 1
        interval = min(interval * policy.backoff_coefficient, policy.maximum_interval or interval)
    return attempts


def _cancelled(err: FailureError) -> bool:
    return isinstance(err, CancelledError) or isinstance(getattr(err, "cause", None), CancelledError)


def _why(err: FailureError) -> str:
    """The last attempt's failure (under "activity timed out"), shortened for the status document."""
    found: BaseException = err
    while (deeper := getattr(found, "cause", None) or found.__cause__) is not None:
        found = deeper
    return f"{type(found).__name__}: {found}"[:300]


async def until_done(
    workflow_: Attentive,
    what: str,
    attention_after: timedelta,
    call: Callable[[dict[str, Any]], Awaitable[T]],
    retry_options: dict[str, Any],
) -> T:
    """`call(options)` (an activity or local activity started with these options) until it
    succeeds; a business failure is raised to the caller."""
    policy = retry_options["retry_policy"]
    first = replace(policy, maximum_attempts=attempts_within(policy, attention_after))
    try:
        return await call({**retry_options, "retry_policy": first})
    except FailureError as err:
        if is_business_failure(err) or _cancelled(err):
            raise
        workflow_.attention_raised(what, _why(err))
    try:
        return await call({**retry_options, "retry_policy": options.FOREVER})
    finally:
        workflow_.attention_cleared(what)
