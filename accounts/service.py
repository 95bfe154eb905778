"""The accounts service: who may sign in, and the bearer token a sign-in gets."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from accounts import admin
from accounts.passwords import hash_password, verify_password
from accounts.tables import RevokedToken, User
from accounts.throttle import LoginThrottle
from accounts.tokens import claims_of, issue_token
from core.database import session_scope
from core.errors import Conflict
from models.actors import Actor, require_admin
from models.users import InvitationLink, UserCreated, UserIn, UserOut, UserPatch

__all__ = ["LoginThrottle"]  # built by the API from its settings

MIN_PASSWORD_LENGTH = admin.MIN_PASSWORD_LENGTH


class Revoked(Exception):
    """The token's account is gone or deactivated, or signed out (or changed its password) since."""


class PasswordRefused(ValueError):
    """The current password is wrong, or the new one too short."""


# Spent on unknown e-mails too, so response time does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password")


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.get(User, email.strip().lower())
    if user is None or not user.active or user.password_hash == admin.NO_PASSWORD:
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


def change_password(
    engine: Engine, email: str, current: str, new: str, throttle: LoginThrottle | None = None, client: str = ""
) -> None:
    """Sets the user's own password; the tokens issued before stop counting. Raises PasswordRefused.
    A wrong current password counts as a failed sign-in (`throttle`): a stolen session must not
    be able to guess the password it would need to keep the account."""
    if throttle is not None:
        throttle.check(email, client)
    if len(new) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(f"the new password needs at least {MIN_PASSWORD_LENGTH} characters")
    with session_scope(engine, write_lock=True) as session:
        user = session.get(User, email)
        if user is None or not verify_password(user.password_hash, current):
            if throttle is not None:
                throttle.failed(email, client)
            raise PasswordRefused("the current password is wrong")
        user.password_hash = hash_password(new)
        user.token_version += 1


def users_by_domain(engine: Engine, domain: str) -> list[User]:
    """The users whose e-mail ends in @...`domain` (the demo logins the banner lists)."""
    with session_scope(engine) as session:
        return list(session.execute(select(User).where(col(User.email).like(f"%{domain}"))).scalars())


# --- accounts as the seller's administrators keep them (accounts/admin.py has the rules) -----------


def _link(token: str, expires_at: datetime, link_base: str) -> InvitationLink:
    return InvitationLink(token=token, url=f"{link_base.rstrip('/')}/invitation/{token}", expires_at=expires_at)


def create_user(
    engine: Engine, actor: Actor, body: UserIn, *, invitation_ttl: timedelta, link_base: str
) -> UserCreated:
    """A new account; without a password, with a one-time link to set one (`link_base`: where the
    pages are reached, e.g. https://o2c.example.com)."""
    require_admin(actor)
    try:
        with session_scope(engine, write_lock=True) as session:
            user = admin.create_user(session, body)
            link = None
            if body.password is None:
                token, expires_at = admin.issue_invitation(
                    session, user.email, created_by=actor.id, ttl=invitation_ttl, reset=False
                )
                link = _link(token, expires_at, link_base)
            return UserCreated(**admin.out(user).model_dump(), invitation=link)
    except IntegrityError as exc:  # created at the same moment by another request
        raise Conflict(f"user {body.email} exists already", field="email") from exc


def update_user(engine: Engine, actor: Actor, email: str, patch: UserPatch) -> UserOut:
    """Roles, limits, name, active: counted from the user's next request on."""
    require_admin(actor)
    with session_scope(engine, write_lock=True) as session:
        return admin.out(admin.update_user(session, email, patch))


def get_user(engine: Engine, actor: Actor, email: str) -> UserOut:
    require_admin(actor)
    with session_scope(engine) as session:
        return admin.get_user(session, email)


def list_users(
    engine: Engine,
    actor: Actor,
    *,
    customer_id: str | None = None,
    delivery_unit_id: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> list[UserOut]:
    require_admin(actor)
    with session_scope(engine) as session:
        return admin.list_users(
            session, customer_id=customer_id, delivery_unit_id=delivery_unit_id, kind=kind, active=active
        )


def allowed_roles(engine: Engine, actor: Actor, customer_id: str | None, unit_id: str | None) -> list[str]:
    """The roles an account of the kind may hold (the pages offer them)."""
    require_admin(actor)
    with session_scope(engine) as session:
        return admin.allowed_roles(session, customer_id, unit_id)


def invite(engine: Engine, actor: Actor, email: str, *, invitation_ttl: timedelta, link_base: str) -> InvitationLink:
    """A new one-time link for the user: a reset (the password and its tokens stop counting)."""
    require_admin(actor)
    with session_scope(engine, write_lock=True) as session:
        token, expires_at = admin.issue_invitation(session, email, created_by=actor.id, ttl=invitation_ttl, reset=True)
        return _link(token, expires_at, link_base)


def use_invitation(engine: Engine, token: str, new_password: str) -> str:
    """Sets the password through a one-time link (no sign-in); the account's e-mail."""
    with session_scope(engine, write_lock=True) as session:
        return admin.use_invitation(session, token, new_password)


def invitation_email(engine: Engine, token: str) -> str:
    """The e-mail a usable link is for; NotFound or Gone otherwise."""
    with session_scope(engine) as session:
        return admin.invitation_for(session, token)
