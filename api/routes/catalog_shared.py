"""What the catalog management routes (catalog_versions, catalog_drafts, catalog_customer_views,
catalog_export, catalog_sync_schedules) share: their prefix and tag, the catalog-manager check,
how the catalog's errors read as problem details, and calling a catalog function in a transaction."""

from fastapi.concurrency import run_in_threadpool

from api.problems import Problem
from api.security import require_role
from catalog import quality, subassortments
from catalog.exchange import importing
from catalog.versions import store
from core.database import session_scope
from models.actors import Actor

PREFIX = "/api/v1/catalog"
TAG = "catalog management"  # one tag: the docs show catalog management as one section
MANAGER = "catalog_manager"


def require_manager(actor: Actor) -> None:
    # the role alone is not enough: a customer's user must never manage the seller's catalog
    if not actor.is_seller_staff:
        raise Problem(403, "Catalog management is for the seller's catalog managers")
    require_role(actor, MANAGER)


def run(fn, *args, **kwargs):
    """Runs a catalog function, turning its errors into problem details."""
    try:
        return fn(*args, **kwargs)
    except store.VersionError as exc:
        raise Problem(exc.status, str(exc)) from exc
    except importing.ImportRefused as exc:
        raise Problem(422, f"The file was not imported: {exc}", field="file") from exc
    except (quality.InvalidRule, subassortments.InvalidDefinition) as exc:
        raise Problem(422, str(exc)) from exc


def in_session(engine, fn, *args, write_lock: bool = False, **kwargs):
    """`fn(session, *args, **kwargs)` in one transaction (`write_lock`: a writer's, see
    database.session_scope), the catalog's errors as problem details."""
    with session_scope(engine, write_lock=write_lock) as session:
        return run(fn, session, *args, **kwargs)


async def call(engine, fn, *args, write_lock: bool = False, **kwargs):
    """`in_session` in a worker thread: the database calls block."""
    return await run_in_threadpool(in_session, engine, fn, *args, write_lock=write_lock, **kwargs)
