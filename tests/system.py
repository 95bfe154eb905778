"""The running system for the integration tests (API and pages): a real Temporal dev server, the real
workers, the API over real HTTP; and the API's database for tests that add data. A plugin of the
root conftest, so every test package shares one running system."""

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from accounts.passwords import hash_password
from api.app import create_app
from core import temporal_names as names
from core.database import make_engine
from core.settings import Settings
from tests.conftest import executable
from tests.dbs import system_database
from worker import catalog_worker, orders_worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def served(app, log_level: str = "warning") -> AsyncIterator[str]:
    """The ASGI app in a uvicorn thread on a free port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert server.started, "the API did not start"
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def password_login(http: httpx.AsyncClient):
    """`await login(email)`: bearer headers for a demo user (password "demo"), signed in once."""
    tokens: dict[str, dict[str, str]] = {}

    async def headers(email: str) -> dict[str, str]:
        if email not in tokens:
            r = await http.post("/api/v1/auth/token", data={"username": email, "password": "demo"})
            assert r.status_code == 200, r.text
            tokens[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return tokens[email]

    return headers


@pytest.fixture(scope="session")
async def dev_env():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=executable("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=names.SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
        # a closed workflow is deleted at once, not after the transfer queue's next ack (~30 s), so
        # the tests can delete an order's history as the namespace's retention would
        dev_server_extra_args=["--dynamic-config-value", "history.transferProcessorEnsureCloseBeforeDelete=false"],
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def api_settings(dev_env, tmp_path_factory) -> Iterator[Settings]:
    """The running system's settings; its database is SQLite, or PostgreSQL with TEST_DATABASE."""
    with system_database(tmp_path_factory.mktemp("api")) as db:
        url = db.url.render_as_string(hide_password=False)
        db.dispose()
        yield Settings(
            temporal_address=dev_env.client.service_client.config.target_host,
            database_url=url,
            jwt_secret="test-secret-" + uuid.uuid4().hex,
            temporal_task_queue=f"api-{uuid.uuid4().hex[:8]}",
            temporal_catalog_task_queue=f"api-catalog-{uuid.uuid4().hex[:8]}",
            # every test signs in from 127.0.0.1, some with wrong passwords on purpose
            login_limit_per_client="10000/minute",
            webhook_allow_internal_targets=True,  # the tests' unit backends run on 127.0.0.1
        )


@pytest.fixture(scope="session")
async def system(dev_env, api_settings):
    """Worker in this event loop, API in a uvicorn thread; yields the API's base URL."""
    engine = make_engine(api_settings.database_url)
    async with (
        served(create_app(api_settings)) as base,
        orders_worker(dev_env.client, engine, api_settings),
        catalog_worker(dev_env.client, engine, api_settings),
    ):
        yield base
    engine.dispose()


@pytest.fixture(scope="session")
async def http(system):
    async with httpx.AsyncClient(base_url=system, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def login(http):
    return password_login(http)


@pytest.fixture(scope="module")
def app_db(api_settings):
    """An engine on the API's database (the session's, shared with the running API)."""
    engine = make_engine(api_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def demo_hash() -> str:
    """The hash of the password "demo", for users a test adds (hashing is slow on purpose)."""
    return hash_password("demo")
