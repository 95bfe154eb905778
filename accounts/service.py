"""The accounts service: who may sign in, and the bearer token a sign-in gets."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from accounts.passwords import hash_password, verify_password
from accounts.tables import User
from accounts.tokens import actor_from_token, issue_token
from core.database import session_scope

__all__ = ["actor_from_token"]  # what a bearer token says, for the API's security

# Spent on unknown e-mails too, so response time does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password")


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.get(User, email.strip().lower())
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    expires_in: int  # seconds


def sign_in(engine: Engine, secret: str, ttl: timedelta, email: str, password: str) -> SignedIn | None:
    """A bearer token for the user, or None for an unknown user or a wrong password (the two are
    not told apart)."""
    with session_scope(engine) as session:
        user = authenticate(session, email, password)
    if user is None:
        return None
    return SignedIn(issue_token(user, secret, ttl), int(ttl.total_seconds()))


def current_roles(engine: Engine, email: str, token_roles: list[str]) -> list[str]:
    """The user's roles as they are now (rights decide what is shown), else as in the token."""
    with session_scope(engine) as session:
        user = session.get(User, email)
        return list(user.roles) if user is not None else list(token_roles)


def users_by_domain(engine: Engine, domain: str) -> list[User]:
    """The users whose e-mail ends in @...`domain` (the demo logins the banner lists)."""
    with session_scope(engine) as session:
        return list(session.execute(select(User).where(col(User.email).like(f"%{domain}"))).scalars())
