"""Users as the seller's administrators keep them: create (with a one-time link to set a password,
or a password), list, read, change roles, limits and name, deactivate, and issue a new link (a
reset). Who may do what and the rules: accounts/service.py, accounts/admin.py."""

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from accounts import service as accounts
from api.deps import EngineDep, SettingsDep, link_base
from api.security import CurrentActor
from models.customer_rules import Printable
from models.users import InvitationLink, UserCreated, UserIn, UserOut, UserPatch

router = APIRouter(prefix="/api/v1/users", tags=["users"])
EmailKey = Annotated[str, Path(min_length=1, max_length=254), Printable]
Filter = Annotated[str | None, Query(min_length=1, max_length=64), Printable]


@router.post(
    "",
    response_model=UserCreated,
    status_code=201,
    summary="Create a user (seller administrators); without a password the answer carries a one-time "
    "link to set one (shown once)",
)
async def create_user(
    body: UserIn, request: Request, response: Response, actor: CurrentActor, engine: EngineDep, settings: SettingsDep
) -> UserCreated:
    created = await run_in_threadpool(
        lambda: accounts.create_user(
            engine, actor, body, invitation_ttl=settings.invitation_ttl, link_base=link_base(request)
        )
    )
    response.headers["Location"] = f"{router.prefix}/{quote(created.email, safe='@')}"
    return created


@router.get("", response_model=list[UserOut], summary="The users, by e-mail (seller administrators)")
async def list_users(
    actor: CurrentActor,
    engine: EngineDep,
    customer_id: Filter = None,
    delivery_unit_id: Filter = None,
    kind: Annotated[Literal["customer", "delivery_unit", "seller"] | None, Query()] = None,
    active: bool | None = None,
) -> list[UserOut]:
    return await run_in_threadpool(
        lambda: accounts.list_users(
            engine, actor, customer_id=customer_id, delivery_unit_id=delivery_unit_id, kind=kind, active=active
        )
    )


@router.get("/{email}", response_model=UserOut, summary="One user (seller administrators)")
async def get_user(email: EmailKey, actor: CurrentActor, engine: EngineDep) -> UserOut:
    return await run_in_threadpool(accounts.get_user, engine, actor, email)


@router.patch(
    "/{email}",
    response_model=UserOut,
    summary="Change roles, limits, name or active (seller administrators): only the fields sent; "
    "they count from the user's next request on",
)
async def update_user(email: EmailKey, body: UserPatch, actor: CurrentActor, engine: EngineDep) -> UserOut:
    return await run_in_threadpool(accounts.update_user, engine, actor, email, body)


@router.post(
    "/{email}/invitation",
    response_model=InvitationLink,
    status_code=201,
    summary="A new one-time link to set a password (a reset: the password and the user's tokens stop counting)",
)
async def invite(
    email: EmailKey, request: Request, actor: CurrentActor, engine: EngineDep, settings: SettingsDep
) -> InvitationLink:
    return await run_in_threadpool(
        lambda: accounts.invite(
            engine, actor, email, invitation_ttl=settings.invitation_ttl, link_base=link_base(request)
        )
    )
