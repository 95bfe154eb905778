"""Activities of the catalog workflows: activate a scheduled version, cancel its schedule, and
pull a supplier's catalog into a draft (the download is here: all I/O of a workflow is an
activity's; what becomes of the file is catalog/exchange/sync.py's)."""

from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from catalog.exchange import service as exchange
from catalog.versions import service as versions
from core import outbound
from core import temporal_names as names
from core.settings import Settings
from models.catalog_versions import PublicationRequest, PublishResult, SyncJob, SyncResult


class FetchRefused(Exception):
    """The source answered with a client error or sent too much: retrying will not help."""


def fetch(
    url: str,
    dest: Path,
    *,
    timeout: float,
    max_bytes: int,
    on_chunk: Callable[[int], None] | None = None,
    allow_internal: bool = False,
) -> int:
    """Streams `url` into `dest`; returns the number of bytes. 4xx, oversize and an address in the
    seller's own network (every redirect checked too: core/outbound.py) raise FetchRefused, other
    failures (network, 5xx) httpx errors (worth a retry)."""

    def check(request: httpx.Request) -> None:
        refused = outbound.refusal_when_used(str(request.url), allow_internal)
        if refused:
            raise FetchRefused(f"{request.url} is not allowed: {refused}")

    size = 0
    with (
        httpx.Client(timeout=timeout, follow_redirects=True, event_hooks={"request": [check]}) as client,
        client.stream("GET", url) as response,
    ):
        if 400 <= response.status_code < 500:
            raise FetchRefused(f"{url} answered {response.status_code}")
        response.raise_for_status()
        with open(dest, "wb") as out:
            for chunk in response.iter_bytes(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(f"{url} sent more than {max_bytes} bytes")
                out.write(chunk)
                if on_chunk is not None:
                    on_chunk(size)
    return size


class CatalogActivities:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings

    @activity.defn
    def activate_catalog_version(self, request: PublicationRequest) -> PublishResult | None:
        """Publishes a scheduled version; None when it is not scheduled for this time any more
        (cancelled, rescheduled, or already activated by an earlier try)."""
        return versions.activate_scheduled(self.engine, request.version_id, request.activates_at)

    @activity.defn
    def unschedule_catalog_version(self, request: PublicationRequest) -> bool:
        """Back to draft (the publication was cancelled before its activation time)."""
        try:
            return versions.unschedule(self.engine, request.version_id, request.activates_at)
        except versions.VersionError as exc:
            raise ApplicationError(str(exc), non_retryable=True) from exc

    @activity.defn
    def sync_catalog(self, job: SyncJob) -> SyncResult:
        """Downloads the supplier's file, imports it into the run's draft, diffs it."""
        s = self.settings
        try:
            return exchange.run_sync(
                self.engine,
                job,
                default_delivery_unit=s.catalog_default_delivery_unit,
                default_category=s.catalog_default_category,
                download=lambda dest: fetch(
                    job.request.url,
                    dest,
                    timeout=s.catalog_sync_timeout,
                    max_bytes=s.catalog_sync_max_bytes,
                    on_chunk=activity.heartbeat,
                    allow_internal=s.webhook_allow_internal_targets,
                ),
                heartbeat=activity.heartbeat,
            )
        except versions.ImportBusy as exc:  # an earlier, stalled try still holds the draft: retried
            raise ApplicationError(str(exc)) from exc
        except (FetchRefused, exchange.ImportRefused, versions.VersionError) as exc:
            raise ApplicationError(str(exc), type=names.CATALOG_SYNC_FAILED, non_retryable=True) from exc
        except httpx.HTTPError as exc:  # network trouble, 5xx: retried with backoff
            raise ApplicationError(f"fetching {job.request.url} failed: {exc}") from exc
