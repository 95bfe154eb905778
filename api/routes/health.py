from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import EngineDep, GatewayDep

router = APIRouter(tags=["health"])


def _database_ok(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar() == 1


@router.get("/healthz", summary="Temporal and database reachability (no auth)")
async def healthz(gateway: GatewayDep, engine: EngineDep) -> JSONResponse:
    checks = {}
    try:
        await gateway.client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        checks["temporal"] = f"unreachable: {exc}"
    try:
        checks["database"] = "ok" if await run_in_threadpool(_database_ok, engine) else "failing"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"unreachable: {exc}"
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status_code=200 if healthy else 503
    )
