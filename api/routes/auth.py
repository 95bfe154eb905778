from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from accounts.service import authenticate
from accounts.tokens import issue_token
from api.deps import EngineDep, SettingsDep
from api.problems import Problem
from api.security import CurrentActor
from core.database import session_scope
from models.actors import Actor

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def login(engine, settings, username: str, password: str) -> Token:
    with session_scope(engine) as session:
        user = authenticate(session, username, password)
    if user is None:
        raise Problem(401, "Unknown user or wrong password", field="username", headers={"WWW-Authenticate": "Bearer"})
    return Token(
        access_token=issue_token(user, settings.signing_secret(), settings.jwt_ttl),
        expires_in=int(settings.jwt_ttl.total_seconds()),
    )


@router.post("/token", response_model=Token, summary="OAuth2 password grant: get a bearer token")
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], engine: EngineDep, settings: SettingsDep
) -> Token:
    return await run_in_threadpool(login, engine, settings, form.username, form.password)


@router.get("/me", response_model=Actor, summary="Who the token belongs to")
async def me(actor: CurrentActor) -> Actor:
    return actor
