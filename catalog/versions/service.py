"""The catalog versions service: drafts, their diff, publishing now or at a time, for the API, the
pages, the CLI, the scheduled publication (workflows/catalog_starter.py) and its activities. Only
the seller's catalog managers manage versions; the publication at a future time is Temporal's
(the starter), the database side of it is here."""

from datetime import datetime

from sqlalchemy import Engine

from catalog.versions import diff as version_diff
from catalog.versions import publishing, store
from core.database import session_scope
from core.errors import NotFound
from models.actors import Actor, require_catalog_manager
from models.catalog_versions import CatalogDiff, PublishResult, VersionInfo, VersionItemPage

VersionError, VersionConflict, StaleDraft, ImportBusy = (
    store.VersionError,
    store.VersionConflict,
    store.StaleDraft,
    store.ImportBusy,
)


def list_versions(engine: Engine, actor: Actor) -> list[VersionInfo]:
    require_catalog_manager(actor)
    with session_scope(engine) as session:
        return store.list_versions(session)


def create_draft(
    engine: Engine, actor: Actor, note: str = "", empty: bool = False, source: str = "manual"
) -> VersionInfo:
    """A new draft: a copy of the published version (or empty); `source` says where its content
    comes from (manual, import:FILE)."""
    require_catalog_manager(actor)
    with session_scope(engine, write_lock=True) as session:
        draft = store.create_draft(session, created_by=actor.id, note=note, empty=empty, source=source)
        return store.info(session, draft)


def version(engine: Engine, actor: Actor, version_id: int) -> VersionInfo:
    require_catalog_manager(actor)
    with session_scope(engine) as session:
        return store.info(session, store.get_version(session, version_id))


def discard_draft(engine: Engine, actor: Actor, version_id: int) -> None:
    require_catalog_manager(actor)
    with session_scope(engine, write_lock=True) as session:
        store.discard_draft(session, version_id)


def version_items(
    engine: Engine, actor: Actor, version_id: int, *, q: str | None, category: str | None, limit: int, offset: int
) -> VersionItemPage:
    require_catalog_manager(actor)
    with session_scope(engine) as session:
        return store.version_items(session, version_id, q=q, category=category, limit=limit, offset=offset)


def delete_draft_item(engine: Engine, actor: Actor, version_id: int, sku: str) -> None:
    require_catalog_manager(actor)
    with session_scope(engine, write_lock=True) as session:
        if not store.delete_draft_item(session, version_id, sku):
            raise NotFound(f"{sku} is not in version {version_id}", field="sku")


def diff(engine: Engine, actor: Actor, version_id: int, base: int | None = None, *, limit: int = 1000) -> CatalogDiff:
    """What publishing the version changes against `base` (default: the published version)."""
    require_catalog_manager(actor)
    with session_scope(engine) as session:
        return version_diff.diff(session, version_id, base, limit=limit)


# --- publishing (the starter schedules a publication at a future time; its activities finish it) ---


def publish(
    engine: Engine, version_id: int, actor_id: str, activates_at: datetime | None, force: bool
) -> PublishResult:
    """Publishes now, or marks the version scheduled for `activates_at` (the starter then starts
    its workflow). Raises StaleDraft for a draft copied from an older version, unless `force`."""
    with session_scope(engine, write_lock=True) as session:
        return publishing.publish(session, version_id, actor_id, activates_at, force=force)


def unschedule(engine: Engine, version_id: int, activates_at: datetime | None = None) -> bool:
    """Back to draft (a scheduled publication cancelled); False when it was not scheduled."""
    with session_scope(engine, write_lock=True) as session:
        return publishing.unschedule(session, version_id, activates_at)


def activate_scheduled(engine: Engine, version_id: int, activates_at: datetime | None) -> PublishResult | None:
    """The scheduled publication's moment: publishes the version; None when it is not scheduled
    for this time any more (cancelled, rescheduled, or activated by an earlier try)."""
    with session_scope(engine, write_lock=True) as session:
        return publishing.activate_scheduled(session, version_id, activates_at)
