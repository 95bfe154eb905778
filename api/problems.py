"""RFC 9457 problem details for every error the API returns, 500s included: an exception nothing
handled answers a problem with an `error_id` and is logged with its traceback under that id, never
shown. The web pages' own paths get the HTML error page instead when a browser asks for HTML."""

import logging
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
# paths of the JSON API and its documents: always problem+json (the rest are the web pages)
API_PATHS = ("/api/", "/healthz", "/openapi.json", "/docs", "/redoc")
# the error pages' template (api/pages renders its own errors with it too; pages import this
# module, not the other way round)
_templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

# What OpenAPI says every operation may answer besides its own documented statuses, so clients
# (and the schemathesis test) know the error shape.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "the input at fault (the first of `errors`)"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "error_id": {"type": "string", "description": "500: the id the server logged the error under"},
    },
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "Refused: an RFC 9457 problem naming the field at fault",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
    "5XX": {
        "description": "500: an unexpected error, logged under `error_id`; 503: try again after `Retry-After`",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
}


# a refusal of the services (core/errors.py) answers with its kind's status
STATUSES: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.Invalid: 422,
    errors.Unavailable: 503,
    errors.TooManyRequests: 429,
}


class Problem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.detail, self.field, self.type, self.headers, self.extra = (
            status,
            detail,
            field,
            type_,
            headers,
            extra,
        )


def status_of(exc: errors.DomainError) -> int:
    """The first kind of refusal in the exception's class hierarchy decides (a RuleConflict that is
    also an InvalidRule is a Conflict)."""
    return next((STATUSES[cls] for cls in type(exc).__mro__ if cls in STATUSES), 409)


def from_domain(exc: errors.DomainError) -> Problem:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.TooManyRequests) else None
    return Problem(status_of(exc), str(exc), field=exc.field, headers=headers)


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict] | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if field is not None:
        errors = errors or [{"field": field, "message": detail}]
    if errors:
        body["errors"] = errors
        body["field"] = errors[0]["field"]
    body.update(extra)
    if status == 503 and "Retry-After" not in (headers or {}):  # a temporary outage: try again, not give up
        headers = {**(headers or {}), "Retry-After": RETRY_AFTER_SECONDS}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def wants_html(request: Request) -> bool:
    """A browser on a web page's path: it gets the HTML error page (the API, problem+json)."""
    if request.url.path.startswith(API_PATHS):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """A problem, or the HTML error page for a browser on a page's path (404, 405, 413, 500)."""
    if wants_html(request):
        context = {"status": status, "detail": detail, "actor": None, "nav": [], "path": request.url.path}
        return _templates.TemplateResponse(
            request, "error.html", context, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
        )
    return problem_response(request, status, detail, headers=headers, **extra)


def server_error(request: Request, exc: BaseException) -> Response:
    """500 for an exception nothing handled: logged with its traceback under a new id; the answer
    carries the id, never the exception's text."""
    error_id = uuid.uuid4().hex
    log.error(
        "unhandled error %s on %s %s",
        error_id,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    detail = f"An unexpected error occurred. It was logged as {error_id}: quote this id when you report it."
    return error_response(request, 500, detail, error_id=error_id)


class ErrorBoundary:
    """Pure ASGI middleware around the routes and the body limit: whatever a route, a page or a
    middleware inside raised answers 500 as a problem (Starlette's own last resort would answer
    plain text), which the metrics outside it count. A response already under way cannot be
    replaced: then the connection is cut."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise  # the server logs it and closes the connection
            await server_error(Request(scope, receive), exc)(scope, receive, send)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette's Allow names the first route's only:
    GET where PATCH is there too). Asked of the router per method: included routers are opaque."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


def _field_path(loc: tuple) -> str:
    """('body', 'lines', 0, 'quantity') -> 'lines[0].quantity'"""
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or (str(loc[0]) if loc else "")


def install(app: FastAPI) -> None:
    """The handlers, the 500 boundary, and the error shape in OpenAPI for the routes included after."""
    app.router.responses.update(PROBLEM_RESPONSES)
    app.add_middleware(ErrorBoundary)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception):  # a failure outside ErrorBoundary's reach
        return server_error(request, exc)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(
            request, exc.status, exc.detail, field=exc.field, type_=exc.type, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(errors.DomainError)
    async def _refused(request: Request, exc: errors.DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.TooManyRequests) else None
        return problem_response(request, status_of(exc), str(exc), field=exc.field, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"field": _field_path(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        detail = "The request is invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if wants_html(request):  # a page's own parameter (a page's forms report their errors themselves)
            return error_response(request, 422, detail)
        return problem_response(request, 422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):  # unknown paths (404), methods (405)
        headers = getattr(exc, "headers", None)
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":  # the router's words: say what was not found
            detail = f"There is nothing at {request.url.path}"
        elif exc.status_code == 405 and detail == "Method Not Allowed":
            allowed = _allowed_methods(request)
            headers = {**(headers or {}), "Allow": allowed}
            detail = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
        return error_response(request, exc.status_code, detail, headers=headers)
