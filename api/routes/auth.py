from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from accounts import service as accounts
from api.deps import EngineDep, SettingsDep
from api.problems import Problem
from api.security import CurrentActor
from models.actors import Actor

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def login(engine, settings, username: str, password: str) -> Token:
    """The OAuth2 password grant's answer; 401 naming the field for a refused sign-in."""
    signed_in = accounts.sign_in(engine, settings.signing_secret(), settings.jwt_ttl, username, password)
    if signed_in is None:
        raise Problem(401, "Unknown user or wrong password", field="username", headers={"WWW-Authenticate": "Bearer"})
    return Token(access_token=signed_in.access_token, expires_in=signed_in.expires_in)


@router.post("/token", response_model=Token, summary="OAuth2 password grant: get a bearer token")
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], engine: EngineDep, settings: SettingsDep
) -> Token:
    return await run_in_threadpool(login, engine, settings, form.username, form.password)


@router.get("/me", response_model=Actor, summary="Who the token belongs to")
async def me(actor: CurrentActor) -> Actor:
    return actor
