"""The web pages run against the same real system as the API tests: Temporal dev server, worker,
uvicorn. Each signed-in person gets an own httpx client (own cookie jar)."""

import re

import httpx
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real chromium")


def hidden(html: str, name: str) -> str:
    """The value of a hidden form field (the first one of that name)."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name!r} on the page"
    return match.group(1)


@pytest.fixture(scope="module")
async def signed_in(system):
    """signed_in(email) -> an httpx client whose cookie jar holds the session cookie."""
    clients: list[httpx.AsyncClient] = []

    async def sign_in(email: str, password: str = "demo") -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=system, timeout=30, follow_redirects=False)
        clients.append(client)
        r = await client.post("/login", data={"username": email, "password": password, "next": "/"})
        assert r.status_code == 303, r.text
        assert client.cookies.get("o2c_token"), "the session cookie was not set"
        return client

    yield sign_in
    for client in clients:
        await client.aclose()
