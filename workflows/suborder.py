"""One delivery unit's part of an order: notify the unit, follow accepted/shipped/delivered.

Each stage has a timeout that escalates to the seller's expert (and keeps waiting: the expert
decides on the order, e.g. to reassign).

Sub-orders started since the system of record (`self.v2`) write their document to the order
record (the unit's answer waits until it is saved), tell their order only what it decides on (an
escalation; the rest it learns from the result), tell their unit while the stage timers already
run, and when their order's workflow ends without them (an operator cancelled or terminated it),
they withdraw from the unit. Older sub-orders report every change to their order by signal.
"""

import asyncio
import contextlib
import functools
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities
    from activities.orders import OrderActivities
    from core import temporal_names as names
    from models.notifications import Notification
    from models.partners import UnitMessage
    from models.records import SubOrderSnapshot
    from models.suborders import (
        CLOSED_SUBORDER,
        TRANSITIONS,
        PartnerEvent,
        SubOrderCancel,
        SubOrderChanged,
        SubOrderStart,
        SubOrderStatus,
        SubOrderView,
    )
    from models.timeline import TimelineEntry
    from workflows import options
    from workflows.healing import business_failure, until_done
    from workflows.record_keeper import RecordKeeper

TELLING_GRACE = timedelta(seconds=30)  # how long a finished sub-order waits for its unit's message to arrive
PROGRESS = [SubOrderStatus.SENT, SubOrderStatus.ACCEPTED, SubOrderStatus.SHIPPED, SubOrderStatus.DELIVERED]


def _retrieved(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()


@workflow.defn(name=names.SUBORDER_WORKFLOW)
class SubOrderWorkflow:
    @workflow.init
    def __init__(self, start: SubOrderStart) -> None:
        self.start = start
        self.status = SubOrderStatus.SENT
        self.escalated = False
        self.tracking: str | None = None
        self.reason: str | None = None
        self.timeline: list[TimelineEntry] = []
        self.seen_events: set[str] = set()
        self.updated_at = workflow.now()
        self._to_parent: list[asyncio.Task] = []
        self._indexed_status = SubOrderStatus.SENT.value  # the order starts us with this attribute
        self.v2 = False  # started since the system of record (see the module doc)
        self.lean = start.engine >= names.ENGINE_LEAN  # the lean course (core/temporal_names.py)
        self._deadline: datetime | None = None  # the current stage's (lean course)
        self._missed: datetime | None = None  # the last deadline that passed unmet
        self._watcher: asyncio.Task | None = None
        self._watching_until: datetime | None = None
        self.keeper = RecordKeeper(self._save_record, stamped=self.lean)
        self.attention: dict[str, str] = {}
        self._attention_indexed = False

    @workflow.run
    async def run(self, start: SubOrderStart) -> SubOrderView:
        self.v2 = self.lean or workflow.patched(names.PATCH_SYSTEM_OF_RECORD)
        self._record("system", "suborder.sent", f"sent to {start.partner_id}")
        if self.v2:
            return await self._run_v2(start)
        try:
            await workflow.execute_activity_method(
                NotificationActivities.notify_delivery_unit,
                UnitMessage(key=f"{start.suborder_id}.created", type="suborder.created", suborder=self.view()),
                start_to_close_timeout=options.NOTIFY["start_to_close_timeout"],
                schedule_to_close_timeout=start.accept_timeout,
                retry_policy=options.RETRY,
            )
        except ActivityError as err:
            await self._escalate(f"{start.partner_id} could not be notified: {err.cause or err}")

        stages = [
            (SubOrderStatus.ACCEPTED, start.accept_timeout),
            (SubOrderStatus.SHIPPED, start.ship_timeout),
            (SubOrderStatus.DELIVERED, start.deliver_timeout),
        ]
        for target, timeout in stages:
            if not await self._reached(target, timeout):
                await self._escalate(f"{start.partner_id} did not report {target.value} within {timeout}")
                await workflow.wait_condition(functools.partial(self._at_least, target))
            if self.status in CLOSED_SUBORDER:
                break

        if self.status == SubOrderStatus.CANCELLED:
            await workflow.execute_activity_method(
                NotificationActivities.notify_delivery_unit,
                UnitMessage(key=f"{start.suborder_id}.cancelled", type="suborder.cancelled", suborder=self.view()),
                **options.NOTIFY,
            )
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._to_parent, return_exceptions=True)  # the parent may be gone
        return self.view()

    async def _run_v2(self, start: SubOrderStart) -> SubOrderView:
        # the unit's message also writes the first document; the stage timers run meanwhile
        self.keeper.start(saved=self.keeper.changes)
        telling = asyncio.create_task(self._tell_unit("suborder.created", self.keeper.stamp()))
        try:
            for target, timeout in self._stages(start):
                if not await self._reached(target, timeout):
                    await self._escalate(f"{start.partner_id} did not report {target.value} within {timeout}")
                    await workflow.wait_condition(functools.partial(self._at_least, target))
                if self.status in CLOSED_SUBORDER:
                    break
        except asyncio.CancelledError:  # its order's workflow ended (parent close policy) or an operator
            if self.status in (SubOrderStatus.SENT, SubOrderStatus.ACCEPTED):
                self.status = SubOrderStatus.CANCELLED
                self.reason = "the order's workflow ended"
                self._record("system", "suborder.cancelled", self.reason)
        if self._watcher is not None:
            self._watcher.cancel()  # see billing.py: no timer outlives the workflow
        if not telling.done() and self.lean:
            # the message is on its way (the unit answered first, e.g. from its portal): let it
            # arrive rather than cancel it mid-call, unless the unit's backend keeps failing
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(telling.done, timeout=TELLING_GRACE)
        if not telling.done():
            telling.cancel()  # the unit is past the news (it answered, or the sub-order ended)
            telling.add_done_callback(_retrieved)  # its "Activity cancelled" is expected: not logged
        if self.status == SubOrderStatus.CANCELLED:
            await self._tell_unit("suborder.cancelled", 0)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.keeper.close()
        await asyncio.gather(*self._to_parent, return_exceptions=True)  # the parent may be gone
        return self.view()

    @staticmethod
    def _stages(start: SubOrderStart) -> list[tuple[SubOrderStatus, timedelta]]:
        return [
            (SubOrderStatus.ACCEPTED, start.accept_timeout),
            (SubOrderStatus.SHIPPED, start.ship_timeout),
            (SubOrderStatus.DELIVERED, start.deliver_timeout),
        ]

    async def _tell_unit(self, kind: str, revision: int) -> None:
        """The unit's message (portal inbox, webhook to its backend), until it is taken; a unit that
        refuses it, or is unknown, is for the expert."""
        key = f"{self.start.suborder_id}.{kind.removeprefix('suborder.')}"
        message = UnitMessage(key=key, type=kind, suborder=self.view(), revision=revision)
        try:
            await until_done(
                self,
                "telling the unit",
                self.start.attention_after,
                lambda opts: workflow.execute_activity_method(
                    NotificationActivities.notify_delivery_unit, message, **opts
                ),
                options.PARTNER,
            )
        except ActivityError as err:
            refusal = business_failure(err)
            if refusal is not None and kind == "suborder.cancelled" and self.lean:
                # the sub-order is cancelled all the same: the unit's refusal goes on its timeline
                self._record("system", "suborder.cancel_refused", refusal.message)
                return
            if refusal is None or kind != "suborder.created":
                raise
            await self._escalate(f"{self.start.partner_id} could not be told: {refusal.message}")

    async def _save_record(self, revision: int) -> None:
        self._index_attention()
        snapshot = SubOrderSnapshot(revision=self.keeper.stamp(revision), view=self.view())
        await until_done(
            self,
            "saving the sub-order record",
            self.start.attention_after,
            lambda opts: workflow.execute_local_activity_method(OrderActivities.save_suborder, snapshot, **opts),
            options.LOCAL,
        )

    def attention_raised(self, what: str, why: str) -> None:
        self.attention[what] = why
        self._index_attention()
        self.keeper.changed()

    def attention_cleared(self, what: str) -> None:
        if self.attention.pop(what, None) is not None:
            self.keeper.changed()

    def _index_attention(self) -> None:
        if bool(self.attention) != self._attention_indexed:
            self._attention_indexed = bool(self.attention)
            workflow.upsert_search_attributes([names.NEEDS_ATTENTION.value_set(self._attention_indexed)])

    async def _reached(self, target: SubOrderStatus, timeout) -> bool:
        if self.lean:
            return await self._reached_by_deadline(target, workflow.now() + timeout)
        try:
            await workflow.wait_condition(lambda: self._at_least(target), timeout=timeout)
            return True
        except TimeoutError:
            return False

    async def _reached_by_deadline(self, target: SubOrderStatus, deadline: datetime) -> bool:
        """Waits for `target` until `deadline`. One timer serves all stages: a stage reached early
        leaves it running, and when it fires the watcher sleeps on to the next deadline. So an
        on-time sub-order has one timer in its history, cancelled when it completes."""
        self._deadline = deadline
        if self._watcher is None or (self._watching_until is not None and deadline < self._watching_until):
            if self._watcher is not None:
                self._watcher.cancel()  # it sleeps past this earlier deadline
            self._watcher = asyncio.create_task(self._watch())
        await workflow.wait_condition(lambda: self._at_least(target) or self._missed == deadline)
        return self._at_least(target)

    async def _watch(self) -> None:
        while True:
            deadline = self._deadline
            assert deadline is not None
            if deadline > workflow.now():
                self._watching_until = deadline
                await workflow.sleep(deadline - workflow.now())
                self._watching_until = None
            if self._deadline == deadline:  # not moved on meanwhile: it passed unmet
                self._missed = deadline
                await workflow.wait_condition(functools.partial(self._moved_on, deadline))

    def _moved_on(self, deadline: datetime) -> bool:
        return self._deadline != deadline

    def _at_least(self, target: SubOrderStatus) -> bool:
        return self.status in CLOSED_SUBORDER or PROGRESS.index(self.status) >= PROGRESS.index(target)

    async def _escalate(self, why: str) -> None:
        self.escalated = True
        self._record("system", "suborder.escalated", why)
        note = Notification(
            key=f"{self.start.suborder_id}.escalated.{len(self.timeline)}",
            role="expert",
            order_id=self.start.order_id,
            subject=f"Sub-order {self.start.suborder_id} escalated",
            body=why,
        )
        if not self.v2:
            await workflow.execute_activity_method(NotificationActivities.notify, note, **options.NOTIFY)
            return
        await until_done(
            self,
            "telling the expert",
            self.start.attention_after,
            lambda opts: workflow.execute_local_activity_method(NotificationActivities.notify, note, **opts),
            options.LOCAL,
        )

    # --- messages -------------------------------------------------------------------------------

    @workflow.update(name=names.SUBORDER_REPORT)
    async def report(self, event: PartnerEvent) -> SubOrderView:
        """A delivery unit's progress. A repeated event id has no second effect. The answer waits
        until the record holds the change."""
        if event.event_id in self.seen_events:
            await self.keeper.saved_now()
            return self.view()
        self.seen_events.add(event.event_id)
        _, target = TRANSITIONS[event.type]
        self.status = target
        if target == SubOrderStatus.SHIPPED:
            self.tracking = str(event.data.get("tracking") or "") or None
        if target == SubOrderStatus.REJECTED:
            self.reason = str(event.data.get("reason") or "no reason given")
        detail = (self.reason or "") if target == SubOrderStatus.REJECTED else str(event.data.get("note") or "")
        if self.tracking and target == SubOrderStatus.SHIPPED:
            detail = f"tracking {self.tracking}"
        self._record(event.actor.id, event.type, detail)
        await self.keeper.saved_now()
        return self.view()

    @report.validator
    def _validate_report(self, event: PartnerEvent) -> None:
        if event.actor.delivery_unit_id != self.start.partner_id or event.suborder_id != self.start.suborder_id:
            raise ApplicationError("no such sub-order for this delivery unit", type=names.NOT_FOUND)
        if event.event_id in self.seen_events:
            return
        allowed_from, _ = TRANSITIONS[event.type]
        if self.status not in allowed_from:
            raise ApplicationError(
                f"{event.type} is not possible: sub-order {self.start.suborder_id} is {self.status.value}",
                type=names.CONFLICT,
            )

    @workflow.signal(name=names.SUBORDER_CANCEL)
    def cancel(self, request: SubOrderCancel) -> None:
        """Sent by the order: cancels unless the unit has shipped already."""
        if self.status in (SubOrderStatus.SENT, SubOrderStatus.ACCEPTED):
            self.status = SubOrderStatus.CANCELLED
            self.reason = request.reason
            self._record(request.actor.id, "suborder.cancelled", request.reason)

    @workflow.query(name=names.SUBORDER_VIEW)
    def view(self) -> SubOrderView:
        return SubOrderView(
            suborder_id=self.start.suborder_id,
            order_id=self.start.order_id,
            partner_id=self.start.partner_id,
            status=self.status,
            lines=self.start.lines,
            escalated=self.escalated,
            tracking=self.tracking,
            reason=self.reason,
            delivery_address=self.start.delivery_address,
            delivery_contact=self.start.delivery_contact,
            sent_at=self.timeline[0].at if self.timeline else self.updated_at,
            updated_at=self.updated_at,
            timeline=self.timeline,
            attention="; ".join(f"{what}: {why}" for what, why in self.attention.items()) or None,
        )

    def _record(self, actor: str, event: str, detail: str) -> None:
        self.updated_at = workflow.now()
        entry = TimelineEntry(at=self.updated_at, actor=actor, event=event, detail=detail)
        self.timeline.append(entry)
        if self.status.value != self._indexed_status:
            self._indexed_status = self.status.value
            workflow.upsert_search_attributes([names.SUBORDER_STATUS.value_set(self.status.value)])
        if self.v2:
            self.keeper.changed()
        parent = workflow.info().parent
        tell_parent = event == "suborder.escalated" if self.v2 else event != "suborder.sent"
        if parent is not None and tell_parent:  # v1: every change; v2: what the order decides on
            # fire-and-forget: the order keeps its status document current
            handle = workflow.get_external_workflow_handle(parent.workflow_id)
            self._to_parent.append(
                asyncio.create_task(
                    handle.signal(names.ORDER_SUBORDER_CHANGED, SubOrderChanged(view=self.view(), entry=entry))
                )
            )
