"""Accounts as the seller's administrators keep them: which roles fit which kind of account, users
created, changed and deactivated, and the one-time links with which a person sets a password (an
invitation, or an administrator's reset).

- A customer's user may hold buyer and approver, and the roles its customer's role rules or role
  limits name (its own or its parents', e.g. `technician`); a delivery unit's user fulfilment; the
  seller's staff admin, expert, catalog_manager and finance. Anything else is refused naming `roles`.
- Limits per order and per month are for customers' users only.
- The last active administrator cannot be deactivated or lose the role (nobody could onboard then;
  `order2cash admin create-admin` is the way back in).
- A link is random; only its SHA-256 is kept. It works once, until it expires. Issuing one for an
  existing account is a reset: the password and every token issued before stop counting."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session, col

from accounts.passwords import hash_password
from accounts.tables import Invitation, User
from core.errors import Conflict, Gone, Invalid, NotFound
from customers.rule_tables import AssortmentRule, RoleLimit
from customers.tables import Customer
from customers.tree import customer_chain
from models.actors import ADMIN, ROLES
from models.users import UserIn, UserOut, UserPatch
from partners.tables import DeliveryUnit

MIN_PASSWORD_LENGTH = 10
CUSTOMER_ROLES = ("buyer", "approver")
UNIT_ROLES = ("fulfilment",)
STAFF_ROLES = (ADMIN, "expert", "catalog_manager", "finance")
LIMITS = ("order_limit", "monthly_limit")
NO_PASSWORD = ""  # an account that has not set one yet (or was reset): nothing verifies against it


def kind_of(user: User) -> str:
    return "customer" if user.customer_id else "delivery_unit" if user.delivery_unit_id else "seller"


def out(user: User) -> UserOut:
    return UserOut(
        email=user.email,
        name=user.name,
        customer_id=user.customer_id,
        delivery_unit_id=user.delivery_unit_id,
        kind=kind_of(user),
        roles=list(user.roles),
        order_limit=user.order_limit,
        monthly_limit=user.monthly_limit,
        active=user.active,
        has_password=user.password_hash != NO_PASSWORD,
    )


def allowed_roles(session: Session, customer_id: str | None, unit_id: str | None) -> list[str]:
    """The roles an account of this kind may hold (a customer's: with those its rules name)."""
    if unit_id is not None:
        return list(UNIT_ROLES)
    if customer_id is None:
        return list(STAFF_ROLES)
    chain = [c.id for c in customer_chain(session, customer_id)]
    named = set()
    for table in (AssortmentRule, RoleLimit):
        named |= set(session.execute(select(col(table.role)).where(col(table.customer_id).in_(chain))).scalars())
    # a role of the seller's or a unit's never becomes a customer's through a rule's name
    return [*CUSTOMER_ROLES, *sorted(named - set(ROLES))]


def check_roles(session: Session, roles: list[str], customer_id: str | None, unit_id: str | None) -> list[str]:
    allowed = allowed_roles(session, customer_id, unit_id)
    wrong = [role for role in roles if role not in allowed]
    if wrong:
        whose = (
            f"customer {customer_id}'s users"
            if customer_id
            else f"delivery unit {unit_id}'s users"
            if unit_id
            else "the seller's staff"
        )
        raise Invalid(
            f"{', '.join(wrong)}: not a role for {whose} (these are: {', '.join(allowed)})",
            field="roles",
        )
    return list(dict.fromkeys(roles))  # each once, in the order given


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field=field)


def _user(session: Session, email: str, *, lock: bool = False) -> User:
    user = session.get(User, email.strip().lower(), with_for_update=lock)
    if user is None:
        raise NotFound(f"user {email} not found")
    return user


def get_user(session: Session, email: str) -> UserOut:
    return out(_user(session, email))


def list_users(
    session: Session,
    *,
    customer_id: str | None = None,
    delivery_unit_id: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> list[UserOut]:
    query = select(User).order_by(col(User.email))
    if customer_id is not None:
        query = query.where(col(User.customer_id) == customer_id)
    if delivery_unit_id is not None:
        query = query.where(col(User.delivery_unit_id) == delivery_unit_id)
    if kind == "seller":
        query = query.where(col(User.customer_id).is_(None), col(User.delivery_unit_id).is_(None))
    elif kind == "customer":
        query = query.where(col(User.customer_id).is_not(None))
    elif kind == "delivery_unit":
        query = query.where(col(User.delivery_unit_id).is_not(None))
    if active is not None:
        query = query.where(col(User.active) == active)
    return [out(user) for user in session.execute(query).scalars()]


def create_user(session: Session, body: UserIn) -> User:
    """Refuses a taken e-mail (Conflict), an unknown customer or unit, roles that do not fit the
    account, limits on an account that is no customer's, a short password (Invalid, naming each)."""
    if body.customer_id is not None and body.delivery_unit_id is not None:
        raise Invalid("a user is a customer's or a delivery unit's, not both", field="delivery_unit_id")
    if session.get(User, body.email) is not None:
        raise Conflict(f"user {body.email} exists already", field="email")
    if body.customer_id is not None and session.get(Customer, body.customer_id) is None:
        raise Invalid(f"there is no customer {body.customer_id}", field="customer_id")
    if body.delivery_unit_id is not None and session.get(DeliveryUnit, body.delivery_unit_id) is None:
        raise Invalid(f"there is no delivery unit {body.delivery_unit_id}", field="delivery_unit_id")
    roles = check_roles(session, body.roles, body.customer_id, body.delivery_unit_id)
    _check_limits(body.customer_id, {name: getattr(body, name) for name in LIMITS})
    if body.password is not None:
        check_password(body.password)
    user = User(
        email=body.email,
        name=body.name,
        password_hash=hash_password(body.password) if body.password is not None else NO_PASSWORD,
        customer_id=body.customer_id,
        delivery_unit_id=body.delivery_unit_id,
        roles=roles,
        order_limit=body.order_limit,
        monthly_limit=body.monthly_limit,
    )
    session.add(user)
    session.flush()
    return user


def _check_limits(customer_id: str | None, limits: dict) -> None:
    for name, value in limits.items():
        if value is not None and customer_id is None:
            raise Invalid("limits are for customers' users (they order)", field=name)


def update_user(session: Session, email: str, patch: UserPatch) -> User:
    """Only the fields sent change. Deactivating counts up the token version too, so that a later
    reactivation does not bring back the tokens issued before."""
    sent = patch.model_dump(include=patch.model_fields_set)
    if sent.get("active") is False or ("roles" in sent and ADMIN not in (sent["roles"] or [])):
        # it may take away an administrator: the seller's staff rows are locked first, always in
        # the same order, so that two such changes at once cannot both find "another admin left"
        # (PostgreSQL; SQLite's write lock serialises writers anyway)
        session.execute(select(col(User.email)).where(*_STAFF).order_by(col(User.email)).with_for_update()).all()
    user = _user(session, email, lock=True)
    for name in ("name", "roles", "active"):
        if name in sent and sent[name] is None:
            raise Invalid(f"{name} cannot be removed, only changed", field=name)
    if "roles" in sent:
        sent["roles"] = check_roles(session, sent["roles"], user.customer_id, user.delivery_unit_id)
    _check_limits(user.customer_id, {name: sent[name] for name in LIMITS if name in sent})
    still_admin = sent.get("active", user.active) and ADMIN in sent.get("roles", user.roles)
    if _is_active_admin(user) and not still_admin and not _other_admins(session, user.email):
        field = "active" if sent.get("active") is False else "roles"
        raise Conflict(f"{user.email} is the last active administrator: make another one first", field=field)
    if sent.get("active") is False and user.active:
        user.token_version += 1
    for name, value in sent.items():
        setattr(user, name, value)
    session.add(user)
    session.flush()
    return user


def _is_active_admin(user: User) -> bool:
    return user.active and user.customer_id is None and user.delivery_unit_id is None and ADMIN in user.roles


_STAFF = (col(User.customer_id).is_(None), col(User.delivery_unit_id).is_(None), col(User.active).is_(True))


def _other_admins(session: Session, email: str) -> bool:
    staff = session.execute(select(User).where(*_STAFF)).scalars()
    return any(ADMIN in user.roles and user.email != email for user in staff)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def issue_invitation(
    session: Session, email: str, *, created_by: str, ttl: timedelta, reset: bool
) -> tuple[str, datetime]:
    """A new one-time link for the user (the token and when it expires); the user's earlier unused
    links stop. `reset`: the password and the tokens issued before stop counting too."""
    user = _user(session, email, lock=True)
    if not user.active:
        raise Conflict(f"user {user.email} is deactivated: activate it first", field="active")
    session.execute(delete(Invitation).where(col(Invitation.email) == user.email, col(Invitation.used_at).is_(None)))
    token, now = secrets.token_urlsafe(32), datetime.now(UTC)
    session.add(
        Invitation(
            token_hash=_hash(token), email=user.email, created_by=created_by, created_at=now, expires_at=now + ttl
        )
    )
    if reset:
        user.password_hash, user.token_version = NO_PASSWORD, user.token_version + 1
        session.add(user)
    session.flush()
    return token, now + ttl


def use_invitation(session: Session, token: str, new_password: str) -> str:
    """Sets the password of the link's account, once; the e-mail it was for. An unknown link is
    NotFound, a used or expired one (or a deactivated account's) Gone."""
    invitation = session.get(Invitation, _hash(token), with_for_update=True)
    if invitation is None:
        raise NotFound("this link is not known: ask your administrator for a new one", field="token")
    check_invitation(invitation)
    check_password(new_password, "new_password")
    user = _user(session, invitation.email, lock=True)
    if not user.active:
        raise Gone("the account is deactivated", field="token")
    invitation.used_at = datetime.now(UTC)
    user.password_hash, user.token_version = hash_password(new_password), user.token_version + 1
    session.add_all([invitation, user])
    return user.email


def check_invitation(invitation: Invitation) -> None:
    if invitation.used_at is not None:
        raise Gone("this link was used already: ask your administrator for a new one", field="token")
    if _aware(invitation.expires_at) <= datetime.now(UTC):
        raise Gone("this link has expired: ask your administrator for a new one", field="token")


def invitation_for(session: Session, token: str) -> str:
    """The e-mail a still usable link is for (the page greets the person); refusals as `use_invitation`."""
    invitation = session.get(Invitation, _hash(token))
    if invitation is None:
        raise NotFound("this link is not known: ask your administrator for a new one", field="token")
    check_invitation(invitation)
    return invitation.email
