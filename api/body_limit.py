"""Request bodies have a size limit: a pure ASGI middleware refuses a larger one with 413 (a problem,
or the HTML error page for a browser on a page) before the route sees any of it. A declared
`Content-Length` over the limit is refused before anything is read; a body without one (chunked)
is counted as it arrives and refused once it passes the limit, so nobody can stream an endless one.

Limits by path: partners' webhooks a small one (checked before the signature is, so an unsigned
flood costs nothing), catalog imports a large one (supplier files of up to 2 GiB), bank statements
10 MiB (cash.service), everything else the default (settings `MAX_REQUEST_BODY`, `MAX_WEBHOOK_BODY`,
`MAX_IMPORT_BODY`)."""

import re

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from cash import service as cash
from core.settings import Settings

WEBHOOKS = re.compile(r"^/api/v1/webhooks/")
IMPORTS = re.compile(r"^/api/v1/catalog/versions/[^/]+/import$")
STATEMENTS = re.compile(r"^/api/v1/finance/bank-statements$")
MULTIPART_OVERHEAD = 64 * 1024  # a statement's limit is its file's (cash.service); the route checks that


class BodyTooLarge(Exception):
    """Raised into the app by `receive` once the body passed the limit."""


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int, by_path: list[tuple[re.Pattern[str], int]]) -> None:
        self.app, self.default, self.by_path = app, default, by_path

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.by_path if pattern.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self.refuse(scope, receive, send, limit)
            return
        received, exceeded, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app's own answer to the broken read (FastAPI: 400) gives way to the 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self.refuse(scope, receive, send, limit)

    @staticmethod
    async def refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        request = Request(scope, receive)
        detail = f"The request body is larger than the {limit} bytes {request.url.path} accepts"
        # the rest of the body is not read: the server closes the connection after the answer
        response = problems.error_response(request, 413, detail, max_bytes=limit)
        await response(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    """Inside problems.ErrorBoundary (install this first): a refused body is a 413, not a 500."""
    app.add_middleware(
        BodyLimit,
        default=settings.max_request_body,
        by_path=[
            (WEBHOOKS, settings.max_webhook_body),
            (IMPORTS, settings.max_import_body),
            (STATEMENTS, cash.MAX_STATEMENT_BYTES + MULTIPART_OVERHEAD),
        ],
    )
