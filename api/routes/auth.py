from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from accounts import service as accounts
from api.deps import EngineDep, SettingsDep
from api.problems import Problem
from api.security import SignedIn, oauth2
from models.actors import Actor
from models.users import InvitationUse, PasswordSet

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def login(engine, settings, username: str, password: str, throttle=None, client: str = "") -> Token:
    """The OAuth2 password grant's answer; 401 naming the field for a refused sign-in, 429 with
    Retry-After after too many failures of the account or the client."""
    signed_in = accounts.sign_in(
        engine, settings.signing_secret(), settings.jwt_ttl, username, password, throttle, client
    )
    if signed_in is None:
        raise Problem(401, "Unknown user or wrong password", field="username", headers={"WWW-Authenticate": "Bearer"})
    return Token(access_token=signed_in.access_token, expires_in=signed_in.expires_in)


@router.post("/token", response_model=Token, summary="OAuth2 password grant: get a bearer token")
async def token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], engine: EngineDep, settings: SettingsDep
) -> Token:
    client = request.client.host if request.client else ""
    throttle = request.app.state.login_throttle
    return await run_in_threadpool(login, engine, settings, form.username, form.password, throttle, client)


@router.get("/me", response_model=Actor, summary="Who the token belongs to")
async def me(actor: SignedIn) -> Actor:
    return actor


@router.post(
    "/logout",
    status_code=204,
    summary="Sign out: revokes the caller's bearer token (its other sessions stay signed in)",
)
async def logout(
    actor: SignedIn, engine: EngineDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2)]
) -> Response:
    if token:  # a bearer token (a page's session cookie signs out at /logout)
        await run_in_threadpool(accounts.sign_out, engine, token, settings.signing_secret())
    return Response(status_code=204)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@router.post(
    "/password",
    status_code=204,
    summary="Change the caller's own password; tokens issued before stop counting (sign in again)",
)
async def change_password(body: PasswordChange, request: Request, actor: SignedIn, engine: EngineDep) -> Response:
    client = request.client.host if request.client else ""
    try:
        await run_in_threadpool(
            accounts.change_password,
            engine,
            actor.id,
            body.current_password,
            body.new_password,
            request.app.state.login_throttle,
            client,
        )
    except accounts.PasswordRefused as exc:
        field = "current_password" if "current" in str(exc) else "new_password"
        raise Problem(422, str(exc), field=field) from exc
    return Response(status_code=204)


@router.post(
    "/invitation",
    response_model=PasswordSet,
    summary="Set a password with a one-time link's token (no sign-in); 410 when used or expired",
)
async def use_invitation(body: InvitationUse, engine: EngineDep) -> PasswordSet:
    email = await run_in_threadpool(accounts.use_invitation, engine, body.token, body.new_password)
    return PasswordSet(email=email)
