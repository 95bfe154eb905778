"""Catalog versions (catalog managers): the versions list, one version with its diff against the
published version, publishing it now or at a date (a CatalogPublication workflow, through the
gateway as the API does), cancelling a scheduled publication, and publishing a stale draft anyway
after the refusal said why."""

import re
from datetime import UTC, datetime, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import page, redirect, render, when
from api.params import KEY_MAX
from api.problems import Problem
from catalog.versions import service as versions
from models.actors import Actor, require_catalog_manager
from models.catalog_versions import CatalogDiff, VersionInfo

router = APIRouter()

DIFF_LIMIT = 20  # the first N of each kind of change; the counts are complete
UTC_OFFSET = re.compile(r"^([+-])([0-9]{2}):([0-9]{2})$")
VERSION_ID = re.compile(r"^[0-9]{1,10}$")


def version_number(raw: str) -> int:
    """The path's version id; anything that cannot be one is a version that does not exist (the
    page's 404, not the API's 422 or the database's overflow: the key is 32 bits on PostgreSQL)."""
    if VERSION_ID.match(raw) is None or not 1 <= int(raw) <= KEY_MAX:
        raise Problem(404, f"catalog version {raw} not found")
    return int(raw)


@router.get("/catalog/versions")
@page()
async def versions_page(request: Request) -> Response:
    rows = await run_in_threadpool(versions.list_versions, deps.engine(request), request.state.actor)
    return render(request, "catalog_versions.html", {"rows": rows})


def is_stale(version: VersionInfo, diff: CatalogDiff) -> bool:
    """A draft copied from a version that is no longer the published one (the diff's base)."""
    return (
        version.status == "draft"
        and version.based_on is not None
        and diff.base_version_id not in (None, version.based_on)
    )


@router.get("/catalog/versions/{version_id}")
@page()
async def version_page(request: Request, version_id: str, stale: str | None = None) -> Response:
    actor: Actor = request.state.actor
    engine = deps.engine(request)
    version = await run_in_threadpool(versions.version, engine, actor, version_number(version_id))
    diff = await run_in_threadpool(lambda: versions.diff(engine, actor, version.id, None, limit=DIFF_LIMIT))
    stale_draft = is_stale(version, diff)
    return render(
        request,
        "catalog_version.html",
        {
            "version": version,
            "diff": diff,
            "limit": DIFF_LIMIT,
            "stale": stale_draft,
            # "publish anyway" only once a publication was refused for it
            "offer_force": bool(stale) and stale_draft,
            "default_at": (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT00:00"),
        },
    )


def activation_time(local: str, offset: str) -> datetime:
    """The datetime-local input's value in the user's UTC offset (±HH:MM), as an aware datetime
    (the API wants a zone)."""
    match = UTC_OFFSET.match(offset)
    if match is None or int(match[2]) > 14 or int(match[3]) > 59:
        raise Problem(422, f"tz: {offset!r} is no UTC offset (like +01:00)", field="tz")
    if not local:
        raise Problem(422, "activates_at: choose the date and time of the publication", field="activates_at")
    try:
        naive = datetime.fromisoformat(local)
    except ValueError:
        raise Problem(422, f"activates_at: {local!r} is no date and time", field="activates_at") from None
    if naive.tzinfo is not None:
        raise Problem(
            422, "activates_at: the time without a zone, please (the zone is the UTC offset)", field="activates_at"
        )
    sign = -1 if match[1] == "-" else 1
    at = naive.replace(tzinfo=timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3]))))
    try:
        at.astimezone(UTC)  # in UTC before year 1 or after 9999: no point in time Python can hold
    except OverflowError:
        raise Problem(422, f"activates_at: {local} {offset} is out of range", field="activates_at") from None
    if at <= datetime.now(UTC):
        raise Problem(422, f"activates_at: {when(at)} is not in the future: use “Publish now”", field="activates_at")
    return at


@router.post("/catalog/versions/{version_id}/publish")
@page(back="/catalog/versions/{version_id}")
async def publish_submit(request: Request, version_id: str) -> Response:
    require_catalog_manager(request.state.actor)  # as the API does, but before the form is read: "not allowed" first
    number = version_number(version_id)
    form = await request.form()
    later = str(form.get("when", "now")) == "at"
    activates_at = (
        activation_time(str(form.get("activates_at", "")).strip(), str(form.get("tz", "")).strip()) if later else None
    )
    actor, force = request.state.actor, str(form.get("force", "")) == "1"
    try:
        result = await deps.gateway(request).publish_catalog_version(
            deps.engine(request), number, actor.id, activates_at, force=force
        )
    except versions.StaleDraft as exc:  # say why, and offer "publish anyway"
        return redirect(f"/catalog/versions/{number}?stale=1", ("error", str(exc)))
    if result.status == "scheduled":
        text = f"Version {number} will be published at {when(result.activates_at)}."
    else:
        m = result.materialised
        text = f"Version {number} published" + (
            f": {m.inserted} items added, {m.updated} changed, {m.deleted + m.deactivated} removed." if m else "."
        )
    return redirect(f"/catalog/versions/{number}", ("ok", text))


@router.post("/catalog/versions/{version_id}/unpublish")
@page(back="/catalog/versions/{version_id}")
async def unpublish_submit(request: Request, version_id: str) -> Response:
    require_catalog_manager(request.state.actor)
    number = version_number(version_id)
    engine = deps.engine(request)
    await deps.gateway(request).unpublish_catalog_version(engine, number)
    version = await run_in_threadpool(versions.version, engine, request.state.actor, number)
    text = f"Version {number} is not scheduled for publication any more: it is a {version.status}."
    return redirect(f"/catalog/versions/{number}", ("ok", text))
