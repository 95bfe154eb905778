"""The sub-order workflows as the partner service sees them: ask one, report progress to it.
api/gateway.py implements this over Temporal; the service never imports Temporal. Lists come from
the order record."""

from typing import Protocol

from models.suborders import PartnerEvent, SubOrderView


class SubOrderWorkflows(Protocol):
    async def suborder(self, suborder_id: str) -> SubOrderView: ...
    async def report(self, event: PartnerEvent, update_id: str | None = None) -> SubOrderView: ...
