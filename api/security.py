"""Who is calling: bearer tokens (API) or the session cookie (web pages)."""

from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from accounts import service as accounts
from api.problems import Problem
from models.actors import Actor, require_role

__all__ = ["COOKIE", "CurrentActor", "SignedIn", "current_actor", "require_role"]

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
COOKIE = "o2c_token"


def signed_in(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """The caller as its account is now, with or without roles (for who-am-I, sign-out, password).

    The pages' session cookie counts for reading the API, not for changing anything through it:
    the pages protect their forms with a CSRF token, the JSON API has none, so a request that
    another page of the same site makes the browser send (cookie attached) must not act."""
    if not token and request.cookies.get(COOKIE):
        if request.url.path.startswith("/api/") and request.method not in ("GET", "HEAD", "OPTIONS"):
            raise Problem(
                401,
                "Changes through the API need Authorization: Bearer <token> (the sign-in cookie is for the web pages)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = request.cookies.get(COOKIE)
    if not token:
        raise Problem(
            401, "Authentication required: send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        return accounts.actor_of(request.app.state.engine, token, request.app.state.settings.signing_secret())
    except jwt.PyJWTError as exc:
        raise Problem(401, f"Invalid or expired token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
    except accounts.Revoked as exc:
        raise Problem(401, f"The token no longer counts: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc


def current_actor(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """The caller, refused (403) when its account has no roles: every right comes with a role, so
    a customer's user whose roles were all taken away sees nothing of its customer either."""
    actor = signed_in(request, token)
    if not actor.roles:
        raise Problem(403, "This account has no roles: an administrator must give it one first")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
SignedIn = Annotated[Actor, Depends(signed_in)]
