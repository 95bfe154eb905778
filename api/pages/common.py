"""What every page shares: the Jinja environment and its filters, the signed-in actor, the CSRF
token, flash messages, redirect/render, the navigation and the `page` decorator."""

import base64
import functools
import hashlib
import hmac
import json
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api import deps, problems
from api.problems import Problem
from api.security import COOKIE, current_actor
from core.errors import DomainError
from models.actors import Actor

API_DIR = Path(__file__).resolve().parent.parent  # templates/ and static/ live in the `api` package
STATIC_DIR = API_DIR / "static"
FLASH_COOKIE = "o2c_flash"
# Pages show personal business data and carry action buttons: not cached, not framed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}

templates = Jinja2Templates(directory=API_DIR / "templates")


# --- presentation helpers -----------------------------------------------------------------------


def money(value: Any, currency: str | None = None) -> str:
    """Decimal string with two places and the currency: 1450.00 EUR."""
    if value is None or value == "":
        return "-"
    try:
        text = f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        return str(value)
    return f"{text} {currency}" if currency else text


def percent(rate: Any) -> str:
    if rate is None:
        return "-"
    return f"{(Decimal(str(rate)) * 100).normalize():f} %"


def when(value: Any, seconds: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def status_class(status: Any) -> str:
    return "status-" + str(getattr(status, "value", status) or "unknown").lower().replace("_", "-")


templates.env.filters.update(money=money, percent=percent, when=when, status_class=status_class)


# --- session, CSRF and flash messages --------------------------------------------------------


def signed_in(request: Request) -> Actor | None:
    """The actor of the session cookie, through the API's own `current_actor`; None if absent/invalid."""
    if not request.cookies.get(COOKIE):
        return None
    try:
        return current_actor(request, None)
    except Problem:
        return None


def csrf_token(request: Request) -> str:
    """Per-session form token: an HMAC of the session cookie (the cookie is also SameSite=Lax)."""
    token = request.cookies.get(COOKIE, "")
    secret = deps.settings(request).signing_secret().encode()
    return hmac.new(secret, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()[:40]


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def redirect(url: str, flash: tuple[str, str] | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        raw = json.dumps(list(flash)).encode()
        response.set_cookie(
            FLASH_COOKIE, base64.urlsafe_b64encode(raw).decode(), max_age=60, httponly=True, samesite="lax", path="/"
        )
    return response


def read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return {"kind": "error" if kind == "error" else "ok", "text": str(text)}
    except (ValueError, TypeError):
        return None


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    actor = getattr(request.state, "actor", None)
    ctx = {
        "actor": actor,
        "flash": read_flash(request),
        "csrf": csrf_token(request) if actor else "",
        "nav": nav(actor) if actor else [],
        "path": request.url.path,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status, headers=PAGE_HEADERS)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def nav(actor: Actor) -> list[tuple[str, str]]:
    links = [("/", "Home")]
    if actor.customer_id is not None or actor.is_seller_staff:
        links += [("/catalog", "Catalog"), ("/orders", "Orders")]
    if actor.delivery_unit_id is not None or actor.is_seller_staff:
        links.append(("/suborders", "Sub-orders"))
    if actor.customer_id is not None or actor.is_seller_staff:  # the routes check it again
        links += [("/contracts", "Contracts"), ("/customers", "Customers")]
    if actor.is_seller_staff and "catalog_manager" in actor.roles:
        links.append(("/catalog/versions", "Catalog versions"))
    if actor.is_admin:
        links += [("/users", "Users"), ("/delivery-units", "Delivery units")]
    links.append(("/inbox", "Inbox"))
    return links


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def page(back: str | None = None):
    """Signs the visitor in (or sends them to /login) and turns errors into messages: on a GET an
    error page with the problem's status, on a POST a redirect to `back` with the message.
    POSTs must carry the session's CSRF token."""

    def decorate(handler):
        @functools.wraps(handler)
        async def wrapper(request: Request, **kwargs):
            actor = signed_in(request)
            if actor is None:
                if request.method != "GET":
                    return redirect("/login")
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = redirect(f"/login?next={quote(here, safe='')}")
                response.delete_cookie(COOKIE, path="/")
                return response
            request.state.actor = actor
            # the way back: the path's ids quoted again (a decoded "?" or "#" would cut the path short)
            quoted = {name: quote(str(value), safe="") for name, value in request.path_params.items()}
            target = back.format(**quoted) if back else None
            try:
                if request.method == "POST":
                    form = await request.form()
                    if not hmac.compare_digest(str(form.get("csrf", "")), csrf_token(request)):
                        raise Problem(403, "This form has expired: reload the page and try again")
                return await handler(request, **kwargs)
            except (Problem, DomainError, ValidationError) as exc:
                if isinstance(exc, DomainError):
                    exc = problems.from_domain(exc)
                if isinstance(exc, Problem):
                    status, detail = exc.status, exc.detail
                else:
                    status, detail = 422, validation_message(exc)
                if request.method == "POST" and target:
                    return redirect(target, ("error", detail))
                return render(request, "error.html", {"status": status, "detail": detail}, status=status)

        return wrapper

    return decorate


def form_token() -> str:
    """A random key for one rendering of a form: submitting it twice has one effect."""
    return secrets.token_urlsafe(18)


# --- shared look-ups --------------------------------------------------------------------------


def status_filter(enum, value: str | None):
    """A list page's `?status=` as the enum member (None: all); an unknown one is a 422 problem."""
    try:
        return enum(value) if value else None
    except ValueError:
        raise Problem(422, f"unknown status {value!r}", field="status") from None
