"""GET /healthz: what load balancers and operators poll (no auth)."""


async def test_healthz_reports_temporal_and_the_database(http):
    r = await http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"temporal": "ok", "database": "ok"}}
