"""RFC 9457 problem details for every error the API returns."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import errors

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Invalid request",
    503: "Service unavailable",
}


# a refusal of the services (core/errors.py) answers with its kind's status
STATUSES: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Conflict: 409,
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


def _field_path(loc: tuple) -> str:
    """('body', 'lines', 0, 'quantity') -> 'lines[0].quantity'"""
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or (str(loc[0]) if loc else "")


def install(app: FastAPI) -> None:
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
        return problem_response(
            request,
            422,
            "The request is invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
