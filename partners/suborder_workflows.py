"""The sub-order workflows as the partner service sees them: ask one, report progress to it, list
them. api/gateway.py implements this over Temporal; the service never imports Temporal."""

from typing import Any, Protocol

from models.suborders import PartnerEvent, SubOrderView


class SubOrderWorkflows(Protocol):
    async def suborder(self, suborder_id: str) -> SubOrderView: ...
    async def report(self, event: PartnerEvent, update_id: str | None = None) -> SubOrderView: ...
    async def list_suborders(self, partner_id: str | None, status: str | None, limit: int) -> list[dict[str, Any]]: ...
