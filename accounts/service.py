"""The accounts service: who may sign in, and the bearer token a sign-in gets."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlmodel import Session, col

from accounts.passwords import hash_password, verify_password
from accounts.tables import RevokedToken, User
from accounts.throttle import LoginThrottle
from accounts.tokens import claims_of, issue_token
from core.database import session_scope
from models.actors import Actor

__all__ = ["LoginThrottle"]  # built by the API from its settings

MIN_PASSWORD_LENGTH = 10


class Revoked(Exception):
    """The token's account is gone or deactivated, or signed out (or changed its password) since."""


class PasswordRefused(ValueError):
    """The current password is wrong, or the new one too short."""


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


def sign_in(
    engine: Engine,
    secret: str,
    ttl: timedelta,
    email: str,
    password: str,
    throttle: LoginThrottle | None = None,
    client: str = "",
) -> SignedIn | None:
    """A bearer token for the user, or None for an unknown user or a wrong password (the two are
    not told apart). With a `throttle`: TooManyRequests while the account or the client (its
    address) failed too often lately."""
    if throttle is not None:
        throttle.check(email, client)
    with session_scope(engine) as session:
        user = authenticate(session, email, password)
    if user is None:
        if throttle is not None:
            throttle.failed(email, client)
        return None
    return SignedIn(issue_token(user, secret, ttl), int(ttl.total_seconds()))


def actor_of(engine: Engine, token: str, secret: str) -> Actor:
    """The caller as its account is now, not as it was when the token was issued: a deactivated
    user, a signed-out token or a changed role takes effect on the next request. Raises
    jwt.PyJWTError for a bad or expired token, Revoked for one that no longer counts."""
    claims = claims_of(token, secret)
    with session_scope(engine) as session:
        user = session.get(User, claims["sub"])
        if user is None or not user.active:
            raise Revoked("the account is deactivated")
        if claims.get("ver", 0) != user.token_version:
            raise Revoked("the token was revoked: the password changed since")
        if claims.get("jti") and session.get(RevokedToken, claims["jti"]) is not None:
            raise Revoked("the token was revoked: signed out")
        return Actor(
            id=user.email, roles=list(user.roles), customer_id=user.customer_id, delivery_unit_id=user.delivery_unit_id
        )


def sign_out(engine: Engine, token: str, secret: str) -> None:
    """Revokes the token (the caller's other sessions and tokens stay); drops revocations of tokens
    that have expired by now. Raises jwt.PyJWTError for a bad or expired token."""
    claims = claims_of(token, secret)
    if not claims.get("jti"):
        return
    now = datetime.now(UTC)
    with session_scope(engine, write_lock=True) as session:
        if session.get(RevokedToken, claims["jti"]) is None:
            session.add(RevokedToken(jti=claims["jti"], expires_at=datetime.fromtimestamp(claims["exp"], UTC)))
        session.execute(delete(RevokedToken).where(col(RevokedToken.expires_at) < now))


def change_password(engine: Engine, email: str, current: str, new: str) -> None:
    """Sets the user's own password; the tokens issued before stop counting. Raises PasswordRefused."""
    if len(new) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(f"the new password needs at least {MIN_PASSWORD_LENGTH} characters")
    with session_scope(engine, write_lock=True) as session:
        user = session.get(User, email)
        if user is None or not verify_password(user.password_hash, current):
            raise PasswordRefused("the current password is wrong")
        user.password_hash = hash_password(new)
        user.token_version += 1


def current_roles(engine: Engine, email: str, token_roles: list[str]) -> list[str]:
    """The user's roles as they are now (rights decide what is shown), else as in the token."""
    with session_scope(engine) as session:
        user = session.get(User, email)
        return list(user.roles) if user is not None else list(token_roles)


def users_by_domain(engine: Engine, domain: str) -> list[User]:
    """The users whose e-mail ends in @...`domain` (the demo logins the banner lists)."""
    with session_scope(engine) as session:
        return list(session.execute(select(User).where(col(User.email).like(f"%{domain}"))).scalars())
