"""Bearer tokens (JWT, HS256). The claims carry who the caller is so that requests need no
user lookup; anything that decides money (order limits) is read fresh from the database."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from accounts.tables import User

ALGORITHM = "HS256"
ISSUER = "order2cash"


def issue_token(user: User, secret: str, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": user.email,
        "iat": now,
        "exp": now + ttl,
        "roles": list(user.roles),
        "cid": user.customer_id,
        "unit": user.delivery_unit_id,
        "ver": user.token_version,
        "jti": uuid.uuid4().hex,  # signing out revokes this one token
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def claims_of(token: str, secret: str) -> dict:
    """Raises jwt.PyJWTError when the token is invalid or expired."""
    return jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub", "iss"]})
