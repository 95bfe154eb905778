"""Keeps a workflow's status document in the order record.

Every change the workflow makes counts one up; a task of the workflow saves the document whenever
it holds unsaved changes, at the revision it reached (one local activity, one marker in the
history, for everything that changed since the last save). Handlers that answer people wait until
their change is saved, so that a read after the answer shows it. The record keeps the newest
revision it was given, so a save that is retried or overtaken changes nothing.
"""

import asyncio
from collections.abc import Awaitable, Callable

from temporalio import workflow


class RecordKeeper:
    def __init__(self, save: Callable[[int], Awaitable[object]], *, gather: bool = False) -> None:
        self._save = save
        # let the workflow's other coroutines woken in the same task make their changes first, so
        # that one save holds them all (e.g. a payment and the PAID it leads to)
        self._gather = gather
        self.changes = 0  # the revision the document has reached
        self.saved = 0  # the revision the record holds
        self._closed = False
        self._task: asyncio.Task | None = None

    def changed(self) -> None:
        self.changes += 1

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
            await self._save(revision)
            self.saved = max(self.saved, revision)

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
