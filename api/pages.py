"""Web pages for people (buyers, approvers, experts, partners, finance).

The pages are thin: every read and every action goes through the same functions as the JSON API
(`api.routes.*`, the gateway, `catalog.views`, `notifications.outbox`), so a page can never do
what the API would refuse. Sign-in sets the httponly cookie `o2c_token` that `current_actor`
accepts. Forms POST and redirect (POST-redirect-GET); a `Problem` becomes a message on the page.
"""
import base64
import functools
import hashlib
import hmac
import json
import secrets
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select

from api import deps
from api.problems import Problem
from api.routes import invoices as invoice_routes
from api.routes import orders as order_routes
from api.routes import suborders as suborder_routes
from api.routes.auth import login as issue_login
from api.security import COOKIE, current_actor
from catalog.assortment import NoValidContract
from catalog.configuration import configuration_problems
from catalog.tables import Item
from catalog.views import customer_catalog, seller_catalog
from database import session_scope
from models.actors import Actor
from models.approvals import ApprovalKind
from models.orders import FINAL_STATUSES, OrderLineRequest, OrderStatus, OrderView
from models.suborders import TRANSITIONS, SubOrderStatus
from notifications.outbox import inbox
from partners.tables import DeliveryUnit

HERE = Path(__file__).resolve().parent
FLASH_COOKIE = "o2c_flash"
CATALOG_PAGE_SIZE = 50
# Pages show personal business data and carry action buttons: not cached, not framed.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                "Content-Security-Policy": "frame-ancestors 'none'", "Referrer-Policy": "same-origin"}

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
templates = Jinja2Templates(directory=HERE / "templates")

# The partner portal's buttons: form value -> event type, and which sub-order states offer it.
PORTAL_ACTIONS = {
    "accept": "suborder.accepted",
    "ship": "suborder.shipped",
    "deliver": "suborder.delivered",
    "reject": "suborder.rejected",
}
DECISION_LABELS = {
    "resend": "Send again to the same delivery unit",
    "reassign": "Reassign to another delivery unit",
    "drop": "Drop these lines from the order",
    "cancel_order": "Cancel the whole order",
}


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
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def status_class(status: Any) -> str:
    return "status-" + str(getattr(status, "value", status) or "unknown").lower().replace("_", "-")


templates.env.filters.update(money=money, percent=percent, when=when, status_class=status_class)


# --- session, CSRF and flash messages --------------------------------------------------------

def _signed_in(request: Request) -> Actor | None:
    """The actor of the session cookie, through the API's own `current_actor`; None if absent/invalid."""
    if not request.cookies.get(COOKIE):
        return None
    try:
        return current_actor(request, None)
    except Problem:
        return None


def _csrf(request: Request) -> str:
    """Per-session form token: an HMAC of the session cookie (the cookie is also SameSite=Lax)."""
    token = request.cookies.get(COOKIE, "")
    secret = deps.settings(request).signing_secret().encode()
    return hmac.new(secret, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()[:40]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _redirect(url: str, flash: tuple[str, str] | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        raw = json.dumps(list(flash)).encode()
        response.set_cookie(FLASH_COOKIE, base64.urlsafe_b64encode(raw).decode(), max_age=60, httponly=True,
                            samesite="lax", path="/")
    return response


def _read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return {"kind": "error" if kind == "error" else "ok", "text": str(text)}
    except (ValueError, TypeError):
        return None


def _render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    actor = getattr(request.state, "actor", None)
    ctx = {"actor": actor, "flash": _read_flash(request), "csrf": _csrf(request) if actor else "",
           "nav": _nav(actor) if actor else [], "path": request.url.path}
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status, headers=PAGE_HEADERS)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _nav(actor: Actor) -> list[tuple[str, str]]:
    links = [("/", "Home")]
    if actor.customer_id is not None or actor.is_seller_staff:
        links += [("/catalog", "Catalog"), ("/orders", "Orders")]
    if actor.delivery_unit_id is not None or actor.is_seller_staff:
        links.append(("/suborders", "Sub-orders"))
    links.append(("/inbox", "Inbox"))
    return links


def _validation_message(exc: ValidationError) -> str:
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
            actor = _signed_in(request)
            if actor is None:
                if request.method != "GET":
                    return _redirect("/login")
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = _redirect(f"/login?next={quote(target, safe='')}")
                response.delete_cookie(COOKIE, path="/")
                return response
            request.state.actor = actor
            target = back.format(**request.path_params) if back else None
            try:
                if request.method == "POST":
                    form = await request.form()
                    if not hmac.compare_digest(str(form.get("csrf", "")), _csrf(request)):
                        raise Problem(403, "This form has expired: reload the page and try again")
                return await handler(request, **kwargs)
            except (Problem, ValidationError) as exc:
                if isinstance(exc, Problem):
                    status, detail = exc.status, exc.detail
                else:
                    status, detail = 422, _validation_message(exc)
                if request.method == "POST" and target:
                    return _redirect(target, ("error", detail))
                return _render(request, "error.html", {"status": status, "detail": detail}, status=status)
        return wrapper
    return decorate


def _form_token() -> str:
    """A random key for one rendering of a form: submitting it twice has one effect."""
    return secrets.token_urlsafe(18)


# --- sign-in ----------------------------------------------------------------------------------

@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    if _signed_in(request) is not None:
        return _redirect(_safe_next(next))
    return _render(request, "login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    try:
        token = await run_in_threadpool(issue_login, deps.engine(request), deps.settings(request), username, password)
    except Problem as exc:
        return _render(request, "login.html", {"next": target, "username": username, "error": exc.detail},
                       status=exc.status)
    response = _redirect(target)
    response.set_cookie(COOKIE, token.access_token, max_age=token.expires_in, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    response = _redirect("/login", ("ok", "You are signed out."))
    response.delete_cookie(COOKIE, path="/")
    return response


# --- home -------------------------------------------------------------------------------------

@router.get("/")
@page()
async def home(request: Request) -> Response:
    actor: Actor = request.state.actor
    gateway = deps.gateway(request)
    sections: list[dict[str, Any]] = []

    async def orders(title: str, *statuses: OrderStatus | None, limit: int = 10) -> None:
        rows = []
        for status in statuses:
            rows += await order_routes.list_orders(actor, gateway, status, limit)
        sections.append({"title": title, "kind": "orders", "rows": rows})

    if actor.customer_id is not None:
        if "approver" in actor.roles:
            await orders("Waiting for your approval", OrderStatus.AWAITING_CUSTOMER_APPROVAL)
        if "buyer" in actor.roles:
            await orders("Your latest orders", None, limit=8)
    elif actor.is_seller_staff:
        if "expert" in actor.roles:
            await orders("Waiting for an expert", OrderStatus.AWAITING_EXPERT_APPROVAL)
        if "finance" in actor.roles:
            await orders("Open invoices", OrderStatus.OVERDUE, OrderStatus.INVOICED, limit=20)
        if not {"expert", "finance"} & set(actor.roles):
            await orders("Latest orders", None, limit=10)
    if actor.delivery_unit_id is not None:
        rows = await suborder_routes.list_suborders(actor, gateway, SubOrderStatus.SENT, 20)
        rows += await suborder_routes.list_suborders(actor, gateway, SubOrderStatus.ACCEPTED, 20)
        sections.append({"title": "Sub-orders to work on", "kind": "suborders", "rows": rows})
    notes = await run_in_threadpool(inbox, deps.engine(request), actor, 5)
    return _render(request, "home.html", {"sections": sections, "notes": notes})


# --- catalog and ordering ---------------------------------------------------------------------

def _catalog(engine, actor: Actor, q: str | None, category: str | None, offset: int):
    """(items page, all categories) as the catalog API computes them for this actor."""
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            try:
                found = customer_catalog(session, actor.customer_id, date.today(), q=q, category=category,
                                         limit=CATALOG_PAGE_SIZE, offset=offset)
                everything = customer_catalog(session, actor.customer_id, date.today(), limit=200)
            except NoValidContract as exc:
                raise Problem(409, f"No catalog: {exc}") from exc
        elif actor.is_seller_staff:
            found = seller_catalog(session, q=q, category=category, limit=CATALOG_PAGE_SIZE, offset=offset)
            everything = seller_catalog(session, limit=200)
        else:
            raise Problem(403, "Delivery units have no catalog")
    return found, sorted({item.category for item in everything.items})


async def _catalog_page(request: Request, *, q: str | None = None, category: str | None = None, offset: int = 0,
                        values: dict[str, str] | None = None, error: str | None = None,
                        token: str | None = None, status: int = 200) -> Response:
    actor: Actor = request.state.actor
    q = (q or "").strip()[:100] or None
    category = (category or "").strip()[:64] or None
    found, categories = await run_in_threadpool(_catalog, deps.engine(request), actor, q, category, max(offset, 0))
    can_order = "buyer" in actor.roles and actor.customer_id is not None
    return _render(request, "catalog.html", {
        "catalog": found, "categories": categories, "q": q or "", "category": category or "",
        "can_order": can_order, "values": values or {}, "form_token": token or _form_token(), "error": error,
        "page_size": CATALOG_PAGE_SIZE,
    }, status=status)


@router.get("/catalog")
@page()
async def catalog_page(request: Request, q: str | None = None, category: str | None = None,
                       offset: int = 0) -> Response:
    return await _catalog_page(request, q=q, category=category, offset=offset)


def _lines_from_form(form) -> list[OrderLineRequest]:
    """qty:<sku> = quantity, cfg:<sku>:<option> = value; lines in the order the form lists them."""
    lines = []
    for key, raw in form.multi_items():
        if not key.startswith("qty:") or not str(raw).strip():
            continue
        sku = key[4:]
        try:
            quantity = int(str(raw).strip())
        except ValueError:
            raise Problem(422, f"{sku}: the quantity must be a whole number", field=key) from None
        if quantity < 0:
            raise Problem(422, f"{sku}: the quantity cannot be negative", field=key)
        if quantity == 0:
            continue
        config = {k.split(":", 2)[2]: str(v) for k, v in form.multi_items()
                  if k.startswith(f"cfg:{sku}:") and str(v)}
        lines.append(OrderLineRequest(sku=sku, quantity=quantity, configuration=config))
    if not lines:
        raise Problem(422, "Enter a quantity for at least one item", field="lines")
    return lines


def _configuration_problems(engine, lines: list[OrderLineRequest]) -> list[str]:
    """The validation's configuration rules, checked before placing so the buyer can correct them."""
    problems = []
    with session_scope(engine) as session:
        for line in lines:
            item = session.get(Item, line.sku)
            if item is not None:
                problems += configuration_problems(item, line.configuration)
    return problems


@router.post("/catalog")
@page(back="/catalog")
async def place_order(request: Request) -> Response:
    actor: Actor = request.state.actor
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k.startswith(("qty:", "cfg:")) or k in (
        "customer_reference", "delivery_address")}
    token = str(form.get("form_token", "")) or _form_token()
    filters = {"q": str(form.get("q", "")), "category": str(form.get("category", ""))}
    try:
        lines = _lines_from_form(form)
        problems = await run_in_threadpool(_configuration_problems, deps.engine(request), lines)
        if problems:
            raise Problem(422, "; ".join(problems), field="configuration")
        body = order_routes.OrderCreate(
            lines=lines, customer_reference=str(form.get("customer_reference", "")).strip() or None,
            delivery_address=str(form.get("delivery_address", "")).strip() or None)
    except (Problem, ValidationError) as exc:  # nothing placed: show the form again as it was filled in
        detail = exc.detail if isinstance(exc, Problem) else _validation_message(exc)
        return await _catalog_page(request, **filters, values=values, error=detail, token=token, status=422)
    try:
        accepted = await order_routes.place(deps.gateway(request), deps.settings(request), actor, body, token)
    except Problem as exc:  # e.g. this form was already used for a different order: a fresh form
        return await _catalog_page(request, **filters, values=values, error=exc.detail, status=exc.status)
    return _redirect(f"/orders/{accepted.order_id}", ("ok", f"Order {accepted.order_id} placed."))


# --- orders -----------------------------------------------------------------------------------

@router.get("/orders")
@page()
async def orders_page(request: Request, status: str | None = None) -> Response:
    actor: Actor = request.state.actor
    try:
        wanted = OrderStatus(status) if status else None
    except ValueError:
        raise Problem(422, f"unknown status {status!r}", field="status") from None
    rows = await order_routes.list_orders(actor, deps.gateway(request), wanted, 100)
    return _render(request, "orders.html", {"rows": rows, "status": wanted.value if wanted else "",
                                            "statuses": [s.value for s in OrderStatus]})


def _units(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {u.id: u.name for u in session.execute(select(DeliveryUnit).order_by(DeliveryUnit.name)).scalars()}


def _may_decide(actor: Actor, view: OrderView) -> bool:
    """Whether to offer the decision buttons (the workflow decides for real)."""
    pending = view.pending_approval
    if pending is None:
        return False
    if pending.role == "approver":
        return ("approver" in actor.roles and actor.customer_id in pending.approver_customer_ids
                and actor.id != view.buyer)
    return "expert" in actor.roles and actor.is_seller_staff


def _may_cancel(actor: Actor, view: OrderView) -> bool:
    return ("buyer" in actor.roles and actor.customer_id == view.customer_id
            and view.status not in FINAL_STATUSES and not view.invoices
            and not any(s.status in (SubOrderStatus.SHIPPED, SubOrderStatus.DELIVERED) for s in view.suborders))


@router.get("/orders/{order_id}")
@page()
async def order_page(request: Request, order_id: str) -> Response:
    actor: Actor = request.state.actor
    view = await order_routes.visible_order(deps.gateway(request), actor, order_id)
    units = await run_in_threadpool(_units, deps.engine(request))
    pending = view.pending_approval
    may_decide = _may_decide(actor, view)
    return _render(request, "order.html", {
        "order": view, "units": units,
        "may_approve": may_decide and pending is not None and pending.kind != ApprovalKind.SUBORDER_REJECTED,
        "may_decide_suborder": may_decide and pending is not None and pending.kind == ApprovalKind.SUBORDER_REJECTED,
        "decision_labels": DECISION_LABELS,
        "may_cancel": _may_cancel(actor, view),
        "settling": view.status in (OrderStatus.RECEIVED, OrderStatus.VALIDATING),
        "final": view.status in FINAL_STATUSES,
    })


@router.post("/orders/{order_id}/approval")
@page(back="/orders/{order_id}")
async def approval_submit(request: Request, order_id: str) -> Response:
    form = await request.form()
    body = order_routes.ApprovalBody(decision=str(form.get("decision", "")), comment=str(form.get("comment", "")))
    await order_routes.approve(order_id, body, request.state.actor, deps.gateway(request))
    done = "approved" if body.decision == "approve" else "rejected"
    return _redirect(f"/orders/{order_id}", ("ok", f"You {done} order {order_id}."))


@router.post("/orders/{order_id}/cancel")
@page(back="/orders/{order_id}")
async def cancel_submit(request: Request, order_id: str) -> Response:
    form = await request.form()
    body = order_routes.CancelBody(reason=str(form.get("reason", "")))
    await order_routes.cancel(order_id, request.state.actor, deps.gateway(request), body)
    return _redirect(f"/orders/{order_id}", ("ok", f"Cancellation of order {order_id} requested."))


@router.post("/orders/{order_id}/suborders/{suborder_id}/decision")
@page(back="/orders/{order_id}")
async def suborder_decision_submit(request: Request, order_id: str, suborder_id: str) -> Response:
    form = await request.form()
    body = order_routes.SubOrderDecisionBody(
        action=str(form.get("action", "")), partner_id=str(form.get("partner_id", "")) or None,
        comment=str(form.get("comment", "")))
    await order_routes.decide_suborder(order_id, suborder_id, body, request.state.actor, deps.gateway(request),
                                       deps.engine(request))
    return _redirect(f"/orders/{order_id}", ("ok", f"Decision on {suborder_id} recorded: {body.action}."))


# --- partner portal ---------------------------------------------------------------------------

def _portal_actions(actor: Actor, status: Any) -> list[str]:
    """The buttons a delivery unit's user gets for a sub-order in this status."""
    if "fulfilment" not in actor.roles or actor.delivery_unit_id is None or status is None:
        return []
    return [name for name, event in PORTAL_ACTIONS.items() if SubOrderStatus(status) in TRANSITIONS[event][0]]


@router.get("/suborders")
@page()
async def suborders_page(request: Request, status: str | None = None) -> Response:
    actor: Actor = request.state.actor
    try:
        wanted = SubOrderStatus(status) if status else None
    except ValueError:
        raise Problem(422, f"unknown status {status!r}", field="status") from None
    rows = await suborder_routes.list_suborders(actor, deps.gateway(request), wanted, 100)
    return _render(request, "suborders.html", {
        "rows": [{"row": row, "actions": _portal_actions(actor, row.status), "token": _form_token()} for row in rows],
        "status": wanted.value if wanted else "", "statuses": [s.value for s in SubOrderStatus],
    })


@router.get("/suborders/{suborder_id}")
@page()
async def suborder_page(request: Request, suborder_id: str) -> Response:
    actor: Actor = request.state.actor
    view = await suborder_routes.visible_suborder(deps.gateway(request), actor, suborder_id)
    units = await run_in_threadpool(_units, deps.engine(request))
    return _render(request, "suborder.html", {"sub": view, "units": units, "token": _form_token(),
                                              "actions": _portal_actions(actor, view.status)})


@router.post("/suborders/{suborder_id}/events")
@page(back="/suborders/{suborder_id}")
async def suborder_event_submit(request: Request, suborder_id: str) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    if action not in PORTAL_ACTIONS:
        raise Problem(422, f"unknown action {action!r}", field="action")
    data = {}
    for field in ("tracking", "reason", "note"):
        if value := str(form.get(field, "")).strip():
            data[field] = value[:500]
    body = suborder_routes.PortalEvent(type=PORTAL_ACTIONS[action], data=data)
    token = str(form.get("form_token", ""))[:100] or None  # the Idempotency-Key: a double click counts once
    view = await suborder_routes.report_event(suborder_id, body, request.state.actor, deps.gateway(request),
                                              idempotency_key=token)
    return _redirect(f"/suborders/{suborder_id}", ("ok", f"Sub-order {suborder_id} is {view.status.value}."))


# --- invoices ---------------------------------------------------------------------------------

@router.get("/invoices/{invoice_id}")
@page()
async def invoice_page(request: Request, invoice_id: str) -> Response:
    actor: Actor = request.state.actor
    invoice = await invoice_routes.visible_invoice(deps.engine(request), actor, invoice_id)
    open_amount = invoice.gross_total - invoice.paid_total
    return _render(request, "invoice.html", {
        "invoice": invoice, "open_amount": open_amount,
        "may_pay": "finance" in actor.roles and actor.is_seller_staff and open_amount > 0,
    })


@router.post("/invoices/{invoice_id}/payments")
@page(back="/invoices/{invoice_id}")
async def payment_submit(request: Request, invoice_id: str) -> Response:
    form = await request.form()
    amount = str(form.get("amount", "")).strip().replace(",", ".")
    body = invoice_routes.PaymentBody(amount=amount, reference=str(form.get("reference", "")).strip())
    result = await invoice_routes.record_payment(invoice_id, body, request.state.actor, deps.engine(request),
                                                 deps.gateway(request))
    invoice = await invoice_routes.visible_invoice(deps.engine(request), request.state.actor, invoice_id)
    text = (f"Payment {body.reference} recorded: {money(result.paid_total, invoice.currency)} paid in total."
            if result.added
            else f"Payment {body.reference} was already booked.")
    return _redirect(f"/invoices/{invoice_id}", ("ok", text))


# --- notifications ----------------------------------------------------------------------------

@router.get("/inbox")
@page()
async def inbox_page(request: Request) -> Response:
    actor: Actor = request.state.actor
    notes = await run_in_threadpool(inbox, deps.engine(request), actor)
    return _render(request, "inbox.html", {"notes": notes})
