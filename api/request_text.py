"""Paths and query strings carry text: a control character in one (NUL above all, which PostgreSQL
refuses in any text parameter) is a 422 naming where it is, before a route reads it. Nothing a
person or a system legitimately sends has one, and every route's string parameters are covered
at once instead of one type annotation at a time."""

import re
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api import problems

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RequestText:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = self.field_at_fault(scope)
            if field is not None:
                request = Request(scope, receive)
                detail = f"{field} holds a control character (such as NUL): send text"
                await problems.error_response(request, 422, detail, errors=[{"field": field, "message": detail}])(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)

    @staticmethod
    def field_at_fault(scope: Scope) -> str | None:
        if CONTROL.search(scope["path"]):
            return "path"
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            if CONTROL.search(name) or CONTROL.search(value):
                return name if not CONTROL.search(name) else "query"
        return None


def install(app: FastAPI) -> None:
    """Inside problems.ErrorBoundary, like the body limit."""
    app.add_middleware(RequestText)
