"""Long polls on orders: many clients wait for their orders to change, and one loop per API
process reads the versions of all orders waited on in one query at a time, then wakes the waiters
whose order moved on. A client following an order so costs one request per change, and the
database one small query per interval whatever the number of waiters."""

import asyncio
from collections.abc import Callable

import anyio


class OrderWatch:
    def __init__(self, versions: Callable[[list[str]], dict[str, str]], every: float = 0.1) -> None:
        self._versions = versions  # blocking: order ids -> their current version tags
        self._every = every
        self._waiters: dict[str, list[tuple[str, asyncio.Event]]] = {}
        self._task: asyncio.Task | None = None

    async def changes(self, order_id: str, version: str, wait: float) -> bool:
        """Whether the order moves on from `version` within `wait` seconds."""
        waiter = (version, asyncio.Event())
        self._waiters.setdefault(order_id, []).append(waiter)
        if self._task is None or self._task.done() or self._task.get_loop() is not asyncio.get_running_loop():
            self._task = asyncio.create_task(self._run())
        try:
            with anyio.move_on_after(wait):
                await waiter[1].wait()
            return waiter[1].is_set()
        finally:
            waiting = self._waiters.get(order_id, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                self._waiters.pop(order_id, None)

    async def _run(self) -> None:
        while self._waiters:
            current = await anyio.to_thread.run_sync(self._versions, list(self._waiters))
            for order_id, waiting in list(self._waiters.items()):
                for version, event in waiting:
                    if current.get(order_id) != version:
                        event.set()
            await anyio.sleep(self._every)
