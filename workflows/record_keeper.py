"""Keeps a workflow's status document in the order record.

Every change the workflow makes counts one up; a task of the workflow saves the document whenever
it holds unsaved changes, at the revision it reached (one local activity, one marker in the
history, for everything that changed since the last save). Handlers that answer people wait until
their change is saved, so that a read after the answer shows it. The record keeps the newest
revision it was given, so a save that is retried or overtaken changes nothing.

A local activity runs inside a workflow task and writes before Temporal has taken that task. When
the task is lost (its worker killed, the server restarted), the task runs again and may come out
differently (other times, a payment the workflow no longer knows). So documents of the lean course
are written at a stamped revision, the history's length first: the re-run comes later in the
history than the lost task, so its save overwrites what the lost one wrote.
"""

import asyncio
from collections.abc import Awaitable, Callable

from temporalio import workflow

# a stamped revision is history length x STAMP + changes: the record's INTEGER column holds a
# history of Temporal's 51,200 events at most with up to STAMP changes
STAMP = 10_000


class RecordKeeper:
    def __init__(
        self, save: Callable[[int], Awaitable[object]], *, gather: bool = False, stamped: bool = False
    ) -> None:
        self._save = save
        self._stamped = stamped
        # let the workflow's other coroutines woken in the same task make their changes first, so
        # that one save holds them all (e.g. a payment and the PAID it leads to)
        self._gather = gather
        self.changes = 0  # the revision the document has reached
        self.saved = 0  # the revision the record holds
        self.saved_stamp = 0  # ... as written (stamped)
        self._closed = False
        self._task: asyncio.Task | None = None

    def changed(self) -> None:
        self.changes += 1

    def stamp(self, changes: int | None = None) -> int:
        """The revision the document at `changes` (default: now) is written and shown with."""
        changes = self.changes if changes is None else changes
        if not self._stamped:
            return changes
        return workflow.info().get_current_history_length() * STAMP + changes

    def start(self, saved: int = 0) -> None:
        """Starts saving (`saved`: a revision written already, e.g. by an activity that also saved)."""
        self.saved = max(self.saved, saved)
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await workflow.wait_condition(lambda: self.changes > self.saved or self._closed)
            if self._gather:
                await asyncio.sleep(0)  # no timer: only yields to the coroutines ready now
            if self.changes <= self.saved:
                return
            revision = self.changes
            stamped = self.stamp(revision)  # as the save computes it: the same workflow task
            await self._save(revision)
            if revision > self.saved:
                self.saved, self.saved_stamp = revision, stamped

    def shown(self) -> int:
        """The revision a view of the document shows: the record's, when it holds every change (a
        later workflow task with nothing to save does not make it newer); else the least the next
        save will be written with."""
        if self.saved >= self.changes and self.saved_stamp:
            return self.saved_stamp
        return self.stamp()

    async def saved_now(self) -> None:
        """Waits until the record holds every change, also those the workflow makes in reaction to
        the caller's (a decision moves the order on in the same workflow task): what the caller
        reads next is where the order went (at once when not keeping a record)."""
        if self._task is None or self._task.done():
            return
        await workflow.wait_condition(lambda: self.saved >= self.changes)

    async def close(self) -> None:
        """Saves what is left, then stops."""
        self._closed = True
        if self._task is not None:
            await self._task
